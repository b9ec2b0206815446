import type { TemplateType } from './entities/message-template.entity.js';
import type { Plan } from './entities/user.entity.js';
import type { SessionState } from './entities/whatsapp-session.entity.js';

/** The demo's made-up world: who the tenants are, what they sell, when people book. */

export interface DemoTenant {
  id: string;
  name: string;
  timezone: string;
  /** Deterministic and public: demo data only, never a real tenant's key. */
  apiKey: string;
}

export type ServiceSpec = [string, number, number];

export interface DemoProfile {
  /** Luxon weekdays the tenant works (1 = Monday). */
  workdays: number[];
  users: { name: string; plan: Plan; services: ServiceSpec[] }[];
  stores: string[];
  channels: [string, number][];
  sessions: { name: string; state: SessionState }[];
  deviceJid: string;
  templates: { userIndex: number | null; type: TemplateType; name: string; body: string }[];
}

export const profiles: DemoProfile[] = [
  {
    workdays: [1, 2, 3, 4, 5, 6],
    users: [
      {
        name: 'Mariana Albuquerque',
        plan: 'ENTERPRISE',
        services: [
          ['Corte feminino', 60, 12000],
          ['Escova modelada', 45, 7000],
          ['Coloração', 120, 25000],
          ['Hidratação capilar', 60, 9000],
          ['Escova progressiva', 120, 32000],
        ],
      },
      {
        name: 'Rafael Nogueira',
        plan: 'PRO',
        services: [
          ['Corte masculino', 30, 6000],
          ['Barba', 30, 4500],
          ['Corte e barba', 60, 9500],
          ['Pigmentação de barba', 45, 7000],
        ],
      },
      {
        name: 'Juliana Ferreira',
        plan: 'FREE',
        services: [
          ['Manicure', 45, 4500],
          ['Pedicure', 45, 5000],
          ['Esmaltação em gel', 60, 8000],
          ['Spa dos pés', 60, 7500],
        ],
      },
      {
        name: 'Camila Rocha',
        plan: 'PRO',
        services: [
          ['Design de sobrancelha', 30, 5500],
          ['Maquiagem social', 60, 18000],
          ['Limpeza de pele', 90, 16000],
        ],
      },
    ],
    stores: ['Bela Vista Pinheiros', 'Bela Vista Moema', 'Bela Vista Tatuapé'],
    channels: [
      ['balcao', 45],
      ['whatsapp', 25],
      ['site', 15],
      ['ifood', 15],
    ],
    sessions: [
      { name: 'Recepção', state: 'CONNECTED' },
      { name: 'Agendamentos', state: 'QR_PENDING' },
      { name: 'Campanhas', state: 'DISCONNECTED' },
    ],
    deviceJid: '5511987654321@s.whatsapp.net',
    templates: [
      {
        userIndex: null,
        type: 'APPOINTMENT_CONFIRMATION',
        name: 'Confirmação de horário',
        body: 'Olá, {{client_name}}! Seu horário com {{provider_name}} está confirmado para {{date}} às {{time}}. Até lá! Studio Bela Vista',
      },
      {
        userIndex: null,
        type: 'APPOINTMENT_REMINDER',
        name: 'Lembrete de horário',
        body: 'Oi, {{client_name}}! Passando para lembrar do seu horário com {{provider_name}} em {{date}} às {{time}}. Precisa remarcar? É só responder esta mensagem.',
      },
      {
        userIndex: 0,
        type: 'APPOINTMENT_CONFIRMATION',
        name: 'Confirmação da Mariana',
        body: 'Oi, {{client_name}}! Aqui é a {{provider_name}}. Seu horário está confirmado para {{date}} às {{time}}. Chegue com 10 minutos de antecedência, combinado?',
      },
    ],
  },
  {
    workdays: [1, 2, 3, 4, 5],
    users: [
      {
        name: 'Dra. Helena Cavalcanti',
        plan: 'ENTERPRISE',
        services: [
          ['Consulta dermatológica', 30, 35000],
          ['Retorno dermatológico', 15, 12000],
          ['Peeling químico', 60, 48000],
          ['Aplicação de toxina botulínica', 45, 120000],
          ['Mapeamento de pintas', 45, 40000],
        ],
      },
      {
        name: 'Dr. Tiago Menezes',
        plan: 'PRO',
        services: [
          ['Avaliação fisioterapêutica', 60, 20000],
          ['Sessão de fisioterapia', 45, 15000],
          ['RPG', 60, 18000],
          ['Pilates clínico', 60, 12000],
        ],
      },
      {
        name: 'Larissa Barbosa',
        plan: 'FREE',
        services: [
          ['Consulta nutricional', 60, 25000],
          ['Retorno nutricional', 30, 15000],
          ['Bioimpedância', 15, 8000],
        ],
      },
    ],
    stores: ['Aurora Boa Viagem', 'Aurora Casa Forte', 'Aurora Olinda'],
    channels: [
      ['balcao', 50],
      ['whatsapp', 30],
      ['site', 15],
      ['ifood', 5],
    ],
    sessions: [
      { name: 'Recepção', state: 'CONNECTED' },
      { name: 'Confirmações', state: 'QR_PENDING' },
      { name: 'Financeiro', state: 'DISCONNECTED' },
    ],
    deviceJid: '5581998765432@s.whatsapp.net',
    templates: [
      {
        userIndex: null,
        type: 'APPOINTMENT_CONFIRMATION',
        name: 'Confirmação de consulta',
        body: 'Olá, {{client_name}}. Sua consulta com {{provider_name}} está confirmada para {{date}} às {{time}}. Traga um documento com foto. Clínica Aurora',
      },
      {
        userIndex: null,
        type: 'APPOINTMENT_REMINDER',
        name: 'Lembrete de consulta',
        body: 'Olá, {{client_name}}. Lembramos da sua consulta com {{provider_name}} em {{date}} às {{time}}. Para remarcar, responda esta mensagem. Clínica Aurora',
      },
      {
        userIndex: 0,
        type: 'APPOINTMENT_CONFIRMATION',
        name: 'Confirmação da Dra. Helena',
        body: 'Olá, {{client_name}}! {{provider_name}} confirma seu atendimento em {{date}} às {{time}}. Evite sol e ácidos na pele nas 48 horas anteriores.',
      },
    ],
  },
];

export const firstNames = (
  'Ana Beatriz Bruno Carla Daniel Eduarda Felipe Gabriela Gustavo Isabela João Larissa Lucas ' +
  'Luiza Marcos Patrícia Pedro Renata Sofia Thiago Vitória Fernanda Rodrigo Aline Caio Letícia'
).split(' ');
export const lastNames = (
  'Silva Santos Oliveira Souza Lima Pereira Costa Rodrigues Almeida Nascimento Araújo ' +
  'Carvalho Gomes Martins Ribeiro Barros Freitas Moura'
).split(' ');

/** Sales per local hour of the day: lunch and evening peaks, closed at night. */
export const hourWeights = [0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 6, 8, 7, 5, 4, 4, 5, 7, 8, 7, 5, 2, 1];
/** Sales per luxon weekday (index 1 = Monday). */
export const weekdayWeights = [0, 0.8, 0.85, 0.9, 1, 1.25, 1.4, 0.6];
export const SALES_PER_TENANT = 5_000;
export const APPOINTMENT_DAYS = { past: 30, ahead: 45 } as const;
export const OPENING_HOUR = 8;
export const CLOSING_HOUR = 18;
/** Real codes live 60 s; the demo's stays scannable for a day so it can be seen. */
export const DEMO_QR_LIFETIME_MS = 24 * 60 * 60 * 1000;

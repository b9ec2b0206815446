import { DateTime } from 'luxon';
import type { Logger } from 'pino';
import { type DataSource, type EntityManager, type EntityTarget, In } from 'typeorm';
import { apiKeyPrefix, hashApiKey } from '../services/tenant.service.js';
import { dialectOf, inTransaction } from './data-source.js';
import { ApiKey } from './entities/api-key.entity.js';
import { Appointment, type AppointmentStatus } from './entities/appointment.entity.js';
import { MessageTemplate, type TemplateType } from './entities/message-template.entity.js';
import { Sale } from './entities/sale.entity.js';
import { Service } from './entities/service.entity.js';
import { Store } from './entities/store.entity.js';
import { Tenant } from './entities/tenant.entity.js';
import { type Plan, User } from './entities/user.entity.js';
import { type SessionState, WhatsAppSession } from './entities/whatsapp-session.entity.js';

export interface DemoTenant {
  id: string;
  name: string;
  timezone: string;
  /** Deterministic and public: demo data only, never a real tenant's key. */
  apiKey: string;
}

export const DEMO_TENANTS: readonly DemoTenant[] = Object.freeze([
  {
    id: '00000000-0000-4000-8000-000000000001',
    name: 'Studio Bela Vista',
    timezone: 'America/Sao_Paulo',
    apiKey: 'hp_demo_bela_vista_0000000000000000',
  },
  {
    id: '00000000-0000-4000-8000-000000000002',
    name: 'Clínica Aurora',
    timezone: 'America/Recife',
    apiKey: 'hp_demo_clinica_aurora_000000000000',
  },
]);

export interface DemoSeed {
  /** False when the demo tenants were already there and nothing was written. */
  created: boolean;
  tenants: {
    id: string;
    name: string;
    timezone: string;
    apiKey: string;
    /** The first one has several appointments today. */
    users: { id: string; name: string; plan: Plan }[];
  }[];
  /** Rows of the demo tenants per table. */
  counts: Record<string, number>;
}

export interface SeedOptions {
  /** The instant "today" and the appointment and sale windows are computed from. */
  now?: Date;
  logger?: Logger;
}

/** [name, durationMinutes, priceCents]; the last service of each user is inactive. */
type ServiceSpec = [string, number, number];

interface DemoProfile {
  /** Luxon weekdays the tenant works (1 = Monday). */
  workdays: number[];
  users: { name: string; plan: Plan; services: ServiceSpec[] }[];
  stores: string[];
  channels: [string, number][];
  sessions: { name: string; state: SessionState }[];
  deviceJid: string;
  templates: { userIndex: number | null; type: TemplateType; name: string; body: string }[];
}

const profiles: DemoProfile[] = [
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

const firstNames = (
  'Ana Beatriz Bruno Carla Daniel Eduarda Felipe Gabriela Gustavo Isabela João Larissa Lucas ' +
  'Luiza Marcos Patrícia Pedro Renata Sofia Thiago Vitória Fernanda Rodrigo Aline Caio Letícia'
).split(' ');
const lastNames = (
  'Silva Santos Oliveira Souza Lima Pereira Costa Rodrigues Almeida Nascimento Araújo ' +
  'Carvalho Gomes Martins Ribeiro Barros Freitas Moura'
).split(' ');

/** Sales per local hour of the day: lunch and evening peaks, closed at night. */
const hourWeights = [0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 6, 8, 7, 5, 4, 4, 5, 7, 8, 7, 5, 2, 1];
/** Sales per luxon weekday (index 1 = Monday). */
const weekdayWeights = [0, 0.8, 0.85, 0.9, 1, 1.25, 1.4, 0.6];
const SALES_PER_TENANT = 5_000;
const APPOINTMENT_DAYS = { past: 30, ahead: 45 } as const;
const OPENING_HOUR = 8;
const CLOSING_HOUR = 18;
/** Real codes live 60 s; the demo's stays scannable for a day so it can be seen. */
const DEMO_QR_LIFETIME_MS = 24 * 60 * 60 * 1000;

type Random = () => number;

/** Tiny seeded PRNG, so the same `now` always gives the same data. */
function mulberry32(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(random: Random, items: readonly T[]): T =>
  items[Math.floor(random() * items.length)];

function pickWeighted<T>(random: Random, items: readonly [T, number][]): T {
  let r = random() * items.reduce((sum, [, w]) => sum + w, 0);
  for (const [item, weight] of items) {
    r -= weight;
    if (r < 0) return item;
  }
  return items[items.length - 1][0];
}

const ID_KIND = {
  user: 1,
  apiKey: 2,
  service: 3,
  appointment: 4,
  template: 5,
  store: 6,
  sale: 7,
  session: 8,
} as const;

/** Stable UUID-shaped ids: `00000000-0000-4000-80KK-TTNNNNNNNNNN` (kind, tenant, number). */
function demoId(kind: keyof typeof ID_KIND, tenantNo: number, n: number): string {
  const tail = tenantNo.toString(16).padStart(2, '0') + n.toString(16).padStart(10, '0');
  return `00000000-0000-4000-${(0x8000 + ID_KIND[kind]).toString(16)}-${tail}`;
}

/** Child tables before their parents: the order rows can be deleted in. */
const tenantTables: [string, EntityTarget<{ tenantId: string }>][] = [
  ['appointments', Appointment],
  ['messageTemplates', MessageTemplate],
  ['services', Service],
  ['sales', Sale],
  ['stores', Store],
  ['whatsappSessions', WhatsAppSession],
  ['apiKeys', ApiKey],
  ['users', User],
];
const demoIds = () => DEMO_TENANTS.map((t) => t.id);
const seeded = (em: EntityManager) => em.existsBy(Tenant, { id: DEMO_TENANTS[0].id });
/** pg_advisory_xact_lock key that serializes seeding across processes. */
const SEED_LOCK = 0x68705f64;

/** True when the database has no tenant at all: the time to seed the demo. */
export async function isEmpty(db: DataSource): Promise<boolean> {
  return !(await db.getRepository(Tenant).exists());
}

/** The demo tenants whose demo key is stored (hash) in this database. */
export async function demoKeys(db: DataSource): Promise<DemoTenant[]> {
  const rows = await db
    .getRepository(ApiKey)
    .findBy({ keyHash: In(DEMO_TENANTS.map((t) => hashApiKey(t.apiKey))) });
  return DEMO_TENANTS.filter((t) =>
    rows.some((k) => k.tenantId === t.id && k.keyHash === hashApiKey(t.apiKey)),
  );
}

/** Lines to print at start and after `npm run seed`. */
export function formatDemoKeys(tenants: readonly Pick<DemoTenant, 'name' | 'apiKey'>[]): string {
  if (tenants.length === 0) return '';
  const width = Math.max(...tenants.map((t) => t.name.length));
  return [
    'Demo API keys (demo data only: anyone can read them here):',
    ...tenants.map((t) => `  ${t.name.padEnd(width)}  ${t.apiKey}`),
    '',
  ].join('\n');
}

/**
 * Writes the demo tenants and their data in one transaction. Does nothing when the first demo
 * tenant already exists, and then returns what is there.
 */
export async function seedDemo(db: DataSource, options: SeedOptions = {}): Promise<DemoSeed> {
  const now = options.now ?? new Date();
  const seed = await inTransaction(db, async (em) => {
    // Two instances starting on one empty database both try: the second waits here.
    if (dialectOf(db) === 'postgres') await em.query(`SELECT pg_advisory_xact_lock(${SEED_LOCK})`);
    return (await seeded(em)) ? readDemo(em) : insertDemo(em, now);
  })
    // Without that lock (SQLite files shared by processes) the loser reads the winner's rows.
    .catch(async (error) =>
      (await seeded(db.manager)) ? readDemo(db.manager) : Promise.reject(error),
    );
  options.logger?.info(
    { counts: seed.counts },
    seed.created ? 'demo data seeded' : 'demo data already present',
  );
  return seed;
}

/** Deletes the demo tenants' rows, and only theirs; returns how many went from each table. */
export async function deleteDemo(em: EntityManager): Promise<Record<string, number>> {
  const deleted: Record<string, number> = {};
  for (const [table, entity] of tenantTables) {
    deleted[table] = (await em.delete(entity, { tenantId: In(demoIds()) })).affected ?? 0;
  }
  deleted.tenants = (await em.delete(Tenant, { id: In(demoIds()) })).affected ?? 0;
  return deleted;
}

/** Deletes the demo tenants and seeds them again, in one transaction: `npm run seed`. */
export async function reseedDemo(db: DataSource, options: SeedOptions = {}): Promise<DemoSeed> {
  const now = options.now ?? new Date();
  const { deleted, seed } = await inTransaction(db, async (em) => {
    const deleted = await deleteDemo(em);
    return { deleted, seed: await insertDemo(em, now) };
  });
  options.logger?.info({ deleted, counts: seed.counts }, 'demo data reseeded');
  return seed;
}

async function readDemo(em: EntityManager): Promise<DemoSeed> {
  const tenants = await em.find(Tenant, { where: { id: In(demoIds()) } });
  const users = await em.find(User, {
    where: { tenantId: In(demoIds()) },
    order: { createdAt: 'ASC', id: 'ASC' },
  });
  const counts: Record<string, number> = { tenants: tenants.length };
  for (const [table, entity] of tenantTables) {
    counts[table] = await em.countBy(entity, { tenantId: In(demoIds()) });
  }
  return {
    created: false,
    tenants: DEMO_TENANTS.filter((d) => tenants.some((t) => t.id === d.id)).map((d) => ({
      ...d,
      users: users
        .filter((u) => u.tenantId === d.id)
        .map((u) => ({ id: u.id, name: u.name, plan: u.plan })),
    })),
    counts,
  };
}

interface DemoRows {
  tenants: Tenant[];
  users: User[];
  apiKeys: ApiKey[];
  services: Service[];
  appointments: Appointment[];
  messageTemplates: MessageTemplate[];
  stores: Store[];
  sales: Sale[];
  whatsappSessions: WhatsAppSession[];
}

async function insertDemo(em: EntityManager, now: Date): Promise<DemoSeed> {
  const rows: DemoRows = {
    tenants: [],
    users: [],
    apiKeys: [],
    services: [],
    appointments: [],
    messageTemplates: [],
    stores: [],
    sales: [],
    whatsappSessions: [],
  };
  for (const [i, tenant] of DEMO_TENANTS.entries()) {
    buildTenant(rows, tenant, profiles[i], i + 1, now);
  }

  // Parents before children, in batches that stay under SQLite's bound-parameter limit.
  const order: [keyof DemoRows, EntityTarget<object>][] = [
    ['tenants', Tenant],
    ['users', User],
    ['apiKeys', ApiKey],
    ['services', Service],
    ['appointments', Appointment],
    ['messageTemplates', MessageTemplate],
    ['stores', Store],
    ['sales', Sale],
    ['whatsappSessions', WhatsAppSession],
  ];
  for (const [table, entity] of order) await insertInBatches(em, entity, rows[table]);

  return {
    created: true,
    tenants: DEMO_TENANTS.map((t) => ({
      ...t,
      users: rows.users
        .filter((u) => u.tenantId === t.id)
        .map((u) => ({ id: u.id, name: u.name, plan: u.plan })),
    })),
    counts: Object.fromEntries(Object.entries(rows).map(([table, list]) => [table, list.length])),
  };
}

async function insertInBatches(em: EntityManager, entity: EntityTarget<object>, rows: object[]) {
  const columns = em.connection.getMetadata(entity).columns.length;
  const size = Math.min(500, Math.floor(30_000 / columns));
  for (let i = 0; i < rows.length; i += size) {
    await em
      .createQueryBuilder()
      .insert()
      .into(entity)
      .values(rows.slice(i, i + size))
      .updateEntity(false)
      .execute();
  }
}

function buildTenant(
  rows: DemoRows,
  tenant: DemoTenant,
  profile: DemoProfile,
  tenantNo: number,
  now: Date,
) {
  const today = DateTime.fromJSDate(now, { zone: tenant.timezone }).startOf('day');
  const createdAt = today.minus({ months: 14 }).set({ hour: 9 });
  const at = (days: number) => createdAt.plus({ days }).toJSDate();

  rows.tenants.push({
    id: tenant.id,
    name: tenant.name,
    timezone: tenant.timezone,
    createdAt: at(0),
  });
  rows.apiKeys.push({
    id: demoId('apiKey', tenantNo, 1),
    tenantId: tenant.id,
    keyHash: hashApiKey(tenant.apiKey),
    prefix: apiKeyPrefix(tenant.apiKey),
    createdAt: at(0),
  });

  const activeServices: Service[][] = [];
  profile.users.forEach((spec, u) => {
    const userId = demoId('user', tenantNo, u + 1);
    rows.users.push({
      id: userId,
      tenantId: tenant.id,
      name: spec.name,
      plan: spec.plan,
      createdAt: at(u),
    });
    const services = spec.services.map(
      ([name, durationMinutes, priceCents], s): Service => ({
        id: demoId('service', tenantNo, rows.services.length + s + 1),
        tenantId: tenant.id,
        userId,
        name,
        durationMinutes,
        priceCents,
        active: s < spec.services.length - 1,
        createdAt: at(u + 1),
        deletedAt: null,
      }),
    );
    rows.services.push(...services);
    activeServices.push(services.filter((s) => s.active));
  });

  buildAppointments(rows, tenant, profile, tenantNo, activeServices, today, now);

  for (const [t, template] of profile.templates.entries()) {
    rows.messageTemplates.push({
      id: demoId('template', tenantNo, t + 1),
      tenantId: tenant.id,
      userId: template.userIndex === null ? null : demoId('user', tenantNo, template.userIndex + 1),
      type: template.type,
      name: template.name,
      body: template.body,
      updatedAt: at(10 + t),
    });
  }

  const stores = profile.stores.map(
    (name, s): Store => ({
      id: demoId('store', tenantNo, s + 1),
      tenantId: tenant.id,
      name,
      createdAt: at(1),
    }),
  );
  rows.stores.push(...stores);
  buildSales(rows, tenant, profile, tenantNo, stores, today, now);

  const random = mulberry32(tenantNo * 100 + 3);
  profile.sessions.forEach((session, s) => {
    const qr = session.state === 'QR_PENDING';
    const qrBytes = Buffer.from(Array.from({ length: 48 }, () => Math.floor(random() * 256)));
    rows.whatsappSessions.push({
      id: demoId('session', tenantNo, s + 1),
      tenantId: tenant.id,
      name: session.name,
      state: session.state,
      qrCode: qr ? `2@${qrBytes.toString('base64')}` : null,
      qrExpiresAt: qr ? new Date(now.getTime() + DEMO_QR_LIFETIME_MS) : null,
      deviceJid: session.state === 'CONNECTED' ? profile.deviceJid : null,
      createdAt: at(20 + s),
      updatedAt: qr
        ? now
        : today
            .minus({ days: 2 + s })
            .set({ hour: 10 })
            .toJSDate(),
    });
  });
}

/**
 * A few appointments per provider per working day, back to back or with short gaps between
 * opening and closing time, from 30 days ago to 45 days ahead. The first provider always has a
 * full agenda today, even on a day off, so the README's example query shows something.
 */
function buildAppointments(
  rows: DemoRows,
  tenant: DemoTenant,
  profile: DemoProfile,
  tenantNo: number,
  activeServices: Service[][],
  today: DateTime,
  now: Date,
) {
  const random = mulberry32(tenantNo * 100 + 1);
  const nowMs = now.getTime();
  const minute = 60_000;
  const hour = 60 * minute;
  let n = 0;
  for (let d = -APPOINTMENT_DAYS.past; d <= APPOINTMENT_DAYS.ahead; d++) {
    const day = today.plus({ days: d });
    activeServices.forEach((services, u) => {
      const featured = d === 0 && u === 0;
      if (!featured && !profile.workdays.includes(day.weekday)) return;
      const target = featured ? 6 : 2 + Math.floor(random() * 4);
      const gaps = featured ? [0, 15, 30] : [0, 0, 15, 30, 45, 60, 90];
      // Instants from here on: a 60-minute service lasts 60 real minutes, DST or not.
      const closing = day.set({ hour: CLOSING_HOUR }).toMillis();
      let cursor = day.set({ hour: OPENING_HOUR }).toMillis();
      for (let a = 0; a < target; a++) {
        const start = cursor + pick(random, gaps) * minute;
        const service = pick(random, services);
        const end = start + service.durationMinutes * minute;
        if (end > closing) break;
        cursor = end;

        const booked = start - (1 + random() * 20) * 24 * hour;
        const createdAt = new Date(Math.min(booked, nowMs - random() * 72 * hour));
        let status: AppointmentStatus;
        if (end <= nowMs) {
          status = random() < 0.12 ? 'CANCELLED' : 'CONFIRMED';
        } else {
          // The nearer the appointment, the likelier the client has confirmed it.
          status = random() < Math.max(0.2, 0.8 - 0.015 * d) ? 'CONFIRMED' : 'PENDING';
        }
        const updatedAt =
          status === 'PENDING'
            ? createdAt
            : new Date(Math.min(nowMs, createdAt.getTime() + random() * 48 * hour));
        rows.appointments.push({
          id: demoId('appointment', tenantNo, ++n),
          tenantId: tenant.id,
          userId: service.userId,
          serviceId: service.id,
          clientName: `${pick(random, firstNames)} ${pick(random, lastNames)}`,
          startsAt: new Date(start),
          endsAt: new Date(end),
          status,
          createdAt,
          updatedAt,
        });
      }
    });
  }
}

/**
 * SALES_PER_TENANT sales from the first day of the month a year ago until now: 13 calendar
 * months, growing slowly, busier on Fridays, Saturdays and in December, at local lunch and
 * dinner hours.
 */
function buildSales(
  rows: DemoRows,
  tenant: DemoTenant,
  profile: DemoProfile,
  tenantNo: number,
  stores: Store[],
  today: DateTime,
  now: Date,
) {
  const random = mulberry32(tenantNo * 100 + 2);
  const first = today.startOf('month').minus({ months: 12 });
  const days: DateTime[] = [first];
  while (days[days.length - 1] < today) days.push(days[days.length - 1].plus({ days: 1 }));
  const hour = 3_600_000;
  const nowMs = now.getTime();

  const weights = days.map((day, i) => {
    const trend = 0.8 + (0.4 * i) / days.length;
    const season = day.month === 12 ? 1.3 : 1;
    const partial = i === days.length - 1 ? (nowMs - day.toMillis()) / (24 * hour) : 1;
    return trend * season * weekdayWeights[day.weekday] * partial;
  });
  const perDay = apportion(weights, SALES_PER_TENANT);

  const storeWeights: [Store, number][] = stores.map((s, i) => [s, [50, 30, 20][i] ?? 10]);
  const hours: [number, number][] = hourWeights.map((w, h) => [h, w]);
  let n = 0;
  perDay.forEach((count, i) => {
    const day = days[i];
    const midnight = day.toMillis();
    // Luxon's zone conversion is the slow part: on a 24-hour day (no DST change) local hour h
    // starts h hours after midnight; only a 23- or 25-hour day asks Luxon for each hour.
    const regular = day.plus({ days: 1 }).toMillis() - midnight === 24 * hour;
    const hourStart = (h: number) =>
      regular ? midnight + h * hour : day.set({ hour: h }).toMillis();
    for (let s = 0; s < count; s++) {
      let soldAt = hourStart(pickWeighted(random, hours)) + Math.floor(random() * 3600) * 1000;
      // Today's sales cannot be later than now.
      if (soldAt > nowMs) soldAt = midnight + Math.floor(random() * (nowMs - midnight));
      rows.sales.push({
        id: demoId('sale', tenantNo, ++n),
        tenantId: tenant.id,
        storeId: pickWeighted(random, storeWeights).id,
        channel: pickWeighted(random, profile.channels),
        // Mostly small tickets, a few large ones; whole 50-cent steps.
        amountCents: 1500 + Math.round((random() ** 1.8 * 23500) / 50) * 50,
        soldAt: new Date(soldAt),
      });
    }
  });
}

/** Splits `total` in proportion to `weights` (largest remainder), so the sum is exact. */
function apportion(weights: number[], total: number): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  const exact = weights.map((w) => (w / sum) * total);
  const counts = exact.map(Math.floor);
  let left = total - counts.reduce((a, b) => a + b, 0);
  const byRemainder = exact
    .map((x, i) => [x - Math.floor(x), i] as const)
    .sort((a, b) => b[0] - a[0]);
  for (const [, i] of byRemainder) {
    if (left-- <= 0) break;
    counts[i]++;
  }
  return counts;
}

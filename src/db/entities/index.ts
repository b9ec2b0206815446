import { ApiKey } from './api-key.entity.js';
import { Appointment } from './appointment.entity.js';
import { CacheOutbox } from './cache-outbox.entity.js';
import { MessageTemplate } from './message-template.entity.js';
import { Sale } from './sale.entity.js';
import { Service } from './service.entity.js';
import { Store } from './store.entity.js';
import { Tenant } from './tenant.entity.js';
import { TenantPlan } from './tenant-plan.entity.js';
import { User } from './user.entity.js';
import { WhatsAppSession } from './whatsapp-session.entity.js';

export const entities = [
  Tenant,
  User,
  ApiKey,
  Service,
  Appointment,
  MessageTemplate,
  Store,
  Sale,
  WhatsAppSession,
  CacheOutbox,
  TenantPlan,
];

import type { Logger } from 'pino';
import { type DataSource, type EntityManager, type EntityTarget, In } from 'typeorm';
import { hashApiKey } from './api-keys.js';
import { dialectOf, inTransaction } from './data-source.js';
import { ApiKey } from './entities/api-key.entity.js';
import { Appointment } from './entities/appointment.entity.js';
import { MessageTemplate } from './entities/message-template.entity.js';
import { Sale } from './entities/sale.entity.js';
import { Service } from './entities/service.entity.js';
import { Store } from './entities/store.entity.js';
import { Tenant } from './entities/tenant.entity.js';
import { type Plan, User } from './entities/user.entity.js';
import { WhatsAppSession } from './entities/whatsapp-session.entity.js';
import { type DemoTenant, profiles } from './seed-data.js';
import { buildTenant, type DemoRows } from './seed-rows.js';

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

/**
 * bench:live's world: a fresh PostgreSQL schema with its tenants, providers and keys, the
 * Hotpath instances that serve it (bench/server.ts, statements counted), and the requests the
 * bench sends them. Everything it creates (schema, Redis keys) is removed by `close`.
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { DataSource } from 'typeorm';
import { openDatabase } from '../src/db/data-source.js';
import { type BenchServer, startBenchServer } from './lib/child.js';
import { deleteKeys } from './lib/redis.js';
import { seedProvider, seedTenant } from './lib/seed.js';

/** Providers per tenant: 50 groups are 10 tenants of 5 providers. */
const PROVIDERS_PER_TENANT = 5;
export const OPS_TOKEN = 'bench-live-ops-token-0123456789';
export const METRICS_TOKEN = 'bench-live-metrics-token-0123456789';

/** One (tenant, document, variables) group: a provider's agenda of today. */
export interface Group {
  index: number;
  key: string;
  tenantId: string;
  userId: string;
  serviceId: string;
}

/** The dashboard: today's agenda of one provider, the same selection live and polled. */
const SELECTION = `agenda(userId: $u, date: $d) { id date appointments { id clientName startsAt status } }`;
export const LIVE_DASHBOARD = `query LiveDashboard($u: ID!, $d: Date!) @live { ${SELECTION} }`;
export const POLLED_DASHBOARD = `query PolledDashboard($u: ID!, $d: Date!) { ${SELECTION} }`;
/** Another document, hence another cache key: the bench's fresh read misses and executes. */
export const FRESH_READ = `query FreshRead($u: ID!, $d: Date!) { ${SELECTION} }`;
export const BOOK = `mutation LiveBook($i: CreateAppointmentInput!) { createAppointment(input: $i) { id } }`;

/** Today in UTC: the bench's tenants live in UTC, so a booking today is in today's agenda. */
export const today = () => new Date().toISOString().slice(0, 10);

export interface AgendaData {
  agenda: { appointments: unknown[] };
}

/** The version a dashboard shows: its agenda's appointment count (the bench only adds). */
export const versionOf = (data: AgendaData) => data.agenda.appointments.length;

export async function seedGroups(db: DataSource, groups: number): Promise<Group[]> {
  const out: Group[] = [];
  let tenant: { id: string; key: string } | null = null;
  for (let index = 0; index < groups; index++) {
    if (index % PROVIDERS_PER_TENANT === 0) {
      tenant = await seedTenant(db, `Live bench ${index / PROVIDERS_PER_TENANT}`, 'UTC');
    }
    if (!tenant) throw new Error('unreachable');
    const { userId, serviceId } = await seedProvider(db, tenant.id, `Provider ${index}`);
    out.push({
      index,
      key: tenant.key,
      tenantId: tenant.id,
      userId,
      serviceId,
    });
  }
  return out;
}

export interface Instance {
  server: BenchServer;
  url: string;
}

export interface World {
  groups: Group[];
  instances: Instance[];
  /** Starts `count` instances on the world's database and Redis prefix, with `env` added. */
  startInstances(count: number, env: Record<string, string>, cpu?: number): Promise<Instance[]>;
  stopInstances(): Promise<void>;
  close(): Promise<void>;
}

export async function openWorld(options: {
  databaseUrl: string;
  redisUrl: string;
  groups: number;
}): Promise<World> {
  const schema = `hp_bench_live_${randomBytes(4).toString('hex')}`;
  const prefix = `hp-bench-live-${randomBytes(4).toString('hex')}`;
  const probe = new Redis(options.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await probe.connect();
  } catch (error) {
    throw new Error(
      `bench:live needs Redis at ${options.redisUrl} (BENCH_REDIS_URL): start it ` +
        `(e.g. docker compose up -d redis) or point BENCH_REDIS_URL at one. ${error}`,
    );
  } finally {
    probe.disconnect();
  }
  const db = await openDatabase({ url: options.databaseUrl, sqlitePath: '', schema }).catch(
    (error: unknown) => {
      throw new Error(
        `bench:live needs PostgreSQL at ${options.databaseUrl} (BENCH_DATABASE_URL): start it ` +
          `(e.g. docker compose up -d postgres) or point BENCH_DATABASE_URL at one. ${error}`,
      );
    },
  );
  const groups = await seedGroups(db, options.groups);
  const instances: Instance[] = [];
  const world: World = {
    groups,
    instances,
    async startInstances(count, env, cpu) {
      const started = await Promise.all(
        Array.from({ length: count }, () =>
          startBenchServer(
            {
              PATH: process.env.PATH ?? '',
              NODE_ENV: 'production',
              LOG_LEVEL: 'warn',
              OPS_TOKEN,
              METRICS_TOKEN,
              DATABASE_URL: options.databaseUrl,
              DATABASE_SCHEMA: schema,
              REDIS_URL: options.redisUrl,
              CACHE_PREFIX: prefix,
              CACHE_WARM_INTERVAL: '0',
              SEED_DEMO: 'false',
              BENCH_TARGET: 'hotpath',
              BENCH_COUNT_STATEMENTS: '1',
              ...env,
            },
            { output: 'inherit', ...(cpu === undefined ? {} : { cpu }) },
          ),
        ),
      );
      const added = started.map((server) => ({ server, url: `http://127.0.0.1:${server.port}` }));
      instances.push(...added);
      return added;
    },
    async stopInstances() {
      await Promise.all(instances.splice(0).map((i) => i.server.stop()));
    },
    async close() {
      await world.stopInstances();
      await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => {});
      await db.destroy();
      const redis = new Redis(options.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
      try {
        await redis.connect();
        await deleteKeys(redis, `${prefix}*`);
      } finally {
        redis.disconnect();
      }
    },
  };
  return world;
}

/** One GraphQL POST; `kind` labels the SQL it causes on a counting server (x-bench-kind). */
export async function post(
  url: string,
  key: string,
  query: string,
  variables: object,
  kind: string,
): Promise<{ xCache: string | null; body: { data?: any; errors?: unknown[] } }> {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${key}`,
      'x-bench-kind': kind,
    },
    body: JSON.stringify({ query, variables }),
  });
  return { xCache: res.headers.get('x-cache'), body: (await res.json()) as any };
}

/** A booking in `group` at today's `n`-th minute (UTC), so it lands in today's agenda. */
export function book(url: string, group: Group, n: number) {
  const startsAt = new Date(`${today()}T00:00:00Z`);
  startsAt.setUTCMinutes(n % (24 * 60));
  return post(
    url,
    group.key,
    BOOK,
    {
      i: {
        userId: group.userId,
        serviceId: group.serviceId,
        clientName: `Client ${n}`,
        startsAt: startsAt.toISOString(),
      },
    },
    'write',
  );
}

/**
 * SQL statements an instance ran since it started, the outbox's and the API keys' upkeep left
 * out (bench/server.ts counts them by kind): what requests and live re-executions cost.
 */
export async function statements(url: string): Promise<number> {
  const counts = (await (await fetch(`${url}/bench/statements`)).json()) as Record<string, number>;
  return Object.entries(counts)
    .filter(([kind]) => kind !== 'outbox' && kind !== 'keys')
    .reduce((sum, [, n]) => sum + n, 0);
}

/** The instance's /metrics text (private: read with METRICS_TOKEN). */
export async function metrics(url: string): Promise<string> {
  const res = await fetch(`${url}/metrics`, {
    headers: { authorization: `Bearer ${METRICS_TOKEN}` },
  });
  return res.text();
}

/**
 * The sum of a counter or gauge over the series whose labels contain every one of `labels`
 * (`cache="MISS"`), from /metrics text; null when absent.
 */
export function metricSum(text: string, name: string, ...labels: string[]): number | null {
  let sum: number | null = null;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (!(rest.startsWith(' ') || rest.startsWith('{'))) continue;
    if (!labels.every((label) => rest.includes(label))) continue;
    const value = Number(rest.slice(rest.lastIndexOf(' ') + 1));
    if (Number.isFinite(value)) sum = (sum ?? 0) + value;
  }
  return sum;
}

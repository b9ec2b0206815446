import 'reflect-metadata';
import { randomBytes, randomUUID } from 'node:crypto';
import { Agent, createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import type { DataSource, Logger as TypeOrmLogger } from 'typeorm';
import { type AppDeps, createApp } from '../../src/app.js';
import { BUDGET_DEFAULTS } from '../../src/budget/budgets.js';
import type { ResponseStore } from '../../src/cache/store/store.js';
import type { CacheConfig } from '../../src/config.js';
import { hashApiKey } from '../../src/db/api-keys.js';
import { openDatabase } from '../../src/db/data-source.js';
import { ApiKey } from '../../src/db/entities/api-key.entity.js';
import { Tenant } from '../../src/db/entities/tenant.entity.js';
import { type Plan, User } from '../../src/db/entities/user.entity.js';
import { DEFAULT_LIMITS, type Limits } from '../../src/limits.js';
import { sharedRedisUrl } from './redis.js';

/** What codegen's graphql(`...`) returns: a string that carries its result and variable types. */
export interface TypedDocument<TResult, TVariables> {
  toString(): string;
  __apiType?: (variables: TVariables) => TResult;
}

/** What `execute` sends: a codegen document (typed) or plain text. */
export type GraphQLDocument = string | TypedDocument<any, any>;

export const dialects = ['sqlite', 'postgres'] as const;
export type TestDialect = (typeof dialects)[number];

export const postgresUrl = () =>
  process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const KEY_UPKEEP = /revoked_at"?\s*>=|^UPDATE\s+"?api_keys"?\s+SET\s+"?last_used_at/i;

/**
 * Counts the SQL statements TypeORM sends, to prove batching. The invalidation outbox's
 * statements (its background sweep, a write's row) are counted apart, in `outbox`, and the API
 * keys' background statements (revocation poll, last-use flush) in `keys`.
 */
export class StatementCounter implements TypeOrmLogger {
  statements: string[] = [];
  outbox: string[] = [];
  /** The API keys' background work: the revocation poll and the last-use flush. */
  keys: string[] = [];
  get count() {
    return this.statements.length;
  }
  reset() {
    this.statements = [];
    this.outbox = [];
    this.keys = [];
  }
  logQuery(query: string) {
    if (query.includes('cache_outbox')) this.outbox.push(query);
    else if (KEY_UPKEEP.test(query)) this.keys.push(query);
    else this.statements.push(query);
  }
  logQueryError() {}
  logQuerySlow() {}
  logSchemaBuild() {}
  logMigration() {}
  log() {}
}

/** A fresh database: SQLite in memory, or a new PostgreSQL schema dropped on close. */
export async function openTestDatabase(dialect: TestDialect, logger?: TypeOrmLogger) {
  if (dialect === 'sqlite') {
    const db = await openDatabase({ sqlitePath: ':memory:' }, { logger });
    return { db, close: () => db.destroy() };
  }
  const schema = `hp_test_${randomBytes(6).toString('hex')}`;
  const db = await openDatabase({ url: postgresUrl(), sqlitePath: '', schema }, { logger });
  return {
    db,
    close: async () => {
      await db.query(`DROP SCHEMA "${schema}" CASCADE`);
      await db.destroy();
    },
  };
}

export interface TestAppOptions {
  now?: () => Date;
  /** Cache settings; DISABLED unless a test asks for a backend. */
  cache?: Partial<CacheConfig>;
  store?: ResponseStore;
  /**
   * How long start() waits for Redis to connect (the app's 3 s by default). A test whose Redis
   * is down on purpose passes less: the app starts serving from the database either way.
   */
  cacheReadyMs?: number;
  /** Share a database with another app (scale-out tests). */
  db?: DataSource;
  /** Query limits; DEFAULT_LIMITS with a generous execution deadline unless given. */
  limits?: Partial<Limits>;
  /**
   * How `execute` reaches the app: `yoga` in process (yoga.fetch), or `http`, a listening
   * node:http server with the hit path in front of Yoga, as in production. Default:
   * HOTPATH_TEST_VIA, else `yoga` (vitest.config.ts runs the cache suites both ways).
   */
  via?: 'yoga' | 'http';
  /** Serve GraphiQL (off by default, as in production). */
  graphiql?: AppDeps['graphiql'];
  /** PostgreSQL: the outbox LISTENs on this URL for other instances' invalidations. */
  databaseUrl?: string;
  /** Schema introspection and field suggestions (on by default, as in development). */
  introspection?: boolean;
  /** API keys: revocation poll, unknown-key table, last-use flush. */
  auth?: AppDeps['auth'];
  /** Live queries' bounds and timings (LIVE_*; test/live). */
  live?: AppDeps['live'];
  /** OpenTelemetry (test/support/otlp.ts starts it against a receiver); off by default. */
  tracing?: AppDeps['tracing'];
  /**
   * Cost budgets and the bulkhead: as given; null: off; absent: BUDGETS_ENABLED=true in the
   * environment turns them on with the defaults, else off. Budget suites always give theirs.
   */
  budget?: AppDeps['budget'] | null;
}

export const testVia = (): 'yoga' | 'http' =>
  process.env.HOTPATH_TEST_VIA === 'http' ? 'http' : 'yoga';

export const OPS_TOKEN = 'ops-token-for-tests-only';

export function testCacheConfig(overrides: Partial<CacheConfig> = {}): CacheConfig {
  return {
    backend: 'DISABLED',
    prefix: `hp-test-${randomBytes(4).toString('hex')}`,
    maxEntries: 10_000,
    // Generous: test files load the two cores at once, and a slow answer must not become a
    // BYPASS in tests about something else. Failing open is the subject of
    // test/cache/failure.both.test.ts.
    timeoutMs: 2_000,
    debug: false,
    warmIntervalSeconds: 0,
    warmConcurrency: 4,
    warmTop: 100,
    breakerThreshold: 3,
    probeIntervalMs: 200,
    maxEntryBytes: 1_048_576,
    compressMinBytes: 8_192,
    nearMaxBytes: 64 * 1_048_576,
    statsFlushMs: 200,
    ttlOverrides: {},
    swrTypes: ['MegaStats', 'AnalyticsReport'],
    swrGraceSeconds: 60,
    staleIfErrorSeconds: 300,
    outboxPollMs: 250,
    ...overrides,
  };
}

/** The shared Redis at 127.0.0.1:6379 (TEST_REDIS_URL), under the app's own random prefix. */
export function sharedRedisCache(overrides: Partial<CacheConfig> = {}): Partial<CacheConfig> {
  return { backend: 'REDIS', redisUrl: sharedRedisUrl(), ...overrides };
}

export async function buildTestApp(dialect: TestDialect, options: TestAppOptions = {}) {
  const counter = new StatementCounter();
  const opened = options.db
    ? { db: options.db, close: async () => {} }
    : await openTestDatabase(dialect, counter);
  const { db } = opened;
  const clock = { now: options.now ?? (() => new Date()) };
  const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const cacheConfig = testCacheConfig(options.cache);
  const app = createApp({
    db,
    logger,
    cache: cacheConfig,
    opsToken: OPS_TOKEN,
    defaultTimezone: 'America/Sao_Paulo',
    clock: () => clock.now(),
    store: options.store,
    // Two test files share two cores: a deadline made for a quiet server would fail tests
    // about something else. test/api/limits.test.ts runs with the real defaults.
    limits: { ...DEFAULT_LIMITS, executionMs: 30_000, ...options.limits },
    graphiql: options.graphiql,
    databaseUrl: options.databaseUrl,
    introspection: options.introspection,
    auth: options.auth,
    live: options.live,
    tracing: options.tracing,
    budget:
      options.budget === undefined
        ? process.env.BUDGETS_ENABLED === 'true'
          ? BUDGET_DEFAULTS
          : undefined
        : (options.budget ?? undefined),
  });
  await app.start({ cacheReadyMs: options.cacheReadyMs });
  const { yoga, services } = app;
  const via = options.via ?? testVia();
  let server: Server | null = null;
  let baseUrl = 'http://hotpath.test';
  // Connections of this app only: a pooled socket must never outlive the server it went to
  // (the next app may get the same port).
  const agent = new Agent({ keepAlive: true });
  if (via === 'http') {
    const listening = createServer(app.http);
    server = listening;
    await new Promise<void>((resolve) => listening.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(listening.address() as AddressInfo).port}`;
  }
  /** The app's answer to a request, through the path `via` chose. */
  const request = (path: string, init: RequestInit = {}): Promise<Response> => {
    if (!server) return Promise.resolve(yoga.fetch(new Request(`${baseUrl}${path}`, init)));
    return new Promise((resolve, reject) => {
      const req = httpRequest(
        `${baseUrl}${path}`,
        {
          method: init.method ?? 'GET',
          headers: Object.fromEntries(new Headers(init.headers)),
          agent,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', reject);
          res.on('end', () => {
            const headers = new Headers();
            for (const [name, value] of Object.entries(res.headers)) {
              for (const v of Array.isArray(value) ? value : [value ?? '']) headers.append(name, v);
            }
            const status = res.statusCode ?? 0;
            const body = status === 204 || status === 304 ? null : Buffer.concat(chunks);
            resolve(new Response(body, { status, headers }));
          });
        },
      );
      req.on('error', reject);
      req.end(init.body == null ? undefined : String(init.body));
    });
  };
  const close = async () => {
    agent.destroy();
    if (server) {
      server.closeAllConnections();
      await new Promise((resolve) => server?.close(resolve));
    }
    await app.close();
    await opened.close();
  };

  /**
   * Runs a GraphQL request as `key`: by default the app's own tenant (an ordinary caller, whose
   * reads the cache serves), `OPS_TOKEN` for an operator (who bypasses the cache), `null` for
   * no key at all.
   */
  async function execute<T = any, V = Record<string, unknown>>(
    query: string | TypedDocument<T, V>,
    variables: V = {} as V,
    key?: string | null,
  ) {
    const bearer = key === undefined ? (await defaultTenant()).key : key;
    const response = await request('/graphql', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
      },
      body: JSON.stringify({ query: String(query), variables }),
    });
    const body = (await response.json()) as {
      data?: T;
      errors?: { message: string; extensions?: { code?: string } }[];
    };
    return { status: response.status, headers: response.headers, body, data: body.data as T };
  }

  /** A tenant with an API key, written straight to the database. */
  async function createTenant(name = 'Tenant', timezone = 'America/Sao_Paulo') {
    const tenant = await db.getRepository(Tenant).save({
      id: randomUUID(),
      name,
      timezone,
      createdAt: new Date(),
    });
    const key = `hp_test_${randomBytes(12).toString('hex')}`;
    await db.getRepository(ApiKey).save({
      id: randomUUID(),
      tenantId: tenant.id,
      keyHash: hashApiKey(key),
      createdAt: new Date(),
    });
    return { tenant, key };
  }

  let ownTenant: ReturnType<typeof createTenant> | undefined;
  /** The tenant `execute` calls as when no key is given, created on first use. */
  const defaultTenant = () => {
    ownTenant ??= createTenant('Default tenant');
    return ownTenant;
  };

  async function createUser(tenantId: string, name = 'Provider', plan: Plan = 'PRO') {
    return db
      .getRepository(User)
      .save({ id: randomUUID(), tenantId, name, plan, createdAt: new Date() });
  }

  return {
    db,
    yoga,
    services,
    app,
    via,
    request,
    /** Where `request` goes: a listening server's URL when via is `http`. */
    baseUrl,
    cacheConfig,
    counter,
    clock,
    execute,
    createTenant,
    defaultTenant,
    createUser,
    close,
  };
}

export type TestApp = Awaited<ReturnType<typeof buildTestApp>>;

/** The error codes of a GraphQL response, in order. */
export const codes = (body: { errors?: { extensions?: { code?: string } }[] }) =>
  (body.errors ?? []).map((e) => e.extensions?.code);

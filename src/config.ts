import { IANAZone } from 'luxon';
import { z } from 'zod';
import { BUDGET_DEFAULTS, type BudgetConfig } from './budget/budgets.js';
import type { CacheConfig } from './cache/cache-config.js';
import { boundsEnv, boundsOf } from './cache/memory-bounds.js';
import { TTL_RULES } from './cache/policy.js';
import type { DatabaseConfig } from './db/data-source.js';
import type { HttpServerConfig } from './http/node-server.js';
import { DEFAULT_LIMITS, LIMIT_ENV, type Limits } from './limits.js';
import { LIVE_DEFAULTS, type LiveConfig } from './live/live-config.js';
import type { MetricsConfig } from './ops/metrics.js';
import { redisConfig, redisEnv, redisProblems } from './redis-config.js';
import type { TracingOptions } from './telemetry/tracing.js';

// The shapes each part declares for itself (config imports them; they never import config).
export type { CacheConfig } from './cache/cache-config.js';
export type { DatabaseConfig } from './db/data-source.js';
export type { RedisConfig, RedisNode, RedisTopology } from './redis-config.js';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const zone = z.string().refine((tz) => IANAZone.isValidZone(tz), 'must be an IANA time zone');

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  // Loopback: `npm start` and its demo keys are not for the network (the Dockerfile sets 0.0.0.0).
  HOST: z.string().default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATABASE_URL: z.string().url().optional(),
  SQLITE_PATH: z.string().default('./data/hotpath.sqlite'),
  DATABASE_SCHEMA: z.string().optional(),
  SEED_DEMO: bool.optional(),
  OPS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  DEFAULT_TIMEZONE: zone.default('America/Sao_Paulo'),
  GRAPHIQL: bool.optional(),
  INTROSPECTION: bool.optional(),
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  HTTP_HEADERS_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(20_000),
  HTTP_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).max(3_600_000).default(30_000),
  HTTP_KEEP_ALIVE_TIMEOUT_MS: z.coerce.number().int().min(0).max(600_000).default(5_000),
  HTTP_CHECK_INTERVAL_MS: z.coerce.number().int().min(10).max(60_000).default(1_000),
  ...redisEnv,
  SHUTDOWN_DELAY_MS: z.coerce.number().int().min(0).max(600_000).optional(),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(1).max(600_000).default(30_000),
  CACHE_ENABLED: bool.default(true),
  CACHE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, . _ - only')
    .default('hotpath'),
  CACHE_MAX_ENTRIES: z.coerce.number().int().min(1).default(10_000),
  // In-memory bounds (README: Memory bounds).
  ...boundsEnv,
  // The share of keys the TTL simulator follows (README: TTL simulator).
  CACHE_TTL_SIM_SAMPLE: z.coerce.number().min(0).max(1).default(0.1),
  // Tracing is on when either standard variable is set (the SDK reads the rest of OTEL_*).
  OTEL_EXPORTER_OTLP_ENDPOINT: z.string().url().optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z.string().url().optional(),
  OTEL_TRACES_EXPORTER: z.string().optional(),
  OTEL_SERVICE_NAME: z.string().default('hotpath'),
  CACHE_TIMEOUT_MS: z.coerce.number().int().min(1).default(50),
  CACHE_DEBUG: bool.default(false),
  CACHE_WARM_INTERVAL: z.coerce.number().int().min(0).default(300),
  CACHE_WARM_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(4),
  CACHE_WARM_TOP: z.coerce.number().int().min(0).max(10_000).default(100),
  CACHE_BREAKER_THRESHOLD: z.coerce.number().int().min(1).default(3),
  CACHE_PROBE_INTERVAL_MS: z.coerce.number().int().min(50).default(1_000),
  CACHE_MAX_ENTRY_BYTES: z.coerce.number().int().min(1).default(1_048_576),
  CACHE_COMPRESS_MIN_BYTES: z.coerce.number().int().min(0).default(8_192),
  CACHE_NEAR_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(0)
    .default(64 * 1_048_576),
  CACHE_LOG_MAX: z.coerce.number().int().min(1).max(100_000).default(1_000),
  ...Object.fromEntries(
    Object.entries(LIMIT_ENV).map(([limit, env]) => [
      env,
      // 0 turns a limit off (benchmarks that need a deeper query than any client should send).
      z.coerce
        .number()
        .int()
        .min(0)
        .default(DEFAULT_LIMITS[limit as keyof Limits])
        .transform((n) => (n === 0 ? Number.POSITIVE_INFINITY : n)),
    ]),
  ),
  CACHE_STATS_FLUSH_MS: z.coerce.number().int().min(100).max(60_000).default(1_000),
  CACHE_SWR_TYPES: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*(,[A-Za-z_][A-Za-z0-9_]*)*$/, 'comma-separated type names')
    .default('MegaStats,AnalyticsReport'),
  CACHE_SWR_GRACE: z.coerce.number().int().min(0).default(60),
  CACHE_STALE_IF_ERROR: z.coerce.number().int().min(0).default(300),
  CACHE_OUTBOX_POLL_MS: z.coerce.number().int().min(50).default(250),
  APQ_TTL: z.coerce.number().int().min(1).default(86_400),
  APQ_MAX_ENTRIES: z.coerce.number().int().min(1).default(1_000),
  DATABASE_TIMEOUT_MS: z.coerce.number().int().min(100).default(30_000),
  KEY_REVOCATION_POLL_MS: z.coerce.number().int().min(50).max(1_000).default(250),
  AUTH_UNKNOWN_KEYS_MAX: z.coerce.number().int().min(1).max(1_000_000).default(10_000),
  AUTH_KEYS_MAX: z.coerce.number().int().min(1).max(1_000_000).default(10_000),
  // Live queries (README: Live queries).
  LIVE_MAX_STREAMS: z.coerce.number().int().min(0).max(1_000_000).default(LIVE_DEFAULTS.maxStreams),
  LIVE_MAX_STREAMS_PER_TENANT: z.coerce
    .number()
    .int()
    .min(0)
    .max(1_000_000)
    .default(LIVE_DEFAULTS.maxStreamsPerTenant),
  LIVE_MAX_GROUPS: z.coerce.number().int().min(1).max(1_000_000).default(LIVE_DEFAULTS.maxGroups),
  LIVE_MAX_RESULT_BYTES: z.coerce
    .number()
    .int()
    .min(1)
    .max(16_777_216)
    .default(LIVE_DEFAULTS.maxResultBytes),
  LIVE_MAX_DOCUMENT_BYTES: z.coerce
    .number()
    .int()
    .min(256)
    .max(16_777_216)
    .default(LIVE_DEFAULTS.maxDocumentBytes),
  LIVE_HEARTBEAT_MS: z.coerce
    .number()
    .int()
    .min(100)
    .max(600_000)
    .default(LIVE_DEFAULTS.heartbeatMs),
  LIVE_MAX_THROTTLE_MS: z.coerce
    .number()
    .int()
    .min(0)
    .max(600_000)
    .default(LIVE_DEFAULTS.maxThrottleMs),
  LIVE_UNTAGGED_POLL_MS: z.coerce
    .number()
    .int()
    .min(100)
    .max(600_000)
    .default(LIVE_DEFAULTS.untaggedPollMs),
  // Off by default until issue 17 is done (README: Budgets); gzipped hits no longer inflate.
  BUDGETS_ENABLED: bool.default(false),
  BUDGET_MAX_POINTS: z.coerce.number().int().min(1).default(BUDGET_DEFAULTS.maximumAvailable),
  BUDGET_RESTORE_RATE: z.coerce.number().positive().default(BUDGET_DEFAULTS.restoreRate),
  COST_HIT: z.coerce.number().int().min(0).default(BUDGET_DEFAULTS.hitCost),
  BUDGET_FALLBACK_SHARE: z.coerce.number().positive().max(1).default(BUDGET_DEFAULTS.fallbackShare),
  BUDGET_MAX_TENANTS: z.coerce
    .number()
    .int()
    .min(1)
    .max(10_000_000)
    .default(BUDGET_DEFAULTS.maxTenants),
  BUDGET_METRIC_TENANTS: z.coerce
    .number()
    .int()
    .min(0)
    .max(1_000)
    .default(BUDGET_DEFAULTS.metricTenants),
  TENANT_MAX_CONCURRENT_MISSES: z.coerce
    .number()
    .int()
    .min(1)
    .default(BUDGET_DEFAULTS.maxConcurrentMisses),
  TENANT_MISS_QUEUE: z.coerce.number().int().min(0).max(10_000).default(BUDGET_DEFAULTS.missQueue),
  BUDGET_PLAN_POLL_MS: z.coerce
    .number()
    .int()
    .min(50)
    .max(1_000)
    .default(BUDGET_DEFAULTS.planPollMs),
  TENANT_MISS_QUEUE_MS: z.coerce
    .number()
    .int()
    .min(1)
    .max(60_000)
    .default(BUDGET_DEFAULTS.missQueueMs),
  ...Object.fromEntries(
    TTL_RULES.map((rule) => [rule.env, z.coerce.number().int().min(0).optional()]),
  ),
});

export type Env = Record<string, string | undefined>;

export interface Config {
  env: 'development' | 'production' | 'test';
  host: string;
  port: number;
  logLevel: string;
  database: DatabaseConfig;
  /** Seed demo data into an empty database at start. */
  seedDemo: boolean;
  /** Operator token; generated at start outside production when absent. */
  opsToken?: string;
  defaultTimezone: string;
  graphiql: boolean;
  /** Schema introspection and field suggestions (INTROSPECTION; off in production). */
  introspection: boolean;
  metrics: MetricsConfig;
  http: HttpServerConfig;
  cache: CacheConfig;
  tracing: TracingOptions;
  /** Cost budgets and the bulkhead (README: Budgets); null with BUDGETS_ENABLED=false. */
  budget: BudgetConfig | null;
  /** What one request may ask for (LIMIT_*). */
  limits: Limits;
  shutdown: ShutdownConfig;
  auth: AuthConfig;
  /** Live queries' bounds and timings (LIVE_*). */
  live: LiveConfig;
}

export interface AuthConfig {
  /** How often every instance reads the keys revoked anywhere (ms; at most 1 s). */
  revocationPollMs: number;
  /** Unknown or revoked key hashes refused without a query, for 60 s each. */
  unknownKeysMax: number;
  /** Valid keys remembered, each for at most 60 s and never past its expiry. */
  keysMax: number;
}

export interface ShutdownConfig {
  /**
   * After SIGTERM, how long the instance keeps serving with /readyz at 503 before it stops
   * taking connections: the time a load balancer needs to notice and move away.
   */
  delayMs: number;
  /** The whole drain's bound; past it the process exits with status 1. */
  timeoutMs: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** Reads the whole configuration from the environment; lists every problem at once. */
export function parseConfig(env: Env): Config {
  const blanksRemoved = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== ''));
  const parsed = envSchema.safeParse(blanksRemoved);
  const problems = parsed.success
    ? []
    : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  if (blanksRemoved.NODE_ENV === 'production' && !blanksRemoved.OPS_TOKEN) {
    problems.push('OPS_TOKEN: required when NODE_ENV=production');
  }
  problems.push(...redisProblems(blanksRemoved), ...httpProblems(parsed.data));
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);
  const e = parsed.data;
  const redis = redisConfig(e);
  return {
    env: e.NODE_ENV,
    host: e.HOST,
    port: e.PORT,
    logLevel: e.LOG_LEVEL,
    database: {
      url: e.DATABASE_URL,
      sqlitePath: e.SQLITE_PATH,
      schema: e.DATABASE_SCHEMA,
      timeoutMs: e.DATABASE_TIMEOUT_MS,
    },
    seedDemo: e.SEED_DEMO ?? e.NODE_ENV !== 'production',
    opsToken: e.OPS_TOKEN,
    defaultTimezone: e.DEFAULT_TIMEZONE,
    graphiql: e.GRAPHIQL ?? e.NODE_ENV !== 'production',
    introspection: e.INTROSPECTION ?? e.NODE_ENV !== 'production',
    metrics: { token: e.METRICS_TOKEN, port: e.METRICS_PORT },
    http: {
      headersTimeoutMs: e.HTTP_HEADERS_TIMEOUT_MS,
      requestTimeoutMs: e.HTTP_REQUEST_TIMEOUT_MS,
      keepAliveTimeoutMs: e.HTTP_KEEP_ALIVE_TIMEOUT_MS,
      checkIntervalMs: e.HTTP_CHECK_INTERVAL_MS,
    },
    auth: {
      revocationPollMs: e.KEY_REVOCATION_POLL_MS,
      unknownKeysMax: e.AUTH_UNKNOWN_KEYS_MAX,
      keysMax: e.AUTH_KEYS_MAX,
    },
    live: {
      ...LIVE_DEFAULTS,
      maxStreams: e.LIVE_MAX_STREAMS,
      maxStreamsPerTenant: e.LIVE_MAX_STREAMS_PER_TENANT,
      maxGroups: e.LIVE_MAX_GROUPS,
      maxResultBytes: e.LIVE_MAX_RESULT_BYTES,
      maxDocumentBytes: e.LIVE_MAX_DOCUMENT_BYTES,
      heartbeatMs: e.LIVE_HEARTBEAT_MS,
      maxThrottleMs: e.LIVE_MAX_THROTTLE_MS,
      untaggedPollMs: e.LIVE_UNTAGGED_POLL_MS,
    },
    shutdown: {
      delayMs: e.SHUTDOWN_DELAY_MS ?? (e.NODE_ENV === 'production' ? 5_000 : 0),
      timeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    },
    cache: {
      backend: !e.CACHE_ENABLED ? 'DISABLED' : redis ? 'REDIS' : 'MEMORY',
      redisUrl: e.REDIS_URL,
      redis,
      prefix: e.CACHE_PREFIX,
      maxEntries: e.CACHE_MAX_ENTRIES,
      timeoutMs: e.CACHE_TIMEOUT_MS,
      debug: e.CACHE_DEBUG,
      warmIntervalSeconds: e.CACHE_WARM_INTERVAL,
      warmConcurrency: e.CACHE_WARM_CONCURRENCY,
      warmTop: e.CACHE_WARM_TOP,
      breakerThreshold: e.CACHE_BREAKER_THRESHOLD,
      probeIntervalMs: e.CACHE_PROBE_INTERVAL_MS,
      maxEntryBytes: e.CACHE_MAX_ENTRY_BYTES,
      compressMinBytes: e.CACHE_COMPRESS_MIN_BYTES,
      nearMaxBytes: e.CACHE_NEAR_MAX_BYTES,
      logMax: e.CACHE_LOG_MAX,
      statsFlushMs: e.CACHE_STATS_FLUSH_MS,
      swrTypes: e.CACHE_SWR_TYPES.split(','),
      swrGraceSeconds: e.CACHE_SWR_GRACE,
      staleIfErrorSeconds: e.CACHE_STALE_IF_ERROR,
      outboxPollMs: e.CACHE_OUTBOX_POLL_MS,
      apqTtlSeconds: e.APQ_TTL,
      apqMaxEntries: e.APQ_MAX_ENTRIES,
      bounds: boundsOf(e),
      ttlSimSample: e.CACHE_TTL_SIM_SAMPLE,
      ttlOverrides: Object.fromEntries(
        TTL_RULES.map((rule) => [
          rule.env,
          (e as Record<string, unknown>)[rule.env] as number | undefined,
        ]),
      ),
    },
    tracing: {
      enabled:
        Boolean(e.OTEL_EXPORTER_OTLP_ENDPOINT || e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) ||
        (e.OTEL_TRACES_EXPORTER !== undefined && e.OTEL_TRACES_EXPORTER !== 'none'),
      serviceName: e.OTEL_SERVICE_NAME,
    },
    budget: e.BUDGETS_ENABLED
      ? {
          maximumAvailable: e.BUDGET_MAX_POINTS,
          restoreRate: e.BUDGET_RESTORE_RATE,
          hitCost: e.COST_HIT,
          fallbackShare: e.BUDGET_FALLBACK_SHARE,
          maxTenants: e.BUDGET_MAX_TENANTS,
          metricTenants: e.BUDGET_METRIC_TENANTS,
          maxConcurrentMisses: e.TENANT_MAX_CONCURRENT_MISSES,
          missQueue: e.TENANT_MISS_QUEUE,
          missQueueMs: e.TENANT_MISS_QUEUE_MS,
          planPollMs: e.BUDGET_PLAN_POLL_MS,
        }
      : null,
    limits: Object.fromEntries(
      Object.entries(LIMIT_ENV).map(([limit, env]) => [
        limit,
        (e as unknown as Record<string, number>)[env],
      ]),
    ) as unknown as Limits,
  };
}

/** Rules between the HTTP variables (node refuses a header timeout above the request's). */
function httpProblems(e: z.infer<typeof envSchema> | undefined): string[] {
  if (!e) return [];
  const problems: string[] = [];
  if (e.HTTP_HEADERS_TIMEOUT_MS > e.HTTP_REQUEST_TIMEOUT_MS) {
    problems.push('HTTP_HEADERS_TIMEOUT_MS: must not be above HTTP_REQUEST_TIMEOUT_MS');
  }
  if (e.METRICS_PORT !== undefined && e.METRICS_PORT !== 0 && e.METRICS_PORT === e.PORT) {
    problems.push('METRICS_PORT: must differ from PORT (unset it to serve /metrics on PORT)');
  }
  return problems;
}

import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import { createAuthenticator, registerAuthMetrics } from './auth/authenticator.js';
import { createRequestAuth } from './auth/request-auth.js';
import { type BudgetConfig, createBudgets } from './budget/budgets.js';
import { createBulkhead } from './budget/bulkhead.js';
import { createPlanBook } from './budget/plans.js';
import { createOutbox } from './cache/invalidation/outbox.js';
import type { CacheInvalidator } from './cache/invalidation/tags.js';
import { createCacheRuntime, redisConfigOf } from './cache/runtime.js';
import { createRedisClient } from './cache/store/redis/client.js';
import type { ResponseStore } from './cache/store/store.js';
import type { AuthConfig, CacheConfig } from './config.js';
import { createDrain } from './drain.js';
import { createHttpFront } from './http/front.js';
import { createHitPath } from './http/hit-path.js';
import { DEFAULT_LIMITS, type Limits, limitsFingerprint } from './limits.js';
import { createInvalidationBus } from './live/bus.js';
import { createLiveExecutor } from './live/execute.js';
import { createLiveHub } from './live/hub.js';
import { createLiveListener } from './live/listener.js';
import { LIVE_DEFAULTS, type LiveConfig, liveGroupsBound } from './live/live-config.js';
import { createMetricsGate, createMetricsListener } from './ops/metrics.js';
import { schema } from './schema/index.js';
import { createServices } from './services/services.js';
import { traceSql } from './telemetry/sql.js';
import { TRACING_OFF, type Tracing } from './telemetry/tracing.js';
import { rememberDays, rememberedDayBytes } from './time.js';
import { createReplayPort } from './warming/replay.js';
import { createWarmer } from './warming/warming.js';
import { createServer, type ServerDeps } from './yoga/server.js';
import { createLiveBudget, useCostBudget } from './yoga/use-cost-budget.js';
import { useResponseCache } from './yoga/use-response-cache.js';

export interface AppDeps {
  db: DataSource;
  logger: Logger;
  cache: CacheConfig;
  opsToken: string;
  defaultTimezone: string;
  clock?: () => Date;
  graphiql?: ServerDeps['graphiql'];
  /** Query and request limits; DEFAULT_LIMITS when absent. */
  limits?: Limits;
  /** Overrides the store CacheConfig would build (tests). */
  store?: ResponseStore;
  /** PostgreSQL: the outbox LISTENs here for other instances' invalidations. */
  databaseUrl?: string;
  /** Schema introspection and field suggestions (INTROSPECTION); default on. */
  introspection?: boolean;
  /**
   * GET /metrics: `token` is accepted besides the operator token; with `separatePort` it is
   * served by `metricsListener` only (open unless `token` is set), not on the main port.
   */
  metrics?: { token?: string; separatePort?: boolean };
  /** API keys: the unknown-key table's bound, the revocation poll, the last-use flush. */
  auth?: Partial<AuthConfig> & { lastUsedFlushMs?: number };
  /** Live queries' bounds and timings (LIVE_*); LIVE_DEFAULTS for what is absent. */
  live?: Partial<LiveConfig>;
  /** OpenTelemetry, started by main.ts (src/telemetry/tracing.ts); off when absent. */
  tracing?: Tracing;
  /** Cost budgets and the bulkhead (BUDGET_*, TENANT_*); absent: off. */
  budget?: BudgetConfig;
}

/** Wires auth, cache, services and the GraphQL server together; starts nothing. */
export function createApp(deps: AppDeps) {
  const clock = deps.clock ?? (() => new Date());
  const tracing = deps.tracing ?? TRACING_OFF;
  // A span per SQL statement, child of the execution that ran it (nothing when off).
  traceSql(deps.db, tracing);
  const limits = deps.limits ?? DEFAULT_LIMITS;
  const introspection = deps.introspection ?? true;
  // The hit path answers by key without validating: an entry stored by an instance that lets
  // introspection through must never be found by one that refuses it.
  const keySalt = `${limitsFingerprint(limits)}.i${introspection ? 1 : 0}`;
  const metricsToken = deps.metrics?.token;
  const separateMetrics = deps.metrics?.separatePort ?? false;
  const authenticate = createAuthenticator({
    db: deps.db,
    opsToken: deps.opsToken,
    logger: deps.logger,
    maxUnknown: deps.auth?.unknownKeysMax,
    maxKeys: deps.auth?.keysMax,
    revocationPollMs: deps.auth?.revocationPollMs,
    lastUsedFlushMs: deps.auth?.lastUsedFlushMs,
    listenUrl: deps.databaseUrl,
  });
  const auth = createRequestAuth(authenticate);
  // In dependency order: storage, then the outbox, then Yoga. What replays requests through
  // Yoga (stale-while-revalidate refreshes, the warmer) is built before it and reaches it
  // through this port, connected right after Yoga is built.
  const replay = createReplayPort();
  const cache = createCacheRuntime({
    config: deps.cache,
    schema,
    logger: deps.logger,
    store: deps.store,
    tracing,
  });
  // The days the agenda's loader computed, bounded like every memo of what clients send.
  const dayBytes = cache.bounds.dayRangeBytes;
  rememberDays(dayBytes, cache.stats.budget('day_ranges', dayBytes, rememberedDayBytes));
  // Its stale-while-revalidate refreshes replay through the port.
  const responseCache = useResponseCache({
    cache,
    auth,
    logger: deps.logger,
    debug: deps.cache.debug,
    keySalt,
    replay: replay.replay,
  });
  // Cost budgets (DESIGN §15) in the cache's Redis, under its prefix, with the operators' plans
  // (read from the database, polled); replays through the port (warming, refreshes) are the
  // server's own work and charge nobody.
  const replayed = new WeakSet<Request>();
  const plans = createPlanBook({
    db: deps.db,
    pollMs: deps.budget?.planPollMs ?? 250,
    logger: deps.logger,
  });
  const budgets = deps.budget
    ? createBudgets({
        config: deps.budget,
        redis: cache.redis,
        prefix: deps.cache.prefix,
        registry: cache.stats.registry,
        planOf: plans.get,
        onError: (err) => deps.logger.debug({ err }, 'budget charge failed'),
      })
    : null;
  // Live queries run through the response cache (the replay port) and hear of every
  // invalidation applied anywhere: here at once, elsewhere over the bus (DESIGN §14).
  const liveConfig = { ...LIVE_DEFAULTS, ...deps.live };
  const live = createLiveHub({
    config: liveConfig,
    execute: createLiveExecutor({ replay: replay.replay, auth, cache, responseCache }),
    authenticate,
    keySalt,
    registry: cache.stats.registry,
    logger: deps.logger,
    // Streams pay at open and for each re-execution (README: Budgets, live queries).
    budget: budgets ? createLiveBudget(budgets, schema) : null,
  });
  // The groups' results and requests, in the memory-bounds table (README: Memory bounds).
  cache.stats.budget('live_results', liveGroupsBound(liveConfig), () => live.counts().bytes);
  const busRedisConfig = deps.cache.backend === 'REDIS' ? redisConfigOf(deps.cache) : undefined;
  const busRedis = busRedisConfig
    ? createRedisClient(busRedisConfig, { timeoutMs: deps.cache.timeoutMs })
    : null;
  busRedis?.on('error', (err) => deps.logger.debug({ err }, 'live bus redis error'));
  const bus = createInvalidationBus({
    redis: busRedis,
    prefix: deps.cache.prefix,
    logger: deps.logger,
    onNotice: live.notice,
    onResync: live.resync,
  });
  const invalidateApplied = cache.invalidate;
  const outbox = createOutbox({
    db: deps.db,
    // Whoever applies an invalidation announces it, the writer or the sweep that took over.
    invalidate:
      invalidateApplied &&
      (async (tenantId, tags) => {
        try {
          return await invalidateApplied(tenantId, tags);
        } finally {
          bus.publish(tenantId, tags);
        }
      }),
    invalidateNow: async (tenantId, tags) => {
      const removed = await cache.invalidateNow(tenantId, tags);
      bus.publish(tenantId, tags);
      return removed;
    },
    logger: deps.logger,
    pollMs: deps.cache.outboxPollMs,
    listenUrl: deps.databaseUrl,
  });
  // The store trusts itself (at start, after an outage) only once the outbox is applied.
  cache.beforeTrust(async () => {
    await outbox.sweep();
  });
  const drain = createDrain();
  // An invalidation in flight when the process stops is finished before it exits.
  const writes = outbox.invalidator;
  const invalidator: CacheInvalidator = {
    transaction: (work) => drain.track(writes.transaction(work)),
  };
  cache.stats.provide({
    outboxPending: () => outbox.pendingNow(),
    listeners: () => [
      { name: 'outbox', listening: outbox.listening() },
      { name: 'revocations', listening: authenticate.listening() },
    ],
  });
  registerAuthMetrics(cache.stats.registry, authenticate);
  const warmer = createWarmer({
    db: deps.db,
    replay: replay.replay,
    auth,
    logger: deps.logger,
    concurrency: deps.cache.warmConcurrency,
    popular: cache.popular,
    clock,
  });
  const services = createServices(
    {
      db: deps.db,
      cache: invalidator,
      clock,
      logger: deps.logger,
      defaultTimezone: deps.defaultTimezone,
      maxRenderBytes: limits.renderBytes,
    },
    {
      runtime: cache,
      warm: (userIds) => warmer.warm(userIds),
      live: { counts: live.counts, announce: bus.publish },
      budgets: () => budgets?.tenants() ?? [],
    },
    { created: authenticate.created, revoked: authenticate.revoked },
    { changed: plans.apply },
  );
  const costBudget =
    budgets && deps.budget
      ? useCostBudget({
          budgets,
          bulkhead: createBulkhead({
            limitOf: budgets.maxConcurrentOf,
            queueMax: deps.budget.missQueue,
            queueMs: deps.budget.missQueueMs,
          }),
          auth,
          cacheStateOf: responseCache.stateFor,
          exempt: (request) => replayed.has(request),
        })
      : undefined;
  const yoga = createServer({
    db: deps.db,
    services,
    auth,
    cache,
    responseCache,
    logger: deps.logger,
    graphiql: deps.graphiql,
    limits,
    draining: () => drain.draining,
    introspection,
    tracing,
    metrics: separateMetrics
      ? null
      : createMetricsGate([deps.opsToken, ...(metricsToken ? [metricsToken] : [])]),
    costBudget,
  });
  replay.connect((request) => {
    replayed.add(request);
    return yoga.fetch(request);
  });
  /** What node:http serves: the hit path in front of Yoga. */
  const http = createHttpFront({
    yoga,
    hitPath: createHitPath({
      cache,
      limits,
      keySalt,
      debug: deps.cache.debug,
      tracing,
      budgets,
    }),
    tracing,
    limits,
    auth,
    graphiql: Boolean(deps.graphiql),
    logger: deps.logger,
    live: createLiveListener({ hub: live, limits }),
  });
  return {
    yoga,
    http,
    /** What node:http serves on METRICS_PORT: GET /metrics, gated by `metrics.token` if set. */
    metricsListener: createMetricsListener(
      cache.stats.registry,
      createMetricsGate(metricsToken ? [metricsToken, deps.opsToken] : []),
    ),
    services,
    cache,
    /** The response cache's Yoga plugins; stateFor(request) tells what it did for a request. */
    responseCache,
    warmer,
    auth,
    /** The API key table: known keys, revocations, and whether it LISTENs for them. */
    authenticate,
    /** Cost budgets (null when off) and their Yoga plugins. */
    budgets,
    costBudget,
    /**
     * For a stopping process, once the HTTP server stopped taking requests and the last one
     * was answered: /readyz turns 503, pending invalidations finish, then the onDrain hooks run.
     */
    drain: () => drain.drain(),
    /** Registers work drain() runs last (e.g. a write-behind outbox's final flush). */
    onDrain: (hook: () => Promise<void>) => drain.onDrain(hook),
    /** Tells /readyz to answer 503 (before the server stops), without waiting for anything. */
    startDraining: () => {
      drain.begin();
      // Clients that open a live query now reconnect elsewhere at once (503).
      live.refuseNew();
    },
    outbox,
    /** Live queries: their counts, and endAll() for a stopping process. */
    live,
    /**
     * Waits for the cache (and applies the outbox), then starts the outbox's sweeper.
     * `cacheReadyMs`: how long to wait for Redis to connect (3 s by default); without it the
     * app starts all the same and serves from the database.
     */
    async start(options: { cacheReadyMs?: number } = {}) {
      const trusted = await cache.ready(options.cacheReadyMs);
      await outbox.start();
      authenticate.start();
      if (budgets) await plans.start();
      return trusted;
    },
    async close() {
      live.close();
      await bus.close();
      busRedis?.disconnect();
      await authenticate.close();
      await plans.close();
      budgets?.flush(); // the hits of the last moment are charged
      await outbox.close();
      await cache.close();
    },
  };
}

export type App = ReturnType<typeof createApp>;

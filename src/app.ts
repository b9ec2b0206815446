import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import { createAuthenticator, registerAuthMetrics } from './auth/authenticator.js';
import { createRequestAuth } from './auth/request-auth.js';
import { type BudgetConfig, createBudgets } from './budget/budgets.js';
import { createBulkhead } from './budget/bulkhead.js';
import { createPlanBook } from './budget/plans.js';
import { createOutbox } from './cache/invalidation/outbox.js';
import type { CacheInvalidator } from './cache/invalidation/tags.js';
import { createCacheRuntime } from './cache/runtime.js';
import type { ResponseStore } from './cache/store/store.js';
import type { AuthConfig, CacheConfig } from './config.js';
import { createDrain } from './drain.js';
import { createHttpFront } from './http/front.js';
import { createHitPath } from './http/hit-path.js';
import { DEFAULT_LIMITS, type Limits, limitsFingerprint } from './limits.js';
import { createMetricsGate, createMetricsListener } from './ops/metrics.js';
import { schema } from './schema/index.js';
import { createServices } from './services/services.js';
import { createReplayPort } from './warming/replay.js';
import { createWarmer } from './warming/warming.js';
import { createServer, type ServerDeps } from './yoga/server.js';
import { useCostBudget } from './yoga/use-cost-budget.js';
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
  /** Cost budgets and the bulkhead (BUDGET_*, TENANT_*); absent: off. */
  budget?: BudgetConfig;
}

/** Wires auth, cache, services and the GraphQL server together; starts nothing. */
export function createApp(deps: AppDeps) {
  const clock = deps.clock ?? (() => new Date());
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
  });
  const outbox = createOutbox({
    db: deps.db,
    invalidate: cache.invalidate,
    invalidateNow: cache.invalidateNow,
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
  cache.stats.provide({ outboxPending: () => outbox.pendingNow() });
  registerAuthMetrics(cache.stats.registry, authenticate);
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
      budgets: () => budgets?.tenants() ?? [],
    },
    { created: authenticate.created, revoked: authenticate.revoked },
    { changed: plans.apply },
  );
  // Its stale-while-revalidate refreshes replay through the port.
  const responseCache = useResponseCache({
    cache,
    auth,
    logger: deps.logger,
    debug: deps.cache.debug,
    keySalt,
    replay: replay.replay,
  });
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
    hitPath: createHitPath({ cache, limits, keySalt, debug: deps.cache.debug, budgets }),
    limits,
    auth,
    graphiql: Boolean(deps.graphiql),
    logger: deps.logger,
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
    /** Cost budgets (null when off) and the live-query hook that charges an execution. */
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
    startDraining: () => drain.begin(),
    outbox,
    /** Waits for the cache (and applies the outbox), then starts the outbox's sweeper. */
    async start() {
      const trusted = await cache.ready();
      await outbox.start();
      authenticate.start();
      if (budgets) await plans.start();
      return trusted;
    },
    async close() {
      await authenticate.close();
      await plans.close();
      budgets?.flush(); // the hits of the last moment are charged
      await outbox.close();
      await cache.close();
    },
  };
}

export type App = ReturnType<typeof createApp>;

import type { GraphQLSchema } from 'graphql';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { RedisConfig } from '../redis-config.js';
import { ATTR, inSpan, TRACING_OFF, type Tracing } from '../telemetry/tracing.js';
import type { CacheConfig } from './cache-config.js';
import { documentHashBudget, schemaHash } from './key.js';
import { DEFAULT_BOUNDS } from './memory-bounds.js';
import { ttlPolicy } from './policy.js';
import { createPopularRequests } from './popular.js';
import type { RequestCacheState } from './request-state.js';
import { createResponseSave } from './response-save.js';
import { createSingleFlight } from './single-flight.js';
import { type ClusterStats, createClusterStats } from './stats/cluster-stats.js';
import { createCacheStats } from './stats/stats.js';
import { createTtlSimulator } from './stats/ttl-simulator.js';
import { APQ_DEFAULTS, createApqStore } from './store/apq-store.js';
import { createMemoryStore } from './store/memory-store.js';
import { createRecentEntries } from './store/recent-entries.js';
import { createRedisClient, type RedisClient, whenReady } from './store/redis/client.js';
import { createRedisStore } from './store/redis/redis-store.js';
import {
  createResilientStore,
  type ResilientStore,
  withStoreTimeout,
} from './store/resilient-store.js';
import type { ResponseStore } from './store/store.js';
import { guardFailover, withTopologyInfo } from './store/topology.js';
import { traceStore } from './store/traced-store.js';

/** The Redis settings of a cache config: `redis`, else a single server at `redisUrl`. */
export function redisConfigOf(config: CacheConfig): RedisConfig | undefined {
  if (config.redis) return config.redis;
  return config.redisUrl ? { topology: { kind: 'standalone', url: config.redisUrl } } : undefined;
}

export interface CacheRuntimeOptions {
  config: CacheConfig;
  schema: GraphQLSchema;
  logger: Logger;
  /** Tests pass their own store (e.g. against a redis-server they kill). */
  store?: ResponseStore;
  /** Spans for store calls and invalidations when on (README: Tracing). */
  tracing?: Tracing;
}

/** The cache as the rest of the app sees it: plugins, invalidator, stats, state. */
export function createCacheRuntime(options: CacheRuntimeOptions) {
  const { config, logger } = options;
  const log = logger.child({ component: 'cache' });
  const stats = createCacheStats();
  const policy = ttlPolicy(config.ttlOverrides);
  const bounds = { ...DEFAULT_BOUNDS, ...config.bounds };
  documentHashBudget.maxBytes = bounds.keyMemoBytes / 4;
  let redis: RedisClient | null = null;
  const trustHooks: (() => Promise<void>)[] = [];
  const tracing = options.tracing ?? TRACING_OFF;
  // Why a lookup found nothing (README: Why a miss), bounded by CACHE_MISS_REASON_BYTES.
  const recent = createRecentEntries({ maxBytes: bounds.missReasonBytes });
  stats.budget('miss_reasons', bounds.missReasonBytes, () => recent?.bytes() ?? 0);

  let base: ResponseStore | null = options.store ?? null;
  const redisConfig = redisConfigOf(config);
  if (!base && config.backend === 'REDIS' && redisConfig) {
    const client = createRedisClient(redisConfig, { timeoutMs: config.timeoutMs });
    redis = client;
    const store = createRedisStore({
      // The store's calls (evalsha/eval with keys of one slot, get, duplicate, subscribe, ping)
      // exist with the same meaning on a Cluster, which routes each by its key.
      redis: client as Redis,
      prefix: config.prefix,
      schemaHash: schemaHash(options.schema),
      nearMaxBytes: config.nearMaxBytes,
      logMax: config.logMax,
      recent,
      onError: (err) => log.debug({ err }, 'redis error'),
    });
    base = withTopologyInfo(
      guardFailover(store, client, {
        retryMs: config.probeIntervalMs,
        onBump: (epoch, reason) =>
          log.warn({ epoch, reason }, 'redis master changed: epoch bumped, caching again'),
      }),
      client,
    );
  } else if (!base && config.backend === 'MEMORY') {
    const budget = stats.budget('memory_store', bounds.storeBytes);
    const memory = createMemoryStore({
      maxEntries: config.maxEntries,
      maxBytes: bounds.storeBytes,
      onEvict: () => budget.evictions++,
      onRefuse: () => budget.refusals++,
      recent,
    });
    budget.reader = memory.bytes;
    base = memory;
  }

  // Off, the store is used as it is: no wrapper on the hit path.
  if (base && tracing.on) base = traceStore(base, tracing);
  const store: ResilientStore | null =
    base &&
    createResilientStore(base, {
      timeoutMs: config.timeoutMs,
      failureThreshold: config.breakerThreshold,
      probeIntervalMs: config.probeIntervalMs,
      // Always a hook (an empty list is a no-op): the store then trusts itself only after the
      // work registered by whatever is built on it (the outbox sweep) succeeded.
      beforeTrust: async () => {
        for (const hook of trustHooks) await hook();
      },
      logger,
      onError: () => stats.error(),
    });

  stats.provide({
    fallbackActive: () => store?.state().fallbackActive ?? false,
    nearStats: () => store?.nearStats() ?? null,
    storeInfo: async () => {
      const info = store ? await store.info() : null;
      if (!info) throw new Error('store unavailable');
      return info;
    },
  });
  // Cluster-wide totals live in the Redis the cache uses, over a connection of their own; the
  // memory backend is one process.
  const statsRedis = redis?.duplicate() ?? null;
  statsRedis?.on('error', (err) => log.debug({ err }, 'stats redis error'));
  const cluster: ClusterStats | null = statsRedis
    ? createClusterStats({
        // Its commands route by key on a Cluster too (see topology.ts).
        redis: statsRedis as Redis,
        prefix: config.prefix,
        stats,
        flushIntervalMs: config.statsFlushMs,
        onError: (err) => log.debug({ err }, 'stats flush failed'),
      })
    : null;

  // Each instance lists what its own clients send (README: Warming).
  const popular = createPopularRequests({
    max: config.warmTop,
    budget: stats.budget('popular', bounds.popularBytes),
  });
  // What a longer or shorter TTL would buy, per operation (README: TTL simulator).
  const ttlSimulator = createTtlSimulator({
    sample: config.ttlSimSample ?? 0.1,
    budget: stats.budget('ttl_simulator', bounds.ttlSimBytes),
  });
  const observe = (state: RequestCacheState) => {
    const { scope, key, etag, outcome } = state;
    if (!scope || !key || !etag || (outcome !== 'hit' && outcome !== 'miss')) return;
    const ttl = state.debug?.ttl;
    ttlSimulator.observe({
      scope,
      key,
      operationName: state.ranAs ?? state.operationName ?? 'anonymous',
      etag,
      ttlMs: outcome === 'hit' ? null : ttl == null ? Number.POSITIVE_INFINITY : ttl * 1000,
      invalidated: state.reason === 'invalidated',
    });
  };
  // What a miss stores, whatever server runs it (src/yoga/use-response-cache.ts is Yoga's).
  const save = createResponseSave({
    store,
    schema: options.schema,
    policy,
    maxEntryBytes: config.maxEntryBytes,
    compressMinBytes: config.compressMinBytes,
    swrTypes: new Set(config.swrTypes),
    swrGraceMs: config.swrGraceSeconds * 1000,
    staleIfErrorMs: config.staleIfErrorSeconds * 1000,
  });

  // Persisted documents share the cache's Redis (and its breaker), else live in this process.
  const apq = createApqStore({
    redis,
    prefix: config.prefix,
    ttlSeconds: config.apqTtlSeconds ?? APQ_DEFAULTS.ttlSeconds,
    maxEntries: config.apqMaxEntries ?? APQ_DEFAULTS.maxEntries,
    maxBytes: bounds.apqBytes,
    maxDocumentBytes: bounds.apqDocumentBytes,
    tenantQuotaBytes: bounds.apqTenantQuotaBytes,
    budget: stats.budget('apq', redis ? 0 : bounds.apqBytes),
    available: () => !store?.state().fallbackActive,
    onError: (err) => log.debug({ err }, 'apq store error'),
  });

  /** A write's invalidation after commit; null when not applied (the outbox keeps it). */
  async function invalidate(tenantId: string, tags: string[]): Promise<number | null> {
    if (!store) return 0;
    const removed = tracing.on
      ? await invalidationSpan(tags, () => store.invalidate(tenantId, tags))
      : await store.invalidate(tenantId, tags);
    if (removed === null) {
      // With the breaker closed, a Redis Cluster slot on the move (logged by the store, at
      // info): planned maintenance, not a warning per write.
      if (store.state().fallbackActive)
        log.warn({ tenantId, tags }, 'invalidation not applied: left in the outbox');
      else log.debug({ tenantId, tags }, 'invalidation not applied: left in the outbox');
      return null;
    }
    stats.invalidated(removed, { tenantId, tags, purge: false });
    log.info({ tenantId, tags, removed }, 'cache invalidated');
    return removed;
  }

  /** One span per invalidation this instance applies: its tags, what it removed, by whom. */
  function invalidationSpan<T extends number | null>(tags: string[], apply: () => Promise<T>) {
    const attributes = { [ATTR.invalidationTags]: tags, [ATTR.instance]: tracing.instance };
    return inSpan(tracing, 'hotpath.cache.invalidate', attributes, async (span) => {
      const removed = await apply();
      span.setAttribute(ATTR.invalidationRemoved, removed ?? -1);
      span.setAttribute('hotpath.cache.invalidation.applied', removed !== null);
      return removed;
    });
  }

  return {
    backend: store ? store.backend : ('DISABLED' as const),
    /**
     * Registers work the store runs before it is trusted, at start and after an outage (the
     * outbox's sweep: the outbox is built on the cache, so it registers itself afterwards).
     */
    beforeTrust(hook: () => Promise<void>) {
      trustHooks.push(hook);
    },
    store,
    stats,
    /** The cache's Redis client (null without Redis): the budgets keep their buckets there. */
    redis,
    /** Totals over every instance sharing this Redis; null for MEMORY and DISABLED. */
    cluster,
    policy,
    /** One execution per key at a time (DESIGN §8). */
    flights: createSingleFlight(1_000, stats.budget('single_flight', bounds.flightLingerBytes)),
    /** Reads a miss's result for its tags and TTL, and stores it with the lookup's clock. */
    save,
    /** The most requested cacheable requests of this instance, which the warmer sends again. */
    popular,
    /** What a TTL twice as long or half as long would have given, per operation. */
    ttlSimulator,
    /** Tells the TTL simulator of an answered request (a hit or a stored miss of a key). */
    answered: observe,
    /** Automatic persisted queries' documents (Redis when the cache has it, else memory). */
    apq,
    /** The bytes each in-memory structure may hold (README: Memory bounds). */
    bounds,
    /** null when caching is disabled: writes leave nothing in the outbox. */
    invalidate: store ? invalidate : null,
    /** For the outbox sweep: applies whatever the breaker says; throws when it can't. */
    async invalidateNow(tenantId: string, tags: string[]) {
      if (!base) return 0;
      const store = base;
      const apply = () =>
        withStoreTimeout(store.invalidate(tenantId, tags), Math.max(500, config.timeoutMs * 10));
      const removed = tracing.on ? await invalidationSpan(tags, apply) : await apply();
      stats.invalidated(removed, { tenantId, tags, purge: false });
      return removed;
    },
    /**
     * Waits (up to `timeoutMs`) for Redis to connect, so the first requests don't find the
     * store down. Resolves either way: without Redis the app serves from the database.
     */
    async ready(timeoutMs = 3_000): Promise<boolean> {
      const clients = [redis, statsRedis].filter(
        (c): c is RedisClient => !!c && c.status !== 'ready',
      );
      const connected = (
        await Promise.all(clients.map((client) => whenReady(client, timeoutMs)))
      ).every(Boolean);
      if (!connected)
        log.warn({ timeoutMs }, 'redis is not answering yet: serving from the database');
      // Invalidations left in the outbox (a crash, an outage) are applied before any lookup.
      const trusted = (await store?.start()) ?? true;
      return connected && trusted;
    },
    /** The store answers now (false when disabled or in fallback). */
    connected(): boolean {
      if (!store || store.state().fallbackActive) return false;
      return redis ? redis.status === 'ready' : true;
    },
    async close() {
      ttlSimulator.close();
      await cluster?.close();
      statsRedis?.disconnect();
      await store?.close();
      redis?.disconnect();
    },
  };
}

export type CacheRuntime = ReturnType<typeof createCacheRuntime>;

import type { GraphQLSchema } from 'graphql';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { CacheConfig, RedisConfig } from '../config.js';
import type { RequestAuth } from '../request-auth.js';
import { createResilientStore, type ResilientStore } from './breaker.js';
import { type ClusterStats, createClusterStats } from './cluster-stats.js';
import { createMemoryStore } from './memory-store.js';
import { ttlPolicy } from './policy.js';
import { createRedisStore } from './redis-store.js';
import { createResponseCache, schemaHash } from './response-cache.js';
import { createCacheStats } from './stats.js';
import type { ResponseStore } from './store.js';
import type { CacheInvalidator } from './tags.js';
import {
  createRedisClient as createClient,
  guardFailover,
  type RedisClient,
  whenReady,
  withTopologyInfo,
} from './topology.js';

/** A fail-fast client of a single Redis at `url` (see topology.ts for every topology). */
export function createRedisClient(url: string, timeoutMs: number): Redis {
  return createClient({ topology: { kind: 'standalone', url } }, { timeoutMs }) as Redis;
}

/** The Redis settings of a cache config: `redis`, else a single server at `redisUrl`. */
export function redisConfigOf(config: CacheConfig): RedisConfig | undefined {
  if (config.redis) return config.redis;
  return config.redisUrl ? { topology: { kind: 'standalone', url: config.redisUrl } } : undefined;
}

export interface CacheRuntimeOptions {
  config: CacheConfig;
  schema: GraphQLSchema;
  auth: RequestAuth;
  logger: Logger;
  /** Mixed into every key (the query limits in force). */
  keySalt?: string;
  /** Tests pass their own store (e.g. against a redis-server they kill). */
  store?: ResponseStore;
}

/** The cache as the rest of the app sees it: plugins, invalidator, stats, state. */
export function createCacheRuntime(options: CacheRuntimeOptions) {
  const { config, logger } = options;
  const log = logger.child({ component: 'cache' });
  const stats = createCacheStats();
  const policy = ttlPolicy(config.ttlOverrides);
  let redis: RedisClient | null = null;

  let base: ResponseStore | null = options.store ?? null;
  const redisConfig = redisConfigOf(config);
  if (!base && config.backend === 'REDIS' && redisConfig) {
    const client = createClient(redisConfig, { timeoutMs: config.timeoutMs });
    redis = client;
    const store = createRedisStore({
      // The store's calls (evalsha/eval with keys of one slot, get, duplicate, subscribe, ping)
      // exist with the same meaning on a Cluster, which routes each by its key.
      redis: client as Redis,
      prefix: config.prefix,
      schemaHash: schemaHash(options.schema),
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
    base = createMemoryStore({ maxEntries: config.maxEntries });
  }

  const store: ResilientStore | null =
    base &&
    createResilientStore(base, {
      timeoutMs: config.timeoutMs,
      failureThreshold: config.breakerThreshold,
      probeIntervalMs: config.probeIntervalMs,
      logger,
      onError: () => stats.error(),
    });

  stats.provide({
    fallbackActive: () => store?.state().fallbackActive ?? false,
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

  const responseCache = createResponseCache({
    store,
    schema: options.schema,
    policy,
    maxEntryBytes: config.maxEntryBytes,
    keySalt: options.keySalt,
    stats,
    auth: options.auth,
    logger,
    debug: config.debug,
  });

  const invalidator: CacheInvalidator = {
    async invalidate(tenantId, tags) {
      if (!store || tags.length === 0) return;
      const removed = await store.invalidate(tenantId, tags);
      if (removed === null) {
        log.warn({ tenantId, tags }, 'invalidation not applied: the epoch is bumped on recovery');
        return;
      }
      stats.invalidated(removed, { tenantId, tags, purge: false });
      log.info({ tenantId, tags, removed }, 'cache invalidated');
    },
  };

  return {
    backend: store ? store.backend : ('DISABLED' as const),
    store,
    stats,
    /** Totals over every instance sharing this Redis; null for MEMORY and DISABLED. */
    cluster,
    policy,
    responseCache,
    invalidator,
    /**
     * Waits (up to `timeoutMs`) for Redis to connect, so the first requests don't find the
     * store down. Resolves either way: without Redis the app serves from the database.
     */
    async ready(timeoutMs = 3_000): Promise<boolean> {
      const clients = [redis, statsRedis].filter(
        (c): c is RedisClient => !!c && c.status !== 'ready',
      );
      if (clients.length === 0) return true;
      const connected = (
        await Promise.all(clients.map((client) => whenReady(client, timeoutMs)))
      ).every(Boolean);
      if (!connected)
        log.warn({ timeoutMs }, 'redis is not answering yet: serving from the database');
      return connected;
    },
    /** The store answers now (false when disabled or in fallback). */
    connected(): boolean {
      if (!store || store.state().fallbackActive) return false;
      return redis ? redis.status === 'ready' : true;
    },
    async close() {
      await cluster?.close();
      statsRedis?.disconnect();
      await store?.close();
      redis?.disconnect();
    },
  };
}

export type CacheRuntime = ReturnType<typeof createCacheRuntime>;

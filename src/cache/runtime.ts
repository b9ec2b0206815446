import type { GraphQLSchema } from 'graphql';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { CacheConfig } from '../config.js';
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

/**
 * A Redis client that fails fast: no offline queue (a command while disconnected rejects at
 * once instead of waiting for a reconnect), every command bounded by the cache timeout, and
 * reconnection forever in the background.
 */
export function createRedisClient(url: string, timeoutMs: number) {
  return new Redis(url, {
    enableOfflineQueue: false,
    commandTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    connectTimeout: Math.max(1_000, timeoutMs * 20),
    retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, 1_000),
  });
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
  let redis: Redis | null = null;

  let base: ResponseStore | null = options.store ?? null;
  if (!base && config.backend === 'REDIS' && config.redisUrl) {
    const client = createRedisClient(config.redisUrl, config.timeoutMs);
    redis = client;
    base = createRedisStore({
      redis: client,
      prefix: config.prefix,
      schemaHash: schemaHash(options.schema),
      onError: (err) => log.debug({ err }, 'redis error'),
    });
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
        redis: statsRedis,
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
      const clients = [redis, statsRedis].filter((c): c is Redis => !!c && c.status !== 'ready');
      if (clients.length === 0) return true;
      const connected = (
        await Promise.all(
          clients.map(
            (client) =>
              new Promise<boolean>((resolve) => {
                const timer = setTimeout(() => resolve(false), timeoutMs);
                client.once('ready', () => {
                  clearTimeout(timer);
                  resolve(true);
                });
              }),
          ),
        )
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

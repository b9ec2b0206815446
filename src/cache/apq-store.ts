import { LRUCache } from 'lru-cache';
import type { RedisClient } from './topology.js';

/**
 * Where automatic persisted queries (Apollo's protocol) keep document texts by their SHA-256.
 * Documents are not tenant data: one store for every tenant, never a response.
 */
export interface ApqStore {
  readonly backend: 'REDIS' | 'MEMORY';
  /** The text registered under `hash`, or null: unknown, expired, or the store failed. */
  get(hash: string): Promise<string | null>;
  /** Registers a text whose hash the caller computed; never throws. */
  set(hash: string, query: string): Promise<void>;
}

export interface ApqStoreOptions {
  /** The cache's Redis client (fail-fast, short command timeout); null: in-process LRU. */
  redis: RedisClient | null;
  /** CACHE_PREFIX. */
  prefix: string;
  /** How long a registered document lives (APQ_TTL, s). */
  ttlSeconds: number;
  /** How many documents the in-process LRU keeps (APQ_MAX_ENTRIES). */
  maxEntries: number;
  /** False while the cache's breaker is open: Redis isn't asked, every hash is unknown. */
  available?: () => boolean;
  onError?: (err: unknown) => void;
}

export const APQ_DEFAULTS = { ttlSeconds: 86_400, maxEntries: 1_000 };

/**
 * The APQ store: in Redis when the cache has one (every instance sees what another registered),
 * else a bounded LRU in this process. A Redis failure only makes a hash unknown: the client
 * gets PERSISTED_QUERY_NOT_FOUND and sends the text, which is answered as usual.
 */
export function createApqStore(options: ApqStoreOptions): ApqStore {
  const { redis, ttlSeconds } = options;
  if (!redis) {
    const lru = new LRUCache<string, string>({
      max: options.maxEntries,
      ttl: ttlSeconds * 1000,
    });
    return {
      backend: 'MEMORY',
      get: async (hash) => lru.get(hash) ?? null,
      set: async (hash, query) => {
        lru.set(hash, query);
      },
    };
  }
  const available = options.available ?? (() => true);
  const onError = options.onError ?? (() => {});
  // The hash is its own Cluster hash tag: single-key commands, spread over every slot.
  const keyOf = (hash: string) => `${options.prefix}:apq:{${hash}}`;
  return {
    backend: 'REDIS',
    async get(hash) {
      if (!available()) return null;
      try {
        return await redis.get(keyOf(hash));
      } catch (err) {
        onError(err);
        return null;
      }
    },
    async set(hash, query) {
      if (!available()) return;
      try {
        await redis.set(keyOf(hash), query, 'EX', ttlSeconds);
      } catch (err) {
        onError(err);
      }
    },
  };
}

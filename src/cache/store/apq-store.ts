import { LRUCache } from 'lru-cache';
import { DEFAULT_BOUNDS } from '../memory-bounds.js';
import { ByteBudget, stringBytes } from '../stats/bounds.js';
import type { RedisClient } from './redis/client.js';

/**
 * Where automatic persisted queries (Apollo's protocol) keep document texts by their SHA-256.
 * Documents are not tenant data: one store for every tenant, never a response.
 */
export interface ApqStore {
  readonly backend: 'REDIS' | 'MEMORY';
  /** The text registered under `hash`, or null: unknown, expired, or the store failed. */
  get(hash: string): Promise<string | null>;
  /**
   * Registers a text whose hash the caller computed, for `tenantId` (whose quota it counts
   * against); never throws. A text over maxDocumentBytes, or over the tenant's quota, is not
   * registered: the request still runs, and the hash stays unknown.
   */
  set(hash: string, query: string, tenantId: string): Promise<void>;
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
  /** APQ_MAX_BYTES: what the in-process LRU may hold. */
  maxBytes?: number;
  /** APQ_MAX_DOCUMENT_BYTES: a longer document (UTF-8) is never registered. */
  maxDocumentBytes?: number;
  /** APQ_TENANT_QUOTA_BYTES: what one tenant may register in Redis per APQ_TTL window. */
  tenantQuotaBytes?: number;
  /** Bytes held in process (MEMORY), evictions and refusals (too large, over quota). */
  budget?: ByteBudget;
  /** False while the cache's breaker is open: Redis isn't asked, every hash is unknown. */
  available?: () => boolean;
  onError?: (err: unknown) => void;
}

export const APQ_DEFAULTS = { ttlSeconds: 86_400, maxEntries: 1_000 };

/**
 * Adds ARGV[1] bytes to the tenant's registrations of this window (KEYS[1]) when they stay
 * within ARGV[2]; the window starts with the first registration and lasts ARGV[3] seconds.
 * 1: counted, 0: over quota.
 */
const QUOTA_SCRIPT = `
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
if used + tonumber(ARGV[1]) > tonumber(ARGV[2]) then return 0 end
if redis.call('INCRBY', KEYS[1], ARGV[1]) == tonumber(ARGV[1]) then
  redis.call('EXPIRE', KEYS[1], ARGV[3])
end
return 1`;

/** Heap bytes of one in-process entry besides its text: the hash string and the LRU's slots. */
const MEMORY_ENTRY_BYTES = 192;

/**
 * The APQ store: in Redis when the cache has one (every instance sees what another registered),
 * else a bounded LRU in this process. A Redis failure only makes a hash unknown: the client
 * gets PERSISTED_QUERY_NOT_FOUND and sends the text, which is answered as usual.
 */
export function createApqStore(options: ApqStoreOptions): ApqStore {
  const { redis, ttlSeconds } = options;
  const maxBytes = options.maxBytes ?? DEFAULT_BOUNDS.apqBytes;
  const maxDocumentBytes = options.maxDocumentBytes ?? DEFAULT_BOUNDS.apqDocumentBytes;
  const tenantQuotaBytes = options.tenantQuotaBytes ?? DEFAULT_BOUNDS.apqTenantQuotaBytes;
  const budget = options.budget ?? new ByteBudget('apq', maxBytes);
  const tooLarge = (query: string) => {
    const large = Buffer.byteLength(query) > maxDocumentBytes;
    if (large) budget.refusals++;
    return large;
  };
  if (!redis) {
    const lru = new LRUCache<string, string>({
      max: options.maxEntries,
      maxSize: maxBytes,
      sizeCalculation: (query) => MEMORY_ENTRY_BYTES + stringBytes(query),
      ttl: ttlSeconds * 1000,
      dispose: (_value, _key, reason) => {
        if (reason === 'evict') budget.evictions++;
      },
    });
    budget.reader = () => lru.calculatedSize;
    return {
      backend: 'MEMORY',
      get: async (hash) => lru.get(hash) ?? null,
      set: async (hash, query) => {
        if (tooLarge(query)) return;
        if (MEMORY_ENTRY_BYTES + stringBytes(query) > maxBytes) {
          budget.refusals++;
          return;
        }
        lru.set(hash, query);
      },
    };
  }
  const available = options.available ?? (() => true);
  const onError = options.onError ?? (() => {});
  // The hash is its own Cluster hash tag: single-key commands, spread over every slot.
  const keyOf = (hash: string) => `${options.prefix}:apq:{${hash}}`;
  /** The bytes a tenant registered this window, in the tenant's slot (as redis-store.ts). */
  const quotaKeyOf = (tenantId: string) => `${options.prefix}:{t:${tenantId}}:apq-quota`;
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
    async set(hash, query, tenantId) {
      if (!available() || tooLarge(query)) return;
      try {
        // Known already (a client that sends text and hash again): nothing to count.
        if (await redis.exists(keyOf(hash))) return;
        // The quota lives in the tenant's slot, the document in its hash's: two commands,
        // each on one slot.
        const counted = await redis.eval(
          QUOTA_SCRIPT,
          1,
          quotaKeyOf(tenantId),
          Buffer.byteLength(query),
          tenantQuotaBytes,
          ttlSeconds,
        );
        if (counted !== 1) {
          budget.refusals++;
          return;
        }
        await redis.set(keyOf(hash), query, 'EX', ttlSeconds);
      } catch (err) {
        onError(err);
      }
    },
  };
}

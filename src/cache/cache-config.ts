import type { RedisConfig } from '../redis-config.js';
import type { MemoryBounds } from './memory-bounds.js';

/**
 * The settings the cache is built from (src/cache/runtime.ts). Declared here, by the part that
 * uses them: src/config.ts parses the environment into this shape and imports it, and the cache
 * never imports the configuration.
 */
export interface CacheConfig {
  /** DISABLED: CACHE_ENABLED=false; REDIS: a Redis topology set; MEMORY otherwise. */
  backend: 'REDIS' | 'MEMORY' | 'DISABLED';
  /** A single Redis by URL; kept for callers that only know a URL (tests). */
  redisUrl?: string;
  /** The Redis topology and its credentials; takes precedence over `redisUrl`. */
  redis?: RedisConfig;
  prefix: string;
  maxEntries: number;
  timeoutMs: number;
  debug: boolean;
  /** Seconds between warming runs; 0 turns the warmer off. */
  warmIntervalSeconds: number;
  warmConcurrency: number;
  /** How many of the most requested requests each instance lists and warms; 0: none. */
  warmTop: number;
  breakerThreshold: number;
  probeIntervalMs: number;
  /** The largest response body stored, in bytes; a larger one is served and not stored. */
  maxEntryBytes: number;
  /** Bodies of this many bytes or more are stored gzipped; 0: never. */
  compressMinBytes: number;
  /** Bytes of Redis entries kept in process, each checked by one round trip per hit; 0: none. */
  nearMaxBytes: number;
  /**
   * CACHE_LOG_MAX: the most tags each scope's invalidation log keeps in Redis (the newest); an
   * entry proven valid before the oldest of them reads as a miss.
   */
  logMax?: number;
  /** How often each instance adds its counts to the cluster-wide ones in Redis. */
  statsFlushMs: number;
  /** CACHE_TTL_* overrides, in seconds. */
  ttlOverrides: Record<string, number | undefined>;
  /** Types whose responses are served stale while one refresh runs (CACHE_SWR_TYPES). */
  swrTypes: string[];
  /** How long after their TTL those responses may be served stale (CACHE_SWR_GRACE, s). */
  swrGraceSeconds: number;
  /** How long after its TTL a response may stand in for a database failure (s; 0: never). */
  staleIfErrorSeconds: number;
  /** How often every instance sweeps the invalidation outbox (ms). */
  outboxPollMs: number;
  /** How long a persisted query's document stays registered (APQ_TTL, s; default 1 day). */
  apqTtlSeconds?: number;
  /** How many documents the in-process APQ store keeps without Redis (APQ_MAX_ENTRIES). */
  apqMaxEntries?: number;
  /** The in-memory bounds (README: Memory bounds); each has its default when absent. */
  bounds?: Partial<MemoryBounds>;
  /** The share of keys (0..1) the TTL simulator follows (CACHE_TTL_SIM_SAMPLE; default 0.1). */
  ttlSimSample?: number;
}

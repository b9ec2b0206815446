import { LRUCache } from 'lru-cache';
import type { MissReason } from '../outcome.js';

/**
 * What a store remembers of the entries it saved (or, on Redis, served), so that a lookup which
 * finds nothing can say why (README: Why a miss): never saved here → `first`; its TTL ran out →
 * `expired`; the scope was invalidated since (its generation moved) → `invalidated`; else the
 * store dropped it to make room → `evicted`. Bounded in bytes (CACHE_MISS_REASON_BYTES); a key
 * pushed out of this memory reads as `first` again, which is what an operator would guess too.
 */
export interface RecentEntries {
  /** `ttlMs` null: never expires. `generation`: the scope's invalidation generation now. */
  remember(scope: string, key: string, ttlMs: number | null, generation: string): void;
  reasonOf(scope: string, key: string, generation: string): MissReason;
  /** Bytes held (keys and their records), for the byte budget's gauge. */
  bytes(): number;
}

interface Remembered {
  /** When its TTL runs out (clock ms); Infinity when never. */
  until: number;
  generation: string;
}

export function createRecentEntries(options: {
  maxBytes: number;
  now?: () => number;
}): RecentEntries | null {
  if (options.maxBytes <= 0) return null;
  const now = options.now ?? (() => performance.now());
  const entries = new LRUCache<string, Remembered>({
    maxSize: options.maxBytes,
    // The key's characters twice (UTF-16) plus about 120 bytes of record and LRU slot.
    sizeCalculation: (value, key) => 120 + 2 * (key.length + value.generation.length),
  });
  const join = (scope: string, key: string) => `${scope}\0${key}`;
  return {
    remember(scope, key, ttlMs, generation) {
      const until = ttlMs === null ? Number.POSITIVE_INFINITY : now() + ttlMs;
      entries.set(join(scope, key), { until, generation });
    },
    reasonOf(scope, key, generation) {
      const known = entries.get(join(scope, key));
      if (!known) return 'first';
      if (now() >= known.until) return 'expired';
      if (known.generation !== generation) return 'invalidated';
      return 'evicted';
    },
    bytes: () => entries.calculatedSize ?? 0,
  };
}

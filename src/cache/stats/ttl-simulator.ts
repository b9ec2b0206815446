import { LRUCache } from 'lru-cache';
import type { ByteBudget } from './bounds.js';
import { OTHER_OPERATIONS } from './view.js';

/** One answer of a sampled key, as the request path hands it over (hits and misses). */
export interface TtlObservation {
  scope: string;
  key: string;
  operationName: string;
  /** The answer's ETag: the same body gives the same tag. */
  etag: string;
  /** The TTL it was stored with, in ms (Infinity: never expires); null on a hit (unknown). */
  ttlMs: number | null;
  /** The lookup missed because an invalidation removed the entry. */
  invalidated: boolean;
  at: number;
}

/** What the simulator says of one operation (cacheStats.ttlSimulation, the console). */
export interface TtlSimulation {
  operationName: string;
  /** Answers of sampled keys it saw. */
  sampled: number;
  /** Answers identical to the previous one of the same key, within the TTL of that one. */
  repeatsWithinTtl: number;
  /** Misses whose entry an invalidation removed before its TTL ran out. */
  invalidatedBeforeTtl: number;
  /** The hit rate the sample would have had with the TTL halved, as it is, and doubled. */
  hitRateHalfTtl: number | null;
  hitRate: number | null;
  hitRateDoubleTtl: number | null;
}

/** TTL factors simulated side by side: ½, 1, 2. */
const FACTORS = [0.5, 1, 2] as const;
/** The most operations reported one by one; the rest share OTHER_OPERATIONS. */
const MAX_OPERATIONS = 200;
/** Observations waiting for the background pass; past it they are dropped (and counted). */
const MAX_QUEUE = 1_000;
/** What a remembered key costs besides its characters: the record, its arrays, the LRU slot. */
const KEY_OVERHEAD_BYTES = 320;
const QUEUED_BYTES = 120;

interface KeyState {
  op: string;
  ttlMs: number;
  lastAt: number;
  lastEtag: string;
  /** Per factor, when the simulated entry was filled and with what; null: none. */
  fills: ({ at: number; etag: string } | null)[];
}

interface OpCounts {
  sampled: number;
  repeats: number;
  invalidated: number;
  hits: number[];
  misses: number[];
}

/**
 * The console's "what would a longer TTL buy me?" (README: TTL simulator). It follows a sample
 * of keys (CACHE_TTL_SIM_SAMPLE of them, chosen by their hash, so that a key is followed on every
 * instance or none) and replays their answers against three simulated caches whose TTL is ½,
 * 1 and 2 times the real one. A simulated entry serves a later answer when that answer is the
 * same body, within the simulated TTL, and no invalidation removed the real entry meanwhile
 * (writes invalidate, so a body that changed was invalidated). The request path only queues
 * the observation; a background pass does the work. Memory: the keys it follows, bounded by
 * CACHE_TTL_SIM_BYTES (least recently seen go first), a queue of at most 1,000, and at most 200
 * operations.
 */
export function createTtlSimulator(options: {
  /** 0..1: the share of keys followed; 0 turns it off. */
  sample: number;
  budget: ByteBudget;
  /** Clock in ms (default Date.now). */
  now?: () => number;
  /** How long observations wait for the background pass (default 100 ms). */
  delayMs?: number;
}) {
  const now = options.now ?? Date.now;
  const threshold = Math.round(Math.min(1, Math.max(0, options.sample)) * 65_536);
  const on = threshold > 0 && options.budget.maxBytes > 0;
  const keys = new LRUCache<string, KeyState>({
    maxSize: Math.max(1, options.budget.maxBytes),
    sizeCalculation: (_, key) => KEY_OVERHEAD_BYTES + 2 * key.length,
    dispose: (_, __, reason) => {
      if (reason === 'evict') options.budget.evictions++;
    },
  });
  const operations = new Map<string, OpCounts>();
  let queue: TtlObservation[] = [];
  let timer: NodeJS.Timeout | null = null;
  options.budget.reader = () => (keys.calculatedSize ?? 0) + queue.length * QUEUED_BYTES;

  /**
   * Keys are hashes (base64url): their first characters, mixed by a multiplicative hash, spread
   * over 0..65535; the same key is followed or not on every instance.
   */
  const sampled = (key: string) => {
    if (!on) return false;
    const mixed = (key.charCodeAt(0) * 961 + key.charCodeAt(1) * 31 + key.charCodeAt(2)) | 0;
    return Math.imul(mixed, 2654435761) >>> 16 < threshold;
  };

  function countsOf(operationName: string): OpCounts {
    let counts = operations.get(operationName);
    if (counts) return counts;
    const name = operations.size >= MAX_OPERATIONS ? OTHER_OPERATIONS : operationName;
    counts = operations.get(name) ?? {
      sampled: 0,
      repeats: 0,
      invalidated: 0,
      hits: FACTORS.map(() => 0),
      misses: FACTORS.map(() => 0),
    };
    operations.set(name, counts);
    return counts;
  }

  function replay(o: TtlObservation) {
    const id = `${o.scope}\0${o.key}`;
    const state = keys.get(id);
    const counts = countsOf(state?.op ?? o.operationName);
    counts.sampled++;
    if (!state) {
      // A hit of a key first seen now: its TTL is unknown until its next miss.
      const ttlMs = o.ttlMs ?? Number.NaN;
      const fill = { at: o.at, etag: o.etag };
      const fills = FACTORS.map(() => fill);
      keys.set(id, { op: o.operationName, ttlMs, lastAt: o.at, lastEtag: o.etag, fills });
      for (let i = 0; i < FACTORS.length; i++) counts.misses[i]++;
      return;
    }
    if (o.ttlMs !== null) state.ttlMs = o.ttlMs;
    const ttlMs = state.ttlMs;
    const since = o.at - state.lastAt;
    if (o.etag === state.lastEtag && !(since >= ttlMs)) counts.repeats++;
    if (o.invalidated) counts.invalidated++;
    for (let i = 0; i < FACTORS.length; i++) {
      const fill = state.fills[i];
      const valid =
        fill !== null &&
        !o.invalidated &&
        fill.etag === o.etag &&
        !Number.isNaN(ttlMs) &&
        o.at - fill.at < FACTORS[i] * ttlMs;
      if (valid) counts.hits[i]++;
      else {
        counts.misses[i]++;
        state.fills[i] = { at: o.at, etag: o.etag };
      }
    }
    state.lastAt = o.at;
    state.lastEtag = o.etag;
  }

  function drain() {
    timer = null;
    const batch = queue;
    queue = [];
    for (const o of batch) replay(o);
  }

  const rate = (hits: number, misses: number) =>
    hits + misses === 0 ? null : hits / (hits + misses);

  return {
    /** Whether it follows anything at all (CACHE_TTL_SIM_SAMPLE > 0). */
    on,
    /** Whether this key is in the sample (one comparison; false when off). */
    follows: sampled,
    /**
     * From the request path: one comparison for a key it doesn't follow; else the observation
     * is queued (or dropped when the queue is full) for the background pass.
     */
    observe(o: Omit<TtlObservation, 'at'>) {
      if (!sampled(o.key)) return;
      if (queue.length >= MAX_QUEUE) {
        options.budget.refusals++;
        return;
      }
      queue.push({ ...o, at: now() });
      timer ??= setTimeout(drain, options.delayMs ?? 100).unref();
    },
    /** Per operation, most sampled first. Pending observations are replayed first. */
    report(): TtlSimulation[] {
      if (timer) {
        clearTimeout(timer);
        drain();
      }
      return [...operations]
        .map(([operationName, c]) => ({
          operationName,
          sampled: c.sampled,
          repeatsWithinTtl: c.repeats,
          invalidatedBeforeTtl: c.invalidated,
          hitRateHalfTtl: rate(c.hits[0], c.misses[0]),
          hitRate: rate(c.hits[1], c.misses[1]),
          hitRateDoubleTtl: rate(c.hits[2], c.misses[2]),
        }))
        .sort((a, b) => b.sampled - a.sampled);
    },
    close() {
      if (timer) clearTimeout(timer);
      timer = null;
      queue = [];
    },
  };
}

export type TtlSimulator = ReturnType<typeof createTtlSimulator>;

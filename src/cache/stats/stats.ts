import { Counter, Gauge, Registry } from 'prom-client';
import type { CacheOutcome } from '../outcome.js';
import type { NearStats } from '../store/store.js';
import { ByteBudget, processBudgets, registerBudgetMetrics } from './bounds.js';
import { registerOutcomeMetrics } from './outcome-metrics.js';

/** Width of one point of the history series, and the unit everything recent is counted in. */
export const BUCKET_MS = 10_000;
/** How far back the history goes. */
export const HISTORY_MS = 60 * 60_000;
/** requestsPerSecond and the latency percentiles cover this much recent time. */
export const RECENT_MS = 60_000;
/** Upper bounds (ms) of the latency buckets the console's percentiles are estimated from. */
export const LATENCY_BOUNDS_MS = [
  0.25,
  0.5,
  1,
  2,
  3,
  5,
  7.5,
  10,
  25,
  50,
  100,
  250,
  500,
  1_000,
  2_500,
  Number.POSITIVE_INFINITY,
];
/** Recent invalidations kept, here and in Redis. */
export const RECENT_INVALIDATIONS = 50;
/** Distinct operation names counted one by one (clients choose them); the rest share this one. */
export const MAX_OPERATIONS = 500;
export const OTHER_OPERATIONS = '(other operations)';

/**
 * Counters as field -> count. The same names serve this process's buckets and the Redis hashes
 * the cluster shares: h hits, m misses, b bypasses, e errors, i invalidated entries,
 * `o:h:<operation>` / `o:m:<operation>` per operation, `lh:<n>` / `lm:<n>` latency bucket n of
 * hits / misses (n indexes LATENCY_BOUNDS_MS).
 */
export type Fields = Map<string, number>;

export interface InvalidationEvent {
  at: number;
  /** null for a purge, which spans every tenant. */
  tenantId: string | null;
  tags: string[];
  removed: number;
  purge: boolean;
}

/** What the cluster flusher takes from a process and, on failure, gives back. */
export interface StatsDelta {
  totals: Fields;
  buckets: Map<number, Fields>;
  invalidations: InvalidationEvent[];
}

export interface LatencySummary {
  hitP50Ms: number | null;
  hitP99Ms: number | null;
  missP50Ms: number | null;
  missP99Ms: number | null;
  windowSeconds: number;
}

export interface HistoryPoint {
  at: Date;
  requests: number;
  hits: number;
  misses: number;
  hitRate: number | null;
}

/** The figures of one process or of the whole cluster, as cacheStats and the console show them. */
export interface StatsView {
  hits: number;
  misses: number;
  bypasses: number;
  errors: number;
  invalidations: number;
  totalRequests: number;
  hitRate: number;
  requestsPerSecond: number;
  latency: LatencySummary;
  byOperation: { operationName: string; hits: number; misses: number }[];
  /** One point per BUCKET_MS over the last `minutes`, oldest first; empty buckets included. */
  history(minutes: number): HistoryPoint[];
}

const add = (fields: Fields, name: string, by = 1) => {
  fields.set(name, (fields.get(name) ?? 0) + by);
};

export const bucketOf = (ms: number) => Math.floor(ms / BUCKET_MS) * BUCKET_MS;

function latencyIndex(ms: number): number {
  let i = 0;
  while (ms > LATENCY_BOUNDS_MS[i]) i++;
  return i;
}

/**
 * The q-quantile of bucketed samples, interpolated linearly inside its bucket as Prometheus's
 * histogram_quantile does; the open last bucket answers its lower bound. null without samples.
 */
export function quantile(counts: number[], q: number): number | null {
  const total = counts.reduce((s, c) => s + c, 0);
  if (total === 0) return null;
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i < counts.length; i++) {
    if (counts[i] === 0) continue;
    if (seen + counts[i] >= rank) {
      const lower = i === 0 ? 0 : LATENCY_BOUNDS_MS[i - 1];
      const upper = LATENCY_BOUNDS_MS[i];
      if (!Number.isFinite(upper)) return lower;
      return lower + (upper - lower) * ((rank - seen) / counts[i]);
    }
    seen += counts[i];
  }
  return LATENCY_BOUNDS_MS[LATENCY_BOUNDS_MS.length - 2];
}

/**
 * Derives the view from totals and time buckets. `since` is when counting began (the process
 * start, or the cluster's first flush): the recent rate divides by no more time than that.
 */
export function summarize(
  totals: Fields,
  buckets: Map<number, Fields>,
  now: number,
  since: number,
): StatsView {
  const get = (name: string) => totals.get(name) ?? 0;
  const hits = get('h');
  const misses = get('m');
  const bypasses = get('b');
  const operations = new Map<string, { hits: number; misses: number }>();
  for (const [name, count] of totals) {
    if (!name.startsWith('o:')) continue;
    const operationName = name.slice(4);
    const op = operations.get(operationName) ?? { hits: 0, misses: 0 };
    if (name[2] === 'h') op.hits += count;
    else op.misses += count;
    operations.set(operationName, op);
  }

  const windowStart = Math.max(now - RECENT_MS, since);
  let recentRequests = 0;
  const hitLatency = LATENCY_BOUNDS_MS.map(() => 0);
  const missLatency = LATENCY_BOUNDS_MS.map(() => 0);
  for (const [start, fields] of buckets) {
    if (start + BUCKET_MS <= now - RECENT_MS) continue;
    recentRequests += (fields.get('h') ?? 0) + (fields.get('m') ?? 0) + (fields.get('b') ?? 0);
    for (const [name, count] of fields) {
      if (name.startsWith('lh:')) hitLatency[Number(name.slice(3))] += count;
      else if (name.startsWith('lm:')) missLatency[Number(name.slice(3))] += count;
    }
  }
  const seconds = Math.max(1, (now - windowStart) / 1000);

  return {
    hits,
    misses,
    bypasses,
    errors: get('e'),
    invalidations: get('i'),
    totalRequests: hits + misses + bypasses,
    hitRate: hits + misses === 0 ? 0 : hits / (hits + misses),
    requestsPerSecond: recentRequests / seconds,
    latency: {
      hitP50Ms: quantile(hitLatency, 0.5),
      hitP99Ms: quantile(hitLatency, 0.99),
      missP50Ms: quantile(missLatency, 0.5),
      missP99Ms: quantile(missLatency, 0.99),
      windowSeconds: RECENT_MS / 1000,
    },
    byOperation: [...operations]
      .map(([operationName, c]) => ({ operationName, ...c }))
      .sort((a, b) => b.hits + b.misses - (a.hits + a.misses)),
    history(minutes) {
      const points: HistoryPoint[] = [];
      const last = bucketOf(now);
      const count = Math.max(1, Math.min(HISTORY_MS, minutes * 60_000) / BUCKET_MS);
      for (let start = last - (count - 1) * BUCKET_MS; start <= last; start += BUCKET_MS) {
        const fields = buckets.get(start);
        const h = fields?.get('h') ?? 0;
        const m = fields?.get('m') ?? 0;
        points.push({
          at: new Date(start),
          requests: h + m + (fields?.get('b') ?? 0),
          hits: h,
          misses: m,
          hitRate: h + m === 0 ? null : h / (h + m),
        });
      }
      return points;
    },
  };
}

export interface CacheStatsOptions {
  now?: () => number;
  /** Cached responses waiting in the outbox (issue 7 plugs its count in); 0 until then. */
  outboxPending?: () => number;
}

/**
 * Counters of this process, for cacheStats and the console, mirrored into Prometheus metrics
 * for /metrics. When a cluster flusher is attached (REDIS), it drains what changed since its
 * last drain into Redis in one batch a second: never a Redis write per request, and nothing
 * extra to count per request.
 */
export function createCacheStats(options: CacheStatsOptions = {}) {
  const now = options.now ?? Date.now;
  const startedAt = now();
  const totals: Fields = new Map();
  const buckets = new Map<number, Fields>();
  const invalidationLog: InvalidationEvent[] = [];
  const providers = {
    outboxPending: options.outboxPending ?? (() => 0),
    fallbackActive: () => false,
    storeInfo: async (): Promise<{ keys: number | null; usedMemoryBytes: number | null }> => ({
      keys: null,
      usedMemoryBytes: null,
    }),
    nearStats: (): NearStats | null => null,
  };

  const registry = new Registry();
  const errors = new Counter({
    name: 'hotpath_cache_errors_total',
    help: 'Cache store calls that failed or timed out (each served from the database).',
    registers: [registry],
  });
  const invalidations = new Counter({
    name: 'hotpath_cache_invalidations_total',
    help: 'Cached responses removed by invalidation.',
    registers: [registry],
  });
  const budgets = new Set<ByteBudget>();
  registerBudgetMetrics(registry, () => [...processBudgets, ...budgets]);
  const outcomes = registerOutcomeMetrics(
    registry,
    [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  );
  new Gauge({
    name: 'hotpath_cache_fallback_active',
    help: '1 while the store failed and requests are served from the database only.',
    registers: [registry],
    collect() {
      this.set(providers.fallbackActive() ? 1 : 0);
    },
  });
  new Gauge({
    name: 'hotpath_outbox_pending',
    help: 'Invalidations waiting in the outbox to be applied (0 until the outbox exists).',
    registers: [registry],
    collect() {
      this.set(providers.outboxPending());
    },
  });
  // One store call serves the three store gauges of a scrape (they collect concurrently).
  let storeInfo: Promise<{ keys: number | null; usedMemoryBytes: number | null } | null> | null =
    null;
  const readStoreInfo = () => {
    if (!storeInfo) {
      storeInfo = providers.storeInfo().catch(() => null);
      setTimeout(() => {
        storeInfo = null;
      }, 500).unref();
    }
    return storeInfo;
  };
  new Counter({
    name: 'hotpath_cache_near_hits_total',
    help: "Redis hits served from the process's copy after one round trip proved it valid.",
    registers: [registry],
    collect() {
      const near = providers.nearStats();
      if (near) {
        this.reset();
        this.inc(near.hits);
      }
    },
  });
  new Gauge({
    name: 'hotpath_cache_near_bytes',
    help: "Bytes of Redis entries kept in this process's copies (CACHE_NEAR_MAX_BYTES).",
    registers: [registry],
    collect() {
      this.set(providers.nearStats()?.bytes ?? 0);
    },
  });
  new Gauge({
    name: 'hotpath_cache_keys',
    help: "Keys in the store: Redis's DBSIZE or the in-memory entries.",
    registers: [registry],
    async collect() {
      const info = await readStoreInfo();
      if (info?.keys != null) this.set(info.keys);
    },
  });
  new Gauge({
    name: 'hotpath_cache_used_memory_bytes',
    help: "Redis's used_memory (0 for the in-memory store).",
    registers: [registry],
    async collect() {
      const info = await readStoreInfo();
      if (info?.usedMemoryBytes != null) this.set(info.usedMemoryBytes);
    },
  });
  new Gauge({
    name: 'hotpath_cache_store_up',
    help: 'Whether the store answered (1) or not (0) at the last scrape.',
    registers: [registry],
    async collect() {
      this.set((await readStoreInfo()) ? 1 : 0);
    },
  });

  // Field names built once: record() allocates no strings.
  const HIT_LATENCY = LATENCY_BOUNDS_MS.map((_, i) => `lh:${i}`);
  const MISS_LATENCY = LATENCY_BOUNDS_MS.map((_, i) => `lm:${i}`);
  const operationFields = new Map<string, { h: string; m: string }>();
  let currentStart = -1;
  let current: Fields = new Map();

  function bucketAt(at: number): Fields {
    const start = bucketOf(at);
    if (start === currentStart) return current;
    let fields = buckets.get(start);
    if (!fields) {
      fields = new Map();
      buckets.set(start, fields);
      for (const old of buckets.keys()) {
        if (old > start - HISTORY_MS) break;
        buckets.delete(old);
        flushed?.buckets.delete(old);
      }
    }
    currentStart = start;
    current = fields;
    return fields;
  }

  function fieldsOf(operationName: string) {
    let fields = operationFields.get(operationName);
    if (!fields) {
      const name =
        operationFields.size >= MAX_OPERATIONS || operationName.length > 200
          ? OTHER_OPERATIONS
          : operationName;
      fields = operationFields.get(name) ?? { h: `o:h:${name}`, m: `o:m:${name}` };
      // Names past the bound are not remembered: they all map to OTHER_OPERATIONS.
      operationFields.set(name, fields);
    }
    return fields;
  }

  /**
   * What the cluster has been sent: the delta of a flush is the counts minus this, so record()
   * keeps one set of counters whether or not a flusher is attached. `from`: the first bucket
   * that can have changed since the last drain.
   */
  let flushed: { totals: Fields; buckets: Map<number, Fields>; from: number } | null = null;
  let pendingInvalidations: InvalidationEvent[] = [];

  function diff(counts: Fields, sent: Fields, into: Fields) {
    for (const [name, value] of counts) {
      const by = value - (sent.get(name) ?? 0);
      if (by === 0) continue;
      into.set(name, by);
      sent.set(name, value);
    }
  }

  return {
    registry,
    startedAt,
    /**
     * `operationName`: the operation that ran or was served from the cache, as its document
     * names it ('anonymous' when unnamed); null counts the request but no operation (it never
     * reached execution: a name the client made up must not take a slot).
     */
    record(outcome: CacheOutcome, operationName: string | null, seconds: number) {
      outcomes.record(outcome, seconds);
      const bucket = bucketAt(now());
      if (outcome === 'bypass') {
        add(totals, 'b');
        add(bucket, 'b');
        return;
      }
      const op = operationName === null ? null : fieldsOf(operationName || 'anonymous');
      const slot = latencyIndex(seconds * 1000);
      // STALE (SWR, stale-if-error) was served from the cache: a hit for the database.
      if (outcome === 'hit' || outcome === 'stale') {
        add(totals, 'h');
        if (op) add(totals, op.h);
        add(bucket, 'h');
        add(bucket, HIT_LATENCY[slot]);
      } else {
        add(totals, 'm');
        if (op) add(totals, op.m);
        add(bucket, 'm');
        add(bucket, MISS_LATENCY[slot]);
      }
    },
    error() {
      add(totals, 'e');
      errors.inc();
    },
    /** `removed` entries went; the event joins the recent invalidations. */
    invalidated(removed: number, event: Omit<InvalidationEvent, 'at' | 'removed'>) {
      const at = now();
      add(totals, 'i', removed);
      invalidations.inc(removed);
      const full = { ...event, at, removed };
      invalidationLog.unshift(full);
      invalidationLog.length = Math.min(invalidationLog.length, RECENT_INVALIDATIONS);
      if (flushed) {
        pendingInvalidations.push(full);
        if (pendingInvalidations.length > RECENT_INVALIDATIONS) pendingInvalidations.shift();
      }
    },
    /** A structure of this app bounded in bytes, reported by /metrics (see bounds.ts). */
    budget(structure: string, maxBytes: number, reader?: () => number): ByteBudget {
      const budget = new ByteBudget(structure, maxBytes, reader);
      budgets.add(budget);
      return budget;
    },
    /** Where the gauges read what this module doesn't count itself. */
    provide(values: Partial<typeof providers>) {
      Object.assign(providers, values);
    },
    /** This process since it started. */
    view(): StatsView {
      return summarize(totals, buckets, now(), startedAt);
    },
    /** Newest first. */
    recentInvalidations(): InvalidationEvent[] {
      return [...invalidationLog];
    },
    /** A cluster flusher (REDIS) is attached: drain() from now on hands out deltas. */
    shareWithCluster() {
      flushed ??= { totals: new Map(), buckets: new Map(), from: 0 };
    },
    /**
     * What was counted since the last drain (everything since the start, the first time); the
     * flusher gives it back if Redis refused it. Cost: the totals' fields and the one or two
     * buckets touched since the last drain.
     */
    drain(): StatsDelta | null {
      if (!flushed) return null;
      const delta: StatsDelta = {
        totals: new Map(),
        buckets: new Map(),
        invalidations: pendingInvalidations,
      };
      pendingInvalidations = [];
      diff(totals, flushed.totals, delta.totals);
      for (const [start, fields] of buckets) {
        if (start < flushed.from) continue;
        let sent = flushed.buckets.get(start);
        if (!sent) {
          sent = new Map();
          flushed.buckets.set(start, sent);
        }
        const changed: Fields = new Map();
        diff(fields, sent, changed);
        if (changed.size > 0) delta.buckets.set(start, changed);
      }
      flushed.from = bucketOf(now());
      return delta;
    },
    giveBack(delta: StatsDelta) {
      if (!flushed) return;
      for (const [name, by] of delta.totals) add(flushed.totals, name, -by);
      for (const [start, fields] of delta.buckets) {
        const sent = flushed.buckets.get(start);
        if (!sent) continue; // aged out of the history meanwhile
        for (const [name, by] of fields) add(sent, name, -by);
        flushed.from = Math.min(flushed.from, start);
      }
      pendingInvalidations = [...delta.invalidations, ...pendingInvalidations].slice(
        -RECENT_INVALIDATIONS,
      );
    },
  };
}

export type CacheStats = ReturnType<typeof createCacheStats>;

/**
 * What the stats count and how they are read back: the counters' field names, the buckets, the
 * latency histogram's bounds and the view derived from them (shared by this process's stats
 * and the cluster-wide totals in Redis).
 */

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
 * `o:h:<operation>` / `o:m:<operation>` per operation, `x:<reason>` MISS and BYPASS
 * responses by reason and `r:<reason>:<operation>` misses per operation by reason, `lh:<n>` / `lm:<n>` latency bucket n of
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
  byOperation: {
    operationName: string;
    hits: number;
    misses: number;
    /** Why its misses missed, most frequent first. */
    reasons: ReasonCount[];
  }[];
  /** Why MISS and BYPASS responses were not from the cache, most frequent first. */
  reasons: ReasonCount[];
  /** One point per BUCKET_MS over the last `minutes`, oldest first; empty buckets included. */
  history(minutes: number): HistoryPoint[];
}

export interface ReasonCount {
  reason: string;
  count: number;
}

const sortedCounts = (counts: Map<string, number>): ReasonCount[] =>
  [...counts]
    .map(([reason, count]) => ({ reason, count }))
    .sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason));

export const add = (fields: Fields, name: string, by = 1) => {
  fields.set(name, (fields.get(name) ?? 0) + by);
};

export const bucketOf = (ms: number) => Math.floor(ms / BUCKET_MS) * BUCKET_MS;

export function latencyIndex(ms: number): number {
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
  const operations = new Map<
    string,
    { hits: number; misses: number; reasons: Map<string, number> }
  >();
  const opOf = (operationName: string) => {
    const op = operations.get(operationName) ?? { hits: 0, misses: 0, reasons: new Map() };
    operations.set(operationName, op);
    return op;
  };
  const reasons = new Map<string, number>();
  for (const [name, count] of totals) {
    if (name.startsWith('x:')) {
      reasons.set(name.slice(2), count);
    } else if (name.startsWith('r:')) {
      // r:<reason>:<operation>; reasons hold no colon, operation names may.
      const at = name.indexOf(':', 2);
      opOf(name.slice(at + 1)).reasons.set(name.slice(2, at), count);
    } else if (name.startsWith('o:')) {
      const op = opOf(name.slice(4));
      if (name[2] === 'h') op.hits += count;
      else op.misses += count;
    }
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
      .map(([operationName, c]) => ({
        operationName,
        hits: c.hits,
        misses: c.misses,
        reasons: sortedCounts(c.reasons),
      }))
      .sort((a, b) => b.hits + b.misses - (a.hits + a.misses)),
    reasons: sortedCounts(reasons),
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

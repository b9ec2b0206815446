import type { Metric, Registry } from 'prom-client';
import { type CacheOutcome, type CacheReason, OUTCOMES, REASONS } from '../outcome.js';

interface Series {
  count: number;
  sum: number;
  /** Observations per bucket (not cumulative); the last slot is above every bound (+Inf). */
  buckets: Float64Array;
}

/**
 * `hotpath_cache_requests_total{outcome}` and `hotpath_graphql_request_duration_seconds{outcome}`
 * with the exposition of prom-client's Counter and Histogram, counted with plain numbers: every
 * request records into them, and prom-client's own metrics hash and validate their labels on
 * each call (a measurable share of a cache hit). The text is built when Prometheus scrapes.
 */
export function registerOutcomeMetrics(registry: Registry, bounds: readonly number[]) {
  const series = new Map<CacheOutcome, Series>(
    OUTCOMES.map((outcome) => [
      outcome,
      { count: 0, sum: 0, buckets: new Float64Array(bounds.length + 1) },
    ]),
  );
  const requestsName = 'hotpath_cache_requests_total';
  const latencyName = 'hotpath_graphql_request_duration_seconds';
  const requestsHelp = 'GraphQL requests by cache outcome (hit, miss, stale, bypass).';
  const latencyHelp = 'GraphQL request latency by cache outcome.';
  // Only the outcomes seen so far are exported, as prom-client does.
  const seen = () => OUTCOMES.filter((outcome) => (series.get(outcome)?.count ?? 0) > 0);

  const requests = {
    name: requestsName,
    help: requestsHelp,
    type: 'counter',
    aggregator: 'sum',
    async get() {
      return {
        name: requestsName,
        help: requestsHelp,
        type: 'counter',
        aggregator: 'sum',
        values: seen().map((outcome) => ({
          labels: { outcome },
          value: series.get(outcome)?.count ?? 0,
        })),
      };
    },
    reset() {
      reset();
    },
  };
  const latency = {
    name: latencyName,
    help: latencyHelp,
    type: 'histogram',
    aggregator: 'sum',
    async get() {
      const values = seen().flatMap((outcome) => {
        const s = series.get(outcome) as Series;
        let cumulative = 0;
        const buckets = [...bounds, Number.POSITIVE_INFINITY].map((bound, i) => {
          cumulative += s.buckets[i];
          return {
            labels: { le: bound === Number.POSITIVE_INFINITY ? '+Inf' : bound, outcome },
            value: cumulative,
            metricName: `${latencyName}_bucket`,
          };
        });
        return [
          ...buckets,
          { labels: { outcome }, value: s.sum, metricName: `${latencyName}_sum` },
          { labels: { outcome }, value: s.count, metricName: `${latencyName}_count` },
        ];
      });
      return { name: latencyName, help: latencyHelp, type: 'histogram', aggregator: 'sum', values };
    },
    reset() {
      reset();
    },
  };
  function reset() {
    for (const s of series.values()) {
      s.count = 0;
      s.sum = 0;
      s.buckets.fill(0);
    }
  }
  // Duck-typed: the registry asks a metric for name, type and get() only.
  registry.registerMetric(requests as unknown as Metric);
  registry.registerMetric(latency as unknown as Metric);

  return {
    record(outcome: CacheOutcome, seconds: number) {
      const s = series.get(outcome) as Series;
      s.count++;
      s.sum += seconds;
      let slot = 0;
      while (slot < bounds.length && seconds > bounds[slot]) slot++;
      s.buckets[slot]++;
    },
  };
}

/**
 * `hotpath_cache_reasons_total{outcome, reason}`: why a MISS or BYPASS (README: Why a miss).
 * Both labels come from fixed lists, so the series are bounded (2 × 13); counted with plain
 * numbers, as above.
 */
export function registerReasonMetrics(registry: Registry) {
  const counts = new Map<string, number>();
  const name = 'hotpath_cache_reasons_total';
  const help = 'MISS and BYPASS responses by reason (first, expired, invalidated, mutation, ...).';
  const metric = {
    name,
    help,
    type: 'counter',
    aggregator: 'sum',
    async get() {
      const values = [];
      for (const outcome of ['miss', 'bypass'] as const) {
        for (const reason of REASONS) {
          const value = counts.get(`${outcome}:${reason}`);
          if (value) values.push({ labels: { outcome, reason }, value });
        }
      }
      return { name, help, type: 'counter', aggregator: 'sum', values };
    },
    reset() {
      counts.clear();
    },
  };
  registry.registerMetric(metric as unknown as Metric);
  // Keys built once: record() allocates no strings.
  const keys = {
    miss: new Map(REASONS.map((reason) => [reason, `miss:${reason}`])),
    bypass: new Map(REASONS.map((reason) => [reason, `bypass:${reason}`])),
  };
  return {
    record(outcome: 'miss' | 'bypass', reason: CacheReason) {
      const key = keys[outcome].get(reason) as string;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    },
  };
}

import { Counter, Histogram, Registry } from 'prom-client';

export type CacheOutcome = 'hit' | 'miss' | 'bypass';

/** Counters of this process, for cacheStats, mirrored into Prometheus metrics for /metrics. */
/** Distinct operation names counted one by one; the rest share OTHER_OPERATIONS. */
export const MAX_OPERATIONS = 500;
export const OTHER_OPERATIONS = '(other operations)';

export function createCacheStats(now: () => number = Date.now) {
  const startedAt = now();
  const totals = { hits: 0, misses: 0, errors: 0, invalidations: 0, bypasses: 0 };
  const byOperation = new Map<string, { hits: number; misses: number }>();

  const registry = new Registry();
  const requests = new Counter({
    name: 'hotpath_cache_requests_total',
    help: 'GraphQL requests by cache outcome (hit, miss, bypass).',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
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
  const latency = new Histogram({
    name: 'hotpath_graphql_request_duration_seconds',
    help: 'GraphQL request latency by cache outcome.',
    labelNames: ['outcome'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });

  return {
    registry,
    record(outcome: CacheOutcome, operationName: string | null | undefined, seconds: number) {
      requests.inc({ outcome });
      latency.observe({ outcome }, seconds);
      if (outcome === 'bypass') {
        totals.bypasses++;
        return;
      }
      // Operation names are the client's: the table is bounded, later names count as one.
      let name = operationName || 'anonymous';
      if (!byOperation.has(name) && byOperation.size >= MAX_OPERATIONS) name = OTHER_OPERATIONS;
      let op = byOperation.get(name);
      if (!op) {
        op = { hits: 0, misses: 0 };
        byOperation.set(name, op);
      }
      if (outcome === 'hit') {
        totals.hits++;
        op.hits++;
      } else {
        totals.misses++;
        op.misses++;
      }
    },
    error() {
      totals.errors++;
      errors.inc();
    },
    invalidated(count: number) {
      totals.invalidations += count;
      invalidations.inc(count);
    },
    snapshot() {
      const lookups = totals.hits + totals.misses;
      return {
        ...totals,
        totalRequests: lookups + totals.bypasses,
        hitRate: lookups === 0 ? 0 : totals.hits / lookups,
        uptimeSeconds: Math.floor((now() - startedAt) / 1000),
        byOperation: [...byOperation].map(([operationName, c]) => ({ operationName, ...c })),
      };
    },
  };
}

export type CacheStats = ReturnType<typeof createCacheStats>;

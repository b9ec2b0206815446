import { Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { registerOutcomeMetrics } from '../../src/cache/stats/outcome-metrics.js';

const BOUNDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

describe('outcome metrics', () => {
  it("export exactly what prom-client's Counter and Histogram export for the same requests", async () => {
    const ours = new Registry();
    const metrics = registerOutcomeMetrics(ours, BOUNDS);
    const reference = new Registry();
    const requests = new Counter({
      name: 'hotpath_cache_requests_total',
      help: 'GraphQL requests by cache outcome (hit, miss, stale, bypass).',
      labelNames: ['outcome'],
      registers: [reference],
    });
    const latency = new Histogram({
      name: 'hotpath_graphql_request_duration_seconds',
      help: 'GraphQL request latency by cache outcome.',
      labelNames: ['outcome'],
      buckets: BOUNDS,
      registers: [reference],
    });
    // Bounds themselves, values between and beyond them; no stale request at all.
    const seconds = [0.0001, 0.0005, 0.0007, 0.003, 0.01, 0.2, 1, 2.5, 3, 60];
    for (const [i, value] of seconds.entries()) {
      const outcome = (['hit', 'miss', 'bypass'] as const)[i % 3];
      metrics.record(outcome, value);
      requests.inc({ outcome });
      latency.observe({ outcome }, value);
    }
    expect(await ours.metrics()).toBe(await reference.metrics());
    expect(await ours.metrics()).not.toContain('outcome="stale"');
  });

  it('starts again from zero on reset, like prom-client', async () => {
    const registry = new Registry();
    const metrics = registerOutcomeMetrics(registry, BOUNDS);
    metrics.record('hit', 0.001);
    expect(await registry.metrics()).toContain('hotpath_cache_requests_total{outcome="hit"} 1');
    registry.resetMetrics();
    expect(await registry.metrics()).not.toContain('outcome="hit"');
  });
});

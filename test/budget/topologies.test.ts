import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisBuckets, type Plan } from '../../src/budget/bucket.js';
import {
  createRedisClient,
  type RedisClient,
  whenReady,
} from '../../src/cache/store/redis/client.js';
import type { RedisConfig } from '../../src/redis-config.js';
import { startAll, startRedisCluster, startSentinelSet } from '../support/redis-topologies.js';

/**
 * The budget script on Redis Cluster (tenants whose slots live on different masters) and on a
 * Sentinel-managed master, through the app's own client: one key per tenant in its hash slot,
 * the same semantics as on one server (test/budget/bucket.test.ts).
 */

const PLAN: Plan = { maximumAvailable: 10, restoreRate: 0.001 };

type Topology = { config: RedisConfig; stop(): Promise<void> };
/**
 * Both start at once before the first suite (starting one is mostly waiting); each suite stops
 * its own.
 */
const started: Topology[] = [];
beforeAll(async () => {
  started.push(
    ...(await startAll(
      () => startRedisCluster(),
      () => startSentinelSet('hotpath-budget'),
    )),
  );
}, 120_000);
afterAll(async () => {
  // Those a suite did not stop (a suite filtered out, say); stopping twice is harmless.
  await Promise.all(started.map((topology) => topology.stop()));
});

describe.each([
  ['Redis Cluster', 0],
  ['Sentinel', 1],
])('budgets on %s', (_name, index) => {
  let topology: Topology;
  let client: RedisClient;
  beforeAll(async () => {
    topology = started[index]!;
    client = createRedisClient(topology.config, { timeoutMs: 1_000 });
    client.on('error', () => {});
    expect(await whenReady(client, 10_000)).toBe(true);
  }, 120_000);
  afterAll(async () => {
    client?.disconnect();
    await topology?.stop();
  });

  it('takes, refuses and refunds per key, each tenant on its own slot', async () => {
    const buckets = createRedisBuckets(client, 'hp-test-budget');
    // Enough tenants that, on the cluster, their slots fall on every master.
    const tenants = Array.from({ length: 12 }, (_, i) => ({ tenantId: `tenant-${i}`, keyId: 'k' }));
    for (const tenant of tenants) {
      expect(await buckets.take(tenant, 8, PLAN, false)).toEqual({ allowed: true, available: 2 });
      expect((await buckets.take(tenant, 3, PLAN, false)).allowed).toBe(false);
      expect((await buckets.take(tenant, -8, PLAN, true)).available).toBeCloseTo(10, 1);
    }
  });
});

import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp, testCacheConfig } from '../support/app.js';
import {
  type RedisClusterHandle,
  type SentinelHandle,
  startRedisCluster,
  startSentinelSet,
  until,
} from '../support/redis-topologies.js';

// Kill the Redis master that holds a tenant's data while that tenant reads and writes:
// no request fails, no read is stale, and caching resumes once the replica is promoted.

const SERVICES = `query Services($u: ID!) {
  services(userId: $u) { id name }
}`;
const CREATE_SERVICE = `mutation($i: CreateServiceInput!) { createService(input: $i) { id } }`;

interface Read {
  startedAt: number;
  status: number;
  errors: unknown;
  xCache: string | null;
  names: string[];
}
interface Write {
  name: string;
  doneAt: number;
  status: number;
  errors: unknown;
}

/**
 * Two readers and one writer for one tenant until `stopWhen` holds. A read is stale when it
 * started after a write had been answered and does not show that write.
 */
async function underLoad(
  app: TestApp,
  key: string,
  userId: string,
  script: (progress: { reads: Read[]; writes: Write[] }) => Promise<void>,
) {
  const reads: Read[] = [];
  const writes: Write[] = [];
  let running = true;
  const reader = async () => {
    while (running) {
      const startedAt = performance.now();
      const res = await app.execute(SERVICES, { u: userId }, key);
      reads.push({
        startedAt,
        status: res.status,
        errors: res.body.errors,
        xCache: res.headers.get('x-cache'),
        names: (res.data?.services ?? []).map((s: { name: string }) => s.name),
      });
      await sleep(5);
    }
  };
  const writer = async () => {
    for (let i = 0; running; i++) {
      const name = `Write ${i}`;
      const res = await app.execute(
        CREATE_SERVICE,
        { i: { userId, name, durationMinutes: 30, priceCents: 1000 + i } },
        key,
      );
      writes.push({ name, doneAt: performance.now(), status: res.status, errors: res.body.errors });
      await sleep(100);
    }
  };
  const load = Promise.all([reader(), reader(), writer()]);
  try {
    await script({ reads, writes });
  } finally {
    running = false;
    await load;
  }
  const failed = [
    ...reads.filter((r) => r.status !== 200 || r.errors),
    ...writes.filter((w) => w.status !== 200 || w.errors),
  ];
  const stale = reads.filter((r) =>
    writes.some((w) => w.doneAt < r.startedAt && w.status === 200 && !r.names.includes(w.name)),
  );
  return { reads, writes, failed, stale };
}

/** Hits among reads that started after `since`. */
const hitsSince = (reads: Read[], since: number) =>
  reads.filter((r) => r.startedAt > since && r.xCache === 'HIT').length;

describe('failover on a 3-master cluster', () => {
  let cluster: RedisClusterHandle;
  let app: TestApp;
  beforeAll(async () => {
    cluster = await startRedisCluster();
    app = await buildTestApp('postgres', {
      cache: testCacheConfig({ backend: 'REDIS', redis: cluster.config, timeoutMs: 500 }),
    });
  }, 120_000);
  afterAll(async () => {
    await app?.close();
    await cluster?.stop();
  });

  it("killing the master of a tenant's slot: 0 failed, 0 stale, caching resumes", async () => {
    const { key, tenant } = await app.createTenant('Failover');
    const user = await app.createUser(tenant.id, 'Rita');
    const slotKey = `${app.cacheConfig.prefix}:{t:${tenant.id}}:seq`;
    const victim = await cluster.masterPortOf(slotKey);
    let killedAt = 0;
    let promotedAt = 0;
    const result = await underLoad(app, key, user.id, async ({ reads }) => {
      await until('hits before the kill', () => hitsSince(reads, 0) >= 5, 10_000);
      await cluster.kill(victim);
      killedAt = performance.now();
      await until(
        'a replica owns the slot',
        async () => (await cluster.masterPortOf(slotKey)) !== victim,
        30_000,
      );
      promotedAt = performance.now();
      await until('caching resumes', () => hitsSince(reads, promotedAt) >= 10, 30_000);
    });
    console.log(
      `[cluster] ${result.reads.length} reads, ${result.writes.length} writes; promoted after ${Math.round(promotedAt - killedAt)} ms; ${result.failed.length} failed, ${result.stale.length} stale`,
    );
    expect(result.failed).toEqual([]);
    expect(result.stale).toEqual([]);
    expect(result.writes.length).toBeGreaterThan(5);
    // The cache was really off during the outage (BYPASS), then on again with the new master.
    expect(result.reads.some((r) => r.startedAt > killedAt && r.xCache === 'BYPASS')).toBe(true);
    expect(hitsSince(result.reads, promotedAt)).toBeGreaterThanOrEqual(10);
    expect(app.app.cache.connected()).toBe(true);
  });
});

describe('failover of the cluster master that holds the epoch key', () => {
  let cluster: RedisClusterHandle;
  let app: TestApp;
  beforeAll(async () => {
    cluster = await startRedisCluster();
    app = await buildTestApp('postgres', {
      cache: testCacheConfig({ backend: 'REDIS', redis: cluster.config, timeoutMs: 500 }),
    });
  }, 120_000);
  afterAll(async () => {
    await app?.close();
    await cluster?.stop();
  });

  it('the fallback ends: the recovery bumps the epoch on the promoted replica', async () => {
    const epochKey = `${app.cacheConfig.prefix}:epoch`;
    const victim = await cluster.masterPortOf(epochKey);
    // A tenant on the same master: its invalidations are lost with it, so recovery must bump
    // the epoch, on the very slot that moved.
    let tenant: { key: string; tenant: { id: string } } | null = null;
    for (let i = 0; i < 60 && !tenant; i++) {
      const created = await app.createTenant(`Epoch ${i}`);
      const slotKey = `${app.cacheConfig.prefix}:{t:${created.tenant.id}}:seq`;
      if ((await cluster.masterPortOf(slotKey)) === victim) tenant = created;
    }
    if (!tenant) throw new Error("no tenant landed on the epoch key's master in 60 tries");
    const user = await app.createUser(tenant.tenant.id, 'Rita');
    const purgedBefore = await app.execute('mutation { purgeCache { epoch } }');
    const epochBefore = purgedBefore.data.purgeCache.epoch as number;
    let promotedAt = 0;
    const result = await underLoad(app, tenant.key, user.id, async ({ reads }) => {
      await until('hits before the kill', () => hitsSince(reads, 0) >= 5, 10_000);
      await cluster.kill(victim);
      await until(
        'a replica owns the epoch key',
        async () => (await cluster.masterPortOf(epochKey)) !== victim,
        30_000,
      );
      promotedAt = performance.now();
      await until('caching resumes', () => hitsSince(reads, promotedAt) >= 10, 30_000);
    });
    expect(result.failed).toEqual([]);
    expect(result.stale).toEqual([]);
    expect(app.app.cache.store?.state().fallbackActive).toBe(false);
    // Writes were lost during the outage: the recovery bumped the epoch on the new master.
    const purged = await app.execute('mutation { purgeCache { epoch } }');
    expect(purged.body.errors).toBeUndefined();
    expect(purged.data.purgeCache.epoch).toBeGreaterThan(epochBefore + 1);
    const stats = await app.execute('{ cacheStats { connected masters keys } }');
    expect(stats.data.cacheStats).toMatchObject({ connected: true, masters: 3 });
  });
});

describe('failover on Sentinel', () => {
  let sentinel: SentinelHandle;
  let app: TestApp;
  beforeAll(async () => {
    sentinel = await startSentinelSet();
    app = await buildTestApp('postgres', {
      cache: testCacheConfig({ backend: 'REDIS', redis: sentinel.config, timeoutMs: 500 }),
    });
  }, 120_000);
  afterAll(async () => {
    await app?.close();
    await sentinel?.stop();
  });

  it('killing the master: 0 failed, 0 stale, caching resumes on the promoted replica', async () => {
    const { key, tenant } = await app.createTenant('Failover');
    const user = await app.createUser(tenant.id, 'Rita');
    let killedAt = 0;
    let promotedAt = 0;
    const result = await underLoad(app, key, user.id, async ({ reads }) => {
      await until('hits before the kill', () => hitsSince(reads, 0) >= 5, 10_000);
      await sentinel.master.kill();
      killedAt = performance.now();
      await until(
        'the sentinels promote the replica',
        async () => (await sentinel.masterPort()) === sentinel.replica.port,
        30_000,
      );
      promotedAt = performance.now();
      await until('caching resumes', () => hitsSince(reads, promotedAt) >= 10, 30_000);
    });
    console.log(
      `[sentinel] ${result.reads.length} reads, ${result.writes.length} writes; promoted after ${Math.round(promotedAt - killedAt)} ms; ${result.failed.length} failed, ${result.stale.length} stale`,
    );
    expect(result.failed).toEqual([]);
    expect(result.stale).toEqual([]);
    expect(result.writes.length).toBeGreaterThan(5);
    expect(result.reads.some((r) => r.startedAt > killedAt && r.xCache === 'BYPASS')).toBe(true);
    expect(hitsSince(result.reads, promotedAt)).toBeGreaterThanOrEqual(10);
    expect(app.app.cache.connected()).toBe(true);
  });
});

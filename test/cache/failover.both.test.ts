import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, OPS_TOKEN, type TestApp, testCacheConfig } from '../support/app.js';
import { CREATE_SERVICE, SERVICES } from '../support/documents.js';
import {
  type RedisClusterHandle,
  restoreKeys,
  type SentinelHandle,
  snapshotKeys,
  startAll,
  startRedisCluster,
  startSentinelSet,
  until,
} from '../support/redis-topologies.js';
import {
  appOnRedis,
  cachingResumes,
  hitsSince,
  tenantWithSlot,
  underLoad,
  writesGoOn,
} from '../support/under-load.js';

// Kill the Redis master that holds a tenant's data while that tenant reads and writes:
// no request fails, no read is stale, and caching resumes once the replica is promoted.

/**
 * A fresh topology for each test, all five started at once before the first: starting one is
 * mostly waiting (gossip, replica sync, sentinels finding each other), and one after the other
 * it took a fifth of this file's time. Each is failed over by one test only, which stops it.
 */
let fresh: {
  slotCluster: RedisClusterHandle;
  epochCluster: RedisClusterHandle;
  sentinel: SentinelHandle;
  lostCluster: RedisClusterHandle;
  lostSentinel: SentinelHandle;
};
beforeAll(async () => {
  const [slotCluster, epochCluster, sentinel, lostCluster, lostSentinel] = await startAll(
    startRedisCluster,
    startRedisCluster,
    startSentinelSet,
    startRedisCluster,
    startSentinelSet,
  );
  fresh = { slotCluster, epochCluster, sentinel, lostCluster, lostSentinel };
}, 120_000);
afterAll(async () => {
  // Those a test did not stop (a test filtered out, say); stopping twice is harmless.
  await Promise.all(Object.values(fresh ?? {}).map((topology) => topology.stop()));
});

describe('failover on a 3-master cluster', () => {
  let cluster: RedisClusterHandle;
  let app: TestApp;
  beforeAll(async () => {
    cluster = fresh.slotCluster;
    app = await appOnRedis(cluster.config);
  }, 120_000);
  afterAll(async () => {
    await app?.close();
    await cluster?.stop();
  });

  // Its waits allow up to 70 s (hits, promotion, caching again) on a loaded machine, as the
  // other failover tests' 120 s do; the suite's 30 s default cut one short in CI.
  it("killing the master of a tenant's slot: 0 failed, 0 stale, caching resumes", async () => {
    const { key, user, slotKey } = await tenantWithSlot(app, 'Failover', 'Rita');
    const victim = await cluster.masterPortOf(slotKey);
    let killedAt = 0;
    let promotedAt = 0;
    const result = await underLoad(app, key, user.id, async ({ reads, writes }) => {
      await until('hits before the kill', () => hitsSince(reads, 0) >= 5, 10_000);
      await cluster.kill(victim);
      killedAt = performance.now();
      await until(
        'a replica owns the slot',
        async () => (await cluster.masterPortOf(slotKey)) !== victim,
        30_000,
      );
      promotedAt = performance.now();
      await cachingResumes(app, reads, promotedAt);
      await writesGoOn(writes, promotedAt);
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
  }, 120_000);
});

describe('failover of the cluster master that holds the epoch key', () => {
  let cluster: RedisClusterHandle;
  let app: TestApp;
  beforeAll(async () => {
    cluster = fresh.epochCluster;
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
    const purgedBefore = await app.execute('mutation { purgeCache { epoch } }', {}, OPS_TOKEN);
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
      await cachingResumes(app, reads, promotedAt);
    });
    expect(result.failed).toEqual([]);
    expect(result.stale).toEqual([]);
    expect(app.app.cache.store?.state().fallbackActive).toBe(false);
    // Writes were lost during the outage: the recovery bumped the epoch on the new master.
    const purged = await app.execute('mutation { purgeCache { epoch } }', {}, OPS_TOKEN);
    expect(purged.body.errors).toBeUndefined();
    expect(purged.data.purgeCache.epoch).toBeGreaterThan(epochBefore + 1);
    const stats = await app.execute('{ cacheStats { connected masters keys } }', {}, OPS_TOKEN);
    expect(stats.data.cacheStats).toMatchObject({ connected: true, masters: 3 });
  }, 120_000);
});

describe('failover on Sentinel', () => {
  let sentinel: SentinelHandle;
  let app: TestApp;
  beforeAll(async () => {
    sentinel = fresh.sentinel;
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
    const result = await underLoad(app, key, user.id, async ({ reads, writes }) => {
      await until('hits before the kill', () => hitsSince(reads, 0) >= 5, 10_000);
      await sentinel.master.kill();
      killedAt = performance.now();
      await until(
        'the sentinels promote the replica',
        async () => (await sentinel.masterPort()) === sentinel.replica.port,
        30_000,
      );
      promotedAt = performance.now();
      await cachingResumes(app, reads, promotedAt);
      await writesGoOn(writes, promotedAt);
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
  }, 120_000);
});

/**
 * A promoted replica that missed the last invalidation: replication is asynchronous, so the
 * master may acknowledge an invalidation and die before its replica has it. The test makes
 * that state for certain: it DUMPs the tenant's keys before the write and RESTOREs them on the
 * replica once it is promoted. (Pausing the replica with SIGSTOP does not lose anything: the
 * replication stream waits in its socket buffer and arrives after SIGCONT.) Every read after
 * the write must show it all the same.
 */
async function lostReplication(
  app: TestApp,
  steps: {
    /** The port of the master holding the tenant's keys. */
    masterOf(tenantId: string): Promise<number>;
    killMaster(port: number): Promise<void>;
    /** The port of the new master, once the replica is promoted; 0 before. */
    promoted(): Promise<number>;
  },
) {
  const { key, tenant } = await app.createTenant('Lost replication');
  const user = await app.createUser(tenant.id, 'Rita');
  const create = (name: string) =>
    app.execute(
      CREATE_SERVICE,
      { i: { userId: user.id, name, durationMinutes: 30, priceCents: 1 } },
      key,
    );
  const read = () => app.execute(SERVICES, { u: user.id }, key);
  const names = (res: Awaited<ReturnType<typeof read>>) =>
    (res.data.services as { name: string }[]).map((s) => s.name).sort();

  expect((await create('Before')).body.errors).toBeUndefined();
  expect((await read()).headers.get('x-cache')).toBe('MISS');
  expect((await read()).headers.get('x-cache')).toBe('HIT');
  const master = await steps.masterOf(tenant.id);
  const missed = await snapshotKeys(master, `${app.cacheConfig.prefix}:{t:${tenant.id}}:*`);
  expect(missed.length).toBeGreaterThan(0);
  expect((await create('After')).body.errors).toBeUndefined();
  expect(names(await read())).toEqual(['After', 'Before']);
  await steps.killMaster(master);
  let promoted = 0;
  await until(
    'the replica is promoted',
    async () => {
      promoted = await steps.promoted();
      return promoted > 0;
    },
    30_000,
  );
  // What the replica would hold had the invalidation not reached it.
  await restoreKeys(promoted, missed);

  const after: Awaited<ReturnType<typeof read>>[] = [];
  const deadline = Date.now() + 20_000;
  let hits = 0;
  while (hits < 5 && Date.now() < deadline) {
    const res = await read();
    after.push(res);
    if (res.headers.get('x-cache') === 'HIT') hits++;
    await sleep(20);
  }
  const stale = after.filter((res) => names(res).join() !== 'After,Before');
  const failed = after.filter((res) => res.status !== 200 || res.body.errors);
  console.log(
    `[lost replication] ${after.length} reads after promotion: ${stale.length} stale, ${failed.length} failed, ${hits} hits: ${after.map((r) => `${r.headers.get('x-cache')}:${names(r).length}`).join(' ')}`,
  );
  expect(failed).toEqual([]);
  expect(stale.map((res) => `${res.headers.get('x-cache')} ${names(res).join()}`)).toEqual([]);
  expect(hits).toBe(5);
}

describe('a promoted replica that missed the last invalidation', () => {
  it('cluster: no stale read from it', async () => {
    const cluster = fresh.lostCluster;
    const app = await buildTestApp('postgres', {
      cache: testCacheConfig({ backend: 'REDIS', redis: cluster.config, timeoutMs: 500 }),
    });
    try {
      let replica = 0;
      await lostReplication(app, {
        masterOf: async (tenantId) => {
          const master = await cluster.masterPortOf(
            `${app.cacheConfig.prefix}:{t:${tenantId}}:seq`,
          );
          replica = await cluster.replicaPortOf(master);
          return master;
        },
        killMaster: (port) => cluster.kill(port),
        promoted: async () => ((await cluster.masterPorts()).includes(replica) ? replica : 0),
      });
    } finally {
      await app.close();
      await cluster.stop();
    }
  }, 120_000);

  it('sentinel: no stale read from it', async () => {
    const sentinel = fresh.lostSentinel;
    const app = await buildTestApp('postgres', {
      cache: testCacheConfig({ backend: 'REDIS', redis: sentinel.config, timeoutMs: 500 }),
    });
    try {
      await lostReplication(app, {
        masterOf: async () => sentinel.master.port,
        killMaster: () => sentinel.master.kill(),
        promoted: async () =>
          (await sentinel.masterPort()) === sentinel.replica.port ? sentinel.replica.port : 0,
      });
    } finally {
      await app.close();
      await sentinel.stop();
    }
  }, 120_000);
});

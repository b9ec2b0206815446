import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../support/app.js';
import { type RedisClusterHandle, startRedisCluster, until } from '../support/redis-topologies.js';
import {
  appOnRedis,
  cachingResumes,
  hitsSince,
  tenantWithSlot,
  underLoad,
  writesGoOn,
} from '../support/under-load.js';

// Resharding a Redis Cluster (an operator moving slots to another master, as `redis-cli
// --cluster reshard` does) while a tenant reads and writes: the slot of the tenant's keys moves
// a few keys at a time, so that lookups, saves and invalidations meet the slot half-moved
// (ASK redirections, TRYAGAIN for the scripts whose keys are on both sides). No request may
// fail, no read may be stale, caching resumes on the new master, and the breaker (every
// tenant's cache) stays closed: a slot on the move is a miss for its tenants, not an outage.

/** Moves `slot` from the master on `from` to the one on `to`, `batch` keys at a time. */
async function moveSlot(
  cluster: RedisClusterHandle,
  slot: number,
  from: number,
  to: number,
  batch: number,
): Promise<number> {
  const client = (port: number) => new Redis({ host: '127.0.0.1', port, lazyConnect: true });
  const source = client(from);
  const target = client(to);
  const masters = await Promise.all((await cluster.masterPorts()).map(async (p) => client(p)));
  try {
    const [sourceId, targetId] = await Promise.all([
      source.cluster('MYID') as Promise<string>,
      target.cluster('MYID') as Promise<string>,
    ]);
    await target.cluster('SETSLOT', slot, 'IMPORTING', sourceId);
    await source.cluster('SETSLOT', slot, 'MIGRATING', targetId);
    let moved = 0;
    for (;;) {
      const keys = (await source.cluster('GETKEYSINSLOT', slot, batch)) as string[];
      if (keys.length === 0) break;
      await source.call('MIGRATE', '127.0.0.1', to, '', 0, 5_000, 'KEYS', ...keys);
      moved += keys.length;
      // The requests meet the slot half-moved meanwhile.
      await sleep(60);
    }
    // The new owner first, then the old one, then the others (as redis-cli does).
    await target.cluster('SETSLOT', slot, 'NODE', targetId);
    await source.cluster('SETSLOT', slot, 'NODE', targetId);
    for (const master of masters) await master.cluster('SETSLOT', slot, 'NODE', targetId);
    return moved;
  } finally {
    for (const r of [source, target, ...masters]) r.disconnect();
  }
}

describe('resharding a 3-master cluster', () => {
  let cluster: RedisClusterHandle;
  let app: TestApp;
  let other: TestApp;
  beforeAll(async () => {
    cluster = await startRedisCluster();
    app = await appOnRedis(cluster.config);
    // A second instance on the same database, Redis and prefix, with its own copies in process.
    other = await buildTestApp('postgres', { db: app.db, cache: app.cacheConfig });
  }, 120_000);
  afterAll(async () => {
    await other?.close();
    await app?.close();
    await cluster?.stop();
  });

  /** Moves the slot of a new tenant's keys while `app` writes and `readVia` read. */
  async function reshardUnderLoad(name: string, readVia: TestApp[]) {
    const { key, user, slotKey } = await tenantWithSlot(app, name, 'Rosa');
    const from = await cluster.masterPortOf(slotKey);
    const to = (await cluster.masterPorts()).find((port) => port !== from) as number;
    const probe = new Redis({ host: '127.0.0.1', port: from });
    const slot = (await probe.cluster('KEYSLOT', slotKey)) as number;
    probe.disconnect();
    let moved = 0;
    let movedAt = 0;
    let opened = 0;
    const instances = [...new Set([app, ...readVia])];
    const result = await underLoad(
      app,
      key,
      user.id,
      async ({ reads, writes }) => {
        await until('hits before the move', () => hitsSince(reads, 0) >= 5, 10_000);
        const startedAt = performance.now();
        // The breaker is the whole cache's, every tenant's: one slot on the move must not open it.
        const watch = setInterval(() => {
          for (const i of instances) if (i.app.cache.store?.state().fallbackActive) opened++;
        }, 10);
        try {
          moved = await moveSlot(cluster, slot, from, to, 1);
        } finally {
          clearInterval(watch);
        }
        movedAt = performance.now();
        console.log(
          `[reshard] ${name}, slot ${slot}: ${moved} keys moved in ${Math.round(movedAt - startedAt)} ms`,
        );
        await until(
          'the new master owns the slot',
          async () => (await cluster.masterPortOf(slotKey)) === to,
          10_000,
        );
        await cachingResumes(app, reads, movedAt);
        await writesGoOn(writes, movedAt);
      },
      readVia,
    );
    const outcomes: Record<string, number> = {};
    for (const r of result.reads)
      outcomes[r.xCache ?? 'none'] = (outcomes[r.xCache ?? 'none'] ?? 0) + 1;
    console.log(
      `[reshard] ${name}: ${result.reads.length} reads ${JSON.stringify(outcomes)}, ${result.writes.length} writes; ${result.failed.length} failed, ${result.stale.length} stale`,
    );
    expect(moved).toBeGreaterThan(2);
    expect(opened).toBe(0);
    expect(result.failed).toEqual([]);
    expect(result.stale).toEqual([]);
    expect(hitsSince(result.reads, movedAt)).toBeGreaterThanOrEqual(10);
    for (const i of instances) expect(i.app.cache.connected()).toBe(true);
  }

  it("moving a tenant's slot to another master: 0 failed, 0 stale, caching resumes", async () => {
    await reshardUnderLoad('Reshard', [app, app]);
  }, 120_000);

  it('two instances, one writing, both reading (their copies in process): the same', async () => {
    await reshardUnderLoad('Reshard two', [app, other]);
  }, 120_000);

  // Held half-way, deterministically: the slot MIGRATING with nothing moved yet. INVALIDATE's
  // declared keys (the clock, the log) are here, its undeclared ones (a version key that
  // doesn't exist here) are refused as "non local": it writes the clock, answers -1, and the store
  // leaves the rest to the outbox with the breaker closed; once the slot is stable again the
  // same invalidation applies whole.
  it('an invalidation that meets its slot half-moved: the clock is written, the breaker stays closed', async () => {
    const scope = 'half-moved';
    const seq = `${app.cacheConfig.prefix}:{t:${scope}}:seq`;
    const from = await cluster.masterPortOf(seq);
    const to = (await cluster.masterPorts()).find((port) => port !== from) as number;
    const [source, target] = [from, to].map((port) => new Redis({ host: '127.0.0.1', port }));
    const store = app.app.cache.store;
    if (!store) throw new Error('the app has no cache store');
    try {
      expect(await store.invalidate(scope, ['Service:1'])).toBe(0);
      const before = Number(await source.get(seq));
      // The scope's log, as a save leaves it (its marker at the clock): both declared keys here.
      await source.zadd(`${app.cacheConfig.prefix}:{t:${scope}}:log`, before, '');
      const slot = (await source.cluster('KEYSLOT', seq)) as number;
      const [sourceId, targetId] = await Promise.all([
        source.cluster('MYID') as Promise<string>,
        target.cluster('MYID') as Promise<string>,
      ]);
      await target.cluster('SETSLOT', slot, 'IMPORTING', sourceId);
      await source.cluster('SETSLOT', slot, 'MIGRATING', targetId);
      expect(await store.invalidate(scope, ['Service:1'])).toBeNull();
      expect(store.state().fallbackActive).toBe(false);
      // Every entry proven before it misses from here on.
      expect(Number(await source.get(seq))).toBeGreaterThan(before);
      await source.cluster('SETSLOT', slot, 'STABLE');
      await target.cluster('SETSLOT', slot, 'STABLE');
      expect(await store.invalidate(scope, ['Service:1'])).toBe(0);
      expect(store.state().fallbackActive).toBe(false);
    } finally {
      source.disconnect();
      target.disconnect();
    }
  }, 30_000);
});

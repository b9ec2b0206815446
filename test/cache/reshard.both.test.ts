import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../support/app.js';
import { CREATE_SERVICE, SERVICES } from '../support/documents.js';
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

/** Where `key` lives: its slot, the master that has it and another to move it to. */
interface Placement {
  slot: number;
  from: number;
  to: number;
}

async function placementOf(cluster: RedisClusterHandle, key: string): Promise<Placement> {
  const from = await cluster.masterPortOf(key);
  const to = (await cluster.masterPorts()).find((port) => port !== from) as number;
  const probe = new Redis({ host: '127.0.0.1', port: from });
  try {
    return { slot: (await probe.cluster('KEYSLOT', key)) as number, from, to };
  } finally {
    probe.disconnect();
  }
}

/**
 * A slot's move begun (IMPORTING on `to`, MIGRATING on `from`), to be finished by `finish` or
 * called off by `cancel`.
 */
async function startMove(cluster: RedisClusterHandle, { slot, from, to }: Placement) {
  const client = (port: number) => new Redis({ host: '127.0.0.1', port, lazyConnect: true });
  const source = client(from);
  const target = client(to);
  const [sourceId, targetId] = await Promise.all([
    source.cluster('MYID') as Promise<string>,
    target.cluster('MYID') as Promise<string>,
  ]);
  await target.cluster('SETSLOT', slot, 'IMPORTING', sourceId);
  await source.cluster('SETSLOT', slot, 'MIGRATING', targetId);
  let settled = false;
  return {
    source,
    /** MIGRATE of these keys alone: the slot half-moved, as it is between two batches. */
    migrate: (keys: string[]) =>
      source.call('MIGRATE', '127.0.0.1', to, '', 0, 5_000, 'KEYS', ...keys),
    /** Moves what is left, `batch` keys at a time, then gives the slot to `to` everywhere. */
    async finish(batch: number): Promise<number> {
      const masters = (await cluster.masterPorts()).map(client);
      try {
        let moved = 0;
        for (;;) {
          const keys = (await source.cluster('GETKEYSINSLOT', slot, batch)) as string[];
          if (keys.length === 0) break;
          await this.migrate(keys);
          moved += keys.length;
          // The requests meet the slot half-moved meanwhile.
          await sleep(60);
        }
        // The new owner first, then the old one, then the others (as redis-cli does).
        await target.cluster('SETSLOT', slot, 'NODE', targetId);
        await source.cluster('SETSLOT', slot, 'NODE', targetId);
        for (const master of masters) await master.cluster('SETSLOT', slot, 'NODE', targetId);
        settled = true;
        return moved;
      } finally {
        for (const r of masters) r.disconnect();
      }
    },
    /** Calls the move off before any key moved: the slot stays on `from`. */
    async cancel() {
      await source.cluster('SETSLOT', slot, 'STABLE');
      await target.cluster('SETSLOT', slot, 'STABLE');
      settled = true;
    },
    /** Finishes the move if a failed test left it half-done, then disconnects. */
    async close() {
      if (!settled) await this.finish(10).catch(() => {});
      source.disconnect();
      target.disconnect();
    },
  };
}

/** Moves a slot to another master, `batch` keys at a time; how many keys moved. */
async function moveSlot(
  cluster: RedisClusterHandle,
  placement: Placement,
  batch: number,
): Promise<number> {
  const move = await startMove(cluster, placement);
  try {
    return await move.finish(batch);
  } finally {
    await move.close();
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

  /** Until both instances trust Redis again (a test before may have opened a breaker). */
  const breakersClosed = () =>
    until(
      'both breakers closed',
      () => [app, other].every((i) => i.app.cache.store?.state().fallbackActive === false),
      10_000,
    );

  /** Moves the slot of a new tenant's keys while `app` writes and `readVia` read. */
  async function reshardUnderLoad(name: string, readVia: TestApp[]) {
    const { key, user, slotKey } = await tenantWithSlot(app, name, 'Rosa');
    const placement = await placementOf(cluster, slotKey);
    const { slot, to } = placement;
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
          moved = await moveSlot(cluster, placement, 1);
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
    const store = app.app.cache.store;
    if (!store) throw new Error('the app has no cache store');
    expect(await store.invalidate(scope, ['Service:1'])).toBe(0);
    const placement = await placementOf(cluster, seq);
    const source = new Redis({ host: '127.0.0.1', port: placement.from });
    const before = Number(await source.get(seq));
    // The scope's log, as a save leaves it (its marker at the clock): both declared keys here.
    await source.zadd(`${app.cacheConfig.prefix}:{t:${scope}}:log`, before, '');
    source.disconnect();
    const move = await startMove(cluster, placement);
    try {
      expect(await store.invalidate(scope, ['Service:1'])).toBeNull();
      expect(store.state().fallbackActive).toBe(false);
      // Every entry proven before it misses from here on.
      expect(Number(await move.source.get(seq))).toBeGreaterThan(before);
      await move.cancel();
      expect(await store.invalidate(scope, ['Service:1'])).toBe(0);
      expect(store.state().fallbackActive).toBe(false);
    } finally {
      await move.close();
    }
  }, 30_000);

  // A scope whose declared keys are on both sides of the move (its log moved, its clock not, as
  // between two MIGRATE batches), or whose log is missing on the old master: Redis answers
  // INVALIDATE with TRYAGAIN until they are together again, however long the move takes. Its
  // clock alone can be written: every entry of the scope misses from then on, and the rest is
  // left to the outbox with the breaker closed. Before, the invalidation was tried again until
  // its 500 ms ran out and then opened the writer's breaker, and meanwhile the copies in process
  // (their clock unmoved) served what the write had made stale.
  it('a write while its scope is split across the move: nothing stale on either instance, the breaker stays closed', async () => {
    await breakersClosed();
    const { key, user, tenant, slotKey } = await tenantWithSlot(app, 'Split', 'Iris');
    const placement = await placementOf(cluster, slotKey);
    const names = async (via: TestApp) => {
      const res = await via.execute(SERVICES, { u: user.id }, key);
      expect(res.status).toBe(200);
      expect(res.body.errors).toBeUndefined();
      return {
        xCache: res.headers.get('x-cache'),
        names: (res.data?.services ?? []).map((s: { name: string }) => s.name),
      };
    };
    // Each instance serves the scope from a copy in process.
    for (const via of [app, other]) {
      const copies = () => via.app.cache.store?.nearStats()?.hits ?? 0;
      const before = copies();
      await until(
        'a hit from a copy in process',
        async () => {
          await names(via);
          return copies() > before;
        },
        10_000,
      );
    }
    const move = await startMove(cluster, placement);
    try {
      await move.migrate([`${app.cacheConfig.prefix}:{t:${tenant.id}}:log`]);
      const write = await app.execute(
        CREATE_SERVICE,
        { i: { userId: user.id, name: 'After the split', durationMinutes: 30, priceCents: 1000 } },
        key,
      );
      expect(write.status).toBe(200);
      expect(write.body.errors).toBeUndefined();
      const after = [(await names(other)).names, (await names(app)).names];
      expect(after).toEqual([expect.arrayContaining(['After the split']), expect.anything()]);
      expect(after[1]).toContain('After the split');
      expect([app, other].map((i) => i.app.cache.store?.state().fallbackActive)).toEqual([
        false,
        false,
      ]);
      // Once the slot has moved, the outbox applies the invalidation whole and caching resumes.
      await move.finish(10);
      await until(
        'the new master owns the slot',
        async () => (await cluster.masterPortOf(slotKey)) === placement.to,
        10_000,
      );
      for (const via of [app, other]) {
        await until('caching resumes', async () => (await names(via)).xCache === 'HIT', 10_000);
        expect((await names(via)).names).toContain('After the split');
        expect(via.app.cache.store?.state().fallbackActive).toBe(false);
      }
    } finally {
      await move.close();
    }
  }, 60_000);

  it('an invalidation of a scope without its log on the old master: the clock is written, the breaker stays closed', async () => {
    await breakersClosed();
    const scope = 'no-log';
    const seq = `${app.cacheConfig.prefix}:{t:${scope}}:seq`;
    const store = app.app.cache.store;
    if (!store) throw new Error('the app has no cache store');
    expect(await store.invalidate(scope, ['Service:1'])).toBe(0);
    const move = await startMove(cluster, await placementOf(cluster, seq));
    try {
      const before = Number(await move.source.get(seq));
      expect(await store.invalidate(scope, ['Service:1'])).toBeNull();
      expect(store.state().fallbackActive).toBe(false);
      expect(Number(await move.source.get(seq))).toBeGreaterThan(before);
      await move.finish(10);
      expect(await store.invalidate(scope, ['Service:1'])).toBe(0);
      expect(store.state().fallbackActive).toBe(false);
    } finally {
      await move.close();
    }
  }, 30_000);
});

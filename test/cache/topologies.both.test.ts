import { In } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RedisConfig } from '../../src/config.js';
import { Service } from '../../src/db/entities/service.entity.js';
import {
  buildTestApp,
  OPS_TOKEN,
  openTestDatabase,
  type TestApp,
  testCacheConfig,
} from '../support/app.js';
import { CREATE_SERVICE, SERVICES_WITH_PRICES } from '../support/documents.js';
import { createProvider } from '../support/fixtures.js';
import {
  startAll,
  startRedisCluster,
  startSentinelSet,
  startTlsRedis,
} from '../support/redis-topologies.js';

// The cache's behaviour through the app (lookup, save, invalidation, purge and its pub/sub,
// cacheStats) on a real Redis Cluster (tenants on different masters), a Sentinel set and a TLS
// server. Two instances share each topology and one PostgreSQL database, as in production.

const PURGE = 'mutation { purgeCache { epoch } }';
const STATS =
  '{ cacheStats { backend connected keys usedMemoryBytes masters cluster { instances totalRequests } } }';

interface Topology {
  name: string;
  config: RedisConfig;
  /** Distinct masters the tenants' slots land on (1 unless clustered). */
  masters: number;
  /** The master port owning a key, when there are several. */
  masterPortOf?: (key: string) => Promise<number>;
  /** Keys summed over every master, read behind the app's back. */
  stop(): Promise<void>;
}

const topologies: Record<string, () => Promise<Topology>> = {
  cluster: async () => {
    const c = await startRedisCluster();
    return {
      name: 'cluster',
      config: c.config,
      masters: 3,
      masterPortOf: c.masterPortOf,
      stop: c.stop,
    };
  },
  sentinel: async () => {
    const s = await startSentinelSet();
    return { name: 'sentinel', config: s.config, masters: 1, stop: s.stop };
  },
  'cluster over TLS': async () => {
    const c = await startRedisCluster({ tls: true });
    return {
      name: 'cluster over TLS',
      config: c.config,
      masters: 3,
      masterPortOf: c.masterPortOf,
      stop: c.stop,
    };
  },
  'Sentinel over TLS': async () => {
    const s = await startSentinelSet('hotpath', { tls: true });
    return { name: 'Sentinel over TLS', config: s.config, masters: 1, stop: s.stop };
  },
  tls: async () => {
    const t = await startTlsRedis();
    return { name: 'tls', config: t.config, masters: 1, stop: t.stop };
  },
};

/**
 * Every topology starts at once, before the first suite: starting one is mostly waiting (gossip,
 * replicas syncing, sentinels finding each other), one after the other it was most of this
 * file's time. Each suite still has a topology of its own, and stops it when it is done.
 */
const started: Record<string, Topology> = {};
beforeAll(async () => {
  const names = Object.keys(topologies);
  const all = await startAll(...names.map((name) => topologies[name]!));
  names.forEach((name, i) => {
    started[name] = all[i]!;
  });
}, 120_000);
afterAll(async () => {
  // Those a suite did not stop (a suite filtered out, say); stopping twice is harmless.
  await Promise.all(Object.values(started).map((topology) => topology.stop()));
});

describe.each(Object.keys(topologies))('the cache on %s', (name) => {
  let topology: Topology;
  let database: Awaited<ReturnType<typeof openTestDatabase>>;
  let a: TestApp;
  let b: TestApp;
  /** Tenants whose slots cover every master of the topology. */
  const tenants: { key: string; tenantId: string }[] = [];

  beforeAll(async () => {
    topology = started[name]!;
    database = await openTestDatabase('postgres');
    const cache = testCacheConfig({ backend: 'REDIS', redis: topology.config });
    a = await buildTestApp('postgres', { db: database.db, cache });
    b = await buildTestApp('postgres', { db: database.db, cache });
    expect(a.app.cache.connected()).toBe(true);
    const owners = new Set<number>();
    for (let i = 0; i < 40 && owners.size < topology.masters; i++) {
      const { key, tenant } = await a.createTenant(`Tenant ${i}`);
      const owner = topology.masterPortOf
        ? await topology.masterPortOf(`${cache.prefix}:{t:${tenant.id}}:seq`)
        : 0;
      if (owners.has(owner) && tenants.length >= 2) continue;
      owners.add(owner);
      tenants.push({ key, tenantId: tenant.id });
    }
    expect(owners.size).toBe(topology.masters);
  }, 120_000);
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await database?.close();
    await topology?.stop();
  });

  const provider = async (app: TestApp, t: { key: string; tenantId: string }, label: string) =>
    (await createProvider(app, t, label)).user;
  const names = (res: { data: { services: { name: string }[] } }) =>
    res.data.services.map((s) => s.name).sort();

  it('looks up and saves for tenants on every master; B hits what A saved', async () => {
    for (const [i, t] of tenants.entries()) {
      const user = await provider(a, t, `Save${i}`);
      const miss = await a.execute(SERVICES_WITH_PRICES, { u: user.id }, t.key);
      expect(miss.headers.get('x-cache')).toBe('MISS');
      const hit = await a.execute(SERVICES_WITH_PRICES, { u: user.id }, t.key);
      expect(hit.headers.get('x-cache')).toBe('HIT');
      expect(hit.body).toEqual(miss.body);
      const fromB = await b.execute(SERVICES_WITH_PRICES, { u: user.id }, t.key);
      expect(fromB.headers.get('x-cache')).toBe('HIT');
      expect(fromB.body).toEqual(miss.body);
    }
  });

  it('a write through A invalidates what B reads next, on every master', async () => {
    for (const [i, t] of tenants.entries()) {
      const user = await provider(a, t, `Inv${i}`);
      await b.execute(SERVICES_WITH_PRICES, { u: user.id }, t.key);
      expect(
        (await b.execute(SERVICES_WITH_PRICES, { u: user.id }, t.key)).headers.get('x-cache'),
      ).toBe('HIT');
      // The next hit is B's copy, checked against this topology's epoch and tenant clock (on a
      // cluster: two GETs in two slots); A's write must still reach B's very next read.
      const nearHits = () => b.app.cache.store?.nearStats()?.hits ?? 0;
      const before = nearHits();
      expect(
        (await b.execute(SERVICES_WITH_PRICES, { u: user.id }, t.key)).headers.get('x-cache'),
      ).toBe('HIT');
      expect(nearHits()).toBe(before + 1);
      const added = await a.execute(
        CREATE_SERVICE,
        { i: { userId: user.id, name: `Inv${i} brows`, durationMinutes: 20, priceCents: 2000 } },
        t.key,
      );
      expect(added.body.errors).toBeUndefined();
      const after = await b.execute(SERVICES_WITH_PRICES, { u: user.id }, t.key);
      expect(after.headers.get('x-cache')).toBe('MISS');
      expect(names(after)).toEqual([`Inv${i} brows`, `Inv${i} cut`]);
      expect(
        (await b.execute(SERVICES_WITH_PRICES, { u: user.id }, t.key)).headers.get('x-cache'),
      ).toBe('HIT');
    }
  });

  it('purgeCache through A empties every tenant for A at once and for B by pub/sub', async () => {
    const users = [];
    for (const [i, t] of tenants.entries()) {
      const user = await provider(a, t, `Purge${i}`);
      await a.execute(SERVICES_WITH_PRICES, { u: user.id }, t.key);
      expect(
        (await b.execute(SERVICES_WITH_PRICES, { u: user.id }, t.key)).headers.get('x-cache'),
      ).toBe('HIT');
      users.push(user);
    }
    // Data changed behind the cache's back (a script, a restore): what purgeCache is for.
    await database.db
      .getRepository(Service)
      .update({ userId: In(users.map((u) => u.id)) }, { name: 'Renamed' });
    const purged = await a.execute(PURGE, {}, OPS_TOKEN);
    expect(purged.body.errors).toBeUndefined();
    expect(purged.data.purgeCache.epoch).toBeGreaterThan(0);
    for (const [i, t] of tenants.entries()) {
      const fromA = await a.execute(SERVICES_WITH_PRICES, { u: users[i]!.id }, t.key);
      expect(fromA.headers.get('x-cache')).toBe('MISS');
      expect(names(fromA)).toEqual(['Renamed']);
    }
    // B learns the new epoch by pub/sub (or its 1 s re-read of the epoch key).
    for (const [i, t] of tenants.entries()) {
      const started = Date.now();
      let fromB = await b.execute(SERVICES_WITH_PRICES, { u: users[i]!.id }, t.key);
      while (names(fromB)[0] !== 'Renamed' && Date.now() - started < 3_000) {
        await new Promise((r) => setTimeout(r, 20));
        fromB = await b.execute(SERVICES_WITH_PRICES, { u: users[i]!.id }, t.key);
      }
      expect(names(fromB)).toEqual(['Renamed']);
    }
  });

  it('cacheStats sums keys and memory over the masters and says how many', async () => {
    const stats = await a.execute(STATS, {}, OPS_TOKEN);
    expect(stats.body.errors).toBeUndefined();
    const s = stats.data.cacheStats;
    expect(s).toMatchObject({ backend: 'REDIS', connected: true, masters: topology.masters });
    expect(s.keys).toBeGreaterThan(0);
    expect(s.usedMemoryBytes).toBeGreaterThan(0);
    // The cluster-wide counters (kept in Redis under one hash slot) work on this topology too:
    // both instances flush into them.
    await b.execute(STATS, {}, OPS_TOKEN);
    const both = (await a.execute(STATS, {}, OPS_TOKEN)).data.cacheStats;
    expect(both.cluster.instances).toBe(2);
    expect(both.cluster.totalRequests).toBeGreaterThan(0);
  });
});

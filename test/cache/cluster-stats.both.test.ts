import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterStatsKeys } from '../../src/cache/stats/cluster-stats.js';
import { createCacheStats } from '../../src/cache/stats/stats.js';
import {
  BUCKET_MS,
  LATENCY_BOUNDS_MS,
  MAX_OPERATIONS,
  OTHER_OPERATIONS,
  quantile,
} from '../../src/cache/stats/view.js';
import {
  buildTestApp,
  OPS_TOKEN,
  openTestDatabase,
  sharedRedisCache,
  type TestApp,
  testCacheConfig,
} from '../support/app.js';
import { SERVICES } from '../support/documents.js';
import { type RedisServer, startRedisServer } from '../support/redis.js';

// Issue 10: cacheStats shows this process's counts next to totals over every instance, kept in
// Redis in batches (never a Redis write per request).

const STATS = `{ cacheStats {
  hits misses bypasses hitRate requestsPerSecond
  latency { hitP50Ms hitP99Ms missP50Ms missP99Ms windowSeconds }
  history(minutes: 5) { at requests hits misses hitRate }
  recentInvalidations { tenantId tags removed purge at }
  cluster {
    instances since hits misses bypasses errors totalRequests hitRate invalidations
    requestsPerSecond latency { hitP50Ms hitP99Ms missP50Ms missP99Ms }
    byOperation { operationName hits misses }
    history { at requests hits misses hitRate }
  }
} }`;

async function tenantWithUser(app: TestApp, name: string) {
  const { tenant, key } = await app.createTenant(name);
  const user = await app.createUser(tenant.id, `${name} provider`);
  return { tenantId: tenant.id, userId: user.id, key };
}

async function stats(app: TestApp) {
  const res = await app.execute(STATS, {}, OPS_TOKEN);
  expect(res.body.errors).toBeUndefined();
  return res.data.cacheStats;
}

describe('cluster-wide stats: two instances sharing one Redis', () => {
  let database: Awaited<ReturnType<typeof openTestDatabase>>;
  let a: TestApp;
  let b: TestApp;
  const cache = testCacheConfig(sharedRedisCache({ statsFlushMs: 100 }));

  beforeAll(async () => {
    database = await openTestDatabase('sqlite');
    a = await buildTestApp('sqlite', { db: database.db, cache });
    b = await buildTestApp('sqlite', { db: database.db, cache });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await database?.close();
  });

  it('adds both instances up next to each one’s own counts', async () => {
    const t = await tenantWithUser(a, 'Cluster');
    const send = async (app: TestApp, expected: string) => {
      const res = await app.execute(SERVICES, { u: t.userId }, t.key);
      expect(res.headers.get('x-cache')).toBe(expected);
    };
    await send(a, 'MISS');
    await send(a, 'HIT');
    await send(a, 'HIT');
    await send(b, 'HIT');
    // B's counts reach Redis with its next flush (every 100 ms here).
    await expect
      .poll(async () => (await stats(a)).cluster?.hits, { timeout: 5_000, interval: 100 })
      .toBe(3);
    const fromA = await stats(a);
    expect(fromA).toMatchObject({ hits: 2, misses: 1 });
    expect(fromA.cluster).toMatchObject({ instances: 2, hits: 3, misses: 1, errors: 0 });
    expect(fromA.cluster.hitRate).toBeCloseTo(3 / 4, 10);
    expect(fromA.cluster.byOperation).toEqual([{ operationName: 'Services', hits: 3, misses: 1 }]);
    expect(fromA.cluster.latency.hitP50Ms).toBeGreaterThan(0);
    expect(fromA.cluster.latency.missP99Ms).toBeGreaterThan(0);
    expect(fromA.cluster.requestsPerSecond).toBeGreaterThan(0);
    // The history is dense (10 s points over the hour) and its newest points hold the traffic.
    expect(fromA.cluster.history).toHaveLength(360);
    const counted = fromA.cluster.history.reduce((s: number, p: { hits: number }) => s + p.hits, 0);
    expect(counted).toBe(3);
    expect(fromA.history).toHaveLength(30);

    const fromB = await stats(b);
    expect(fromB).toMatchObject({ hits: 1, misses: 0 });
    expect(fromB.cluster).toMatchObject({ hits: 3, misses: 1 });
  });

  it('shows an invalidation made through one instance in the other’s recent invalidations', async () => {
    const t = await tenantWithUser(a, 'Invalidated');
    await b.execute(SERVICES, { u: t.userId }, t.key);
    const res = await b.execute(
      'mutation($u: ID!) { invalidateServices(userId: $u) { invalidatedEntities } }',
      { u: t.userId },
      OPS_TOKEN,
    );
    expect(res.data.invalidateServices.invalidatedEntities).toBe(1);
    await expect
      .poll(async () => (await stats(a)).recentInvalidations[0], { timeout: 5_000 })
      .toMatchObject({ tenantId: t.tenantId, tags: [`ServiceList:${t.userId}`], removed: 1 });
  });
});

describe('batching', () => {
  let redis: RedisServer;
  let app: TestApp;
  let client: Redis;

  beforeAll(async () => {
    redis = await startRedisServer();
    client = new Redis(redis.url);
    client.on('error', () => {}); // the test kills this server on purpose
    // Flushes only when asked (the timer is a minute away), so the test counts them exactly.
    app = await buildTestApp('sqlite', {
      cache: { backend: 'REDIS', redisUrl: redis.url, statsFlushMs: 60_000 },
    });
  });
  afterAll(async () => {
    await app?.close();
    client?.disconnect();
    await redis?.stop();
  });

  const commandCalls = async () => {
    const text = await client.info('commandstats');
    const calls: Record<string, number> = {};
    for (const m of text.matchAll(/^cmdstat_(\w+):calls=(\d+)/gm)) calls[m[1]] = Number(m[2]);
    return calls;
  };

  it('200 requests cost one MULTI of HINCRBYs, not a write each', async () => {
    const t = await tenantWithUser(app, 'Batch');
    const cluster = app.app.cache.cluster;
    if (!cluster) throw new Error('a REDIS backend must have cluster stats');
    await cluster.flush();
    await client.config('RESETSTAT');
    for (let i = 0; i < 200; i++) await app.execute(SERVICES, { u: t.userId }, t.key);
    const during = await commandCalls();
    expect(during.hincrby ?? 0).toBe(0);
    await cluster.flush();
    const after = await commandCalls();
    expect(after.multi).toBe(1);
    // One HINCRBY per counter that moved, not per request: totals h, m, o:h:Services,
    // o:m:Services, then per 10 s bucket the requests spanned (a slow machine can take more
    // than one) h, m and the latency buckets that were hit. At most 18 per bucket.
    const buckets = after.pexpireat;
    expect(buckets).toBeGreaterThanOrEqual(1);
    expect(after.hincrby).toBeLessThanOrEqual(4 + buckets * (2 + LATENCY_BOUNDS_MS.length));
    expect(after.hincrby).toBeLessThan(200 / 2);
    const keys = clusterStatsKeys(app.cacheConfig.prefix);
    expect(await client.hmget(keys.totals, 'h', 'm')).toEqual(['199', '1']);
  });

  it('reads the hour of history once, then only the buckets that can still change', async () => {
    const cluster = app.app.cache.cluster;
    if (!cluster) throw new Error('a REDIS backend must have cluster stats');
    await cluster.read();
    await client.config('RESETSTAT');
    const view = await cluster.read();
    expect(view.history(60)).toHaveLength(360);
    const calls = await commandCalls();
    // Totals and heartbeats, then the buckets another instance may still add to: those of
    // the last 3 flush intervals (3 minutes with this app's 60 s), not the hour's 360.
    const unsettled = Math.ceil((3 * 60_000) / BUCKET_MS) + 2;
    expect(calls.hgetall).toBeGreaterThanOrEqual(3);
    expect(calls.hgetall).toBeLessThanOrEqual(2 + unsettled);
    expect(calls.hgetall).toBeLessThan(360 / 10);
  });

  it('keeps what Redis refused and adds it with the next flush', async () => {
    const t = await tenantWithUser(app, 'Outage');
    const cluster = app.app.cache.cluster;
    if (!cluster) throw new Error('a REDIS backend must have cluster stats');
    await redis.restart(); // empty: the counts start again
    await app.app.cache.ready();
    await expect.poll(() => app.app.cache.connected(), { timeout: 5_000 }).toBe(true);
    await cluster.flush();
    redis.kill();
    await expect.poll(() => app.app.cache.connected(), { timeout: 5_000 }).toBe(false);
    const before = app.app.cache.stats.view().bypasses;
    await app.execute(SERVICES, { u: t.userId }, t.key); // store down: BYPASS
    expect(app.app.cache.stats.view().bypasses).toBe(before + 1);
    // The failed lookups open the breaker; /metrics says so for the fallback alert.
    for (let i = 0; i < 3; i++) await app.execute(SERVICES, { u: t.userId }, t.key);
    await expect
      .poll(async () =>
        (
          await app.yoga.fetch('http://hotpath.test/metrics', {
            headers: { authorization: `Bearer ${OPS_TOKEN}` },
          })
        ).text(),
      )
      .toMatch(/^hotpath_cache_fallback_active 1$/m);
    await cluster.flush(); // refused: given back
    await redis.restart();
    await expect
      .poll(
        async () => {
          await cluster.flush();
          const keys = clusterStatsKeys(app.cacheConfig.prefix);
          return Number(await client.hget(keys.totals, 'b'));
        },
        { timeout: 10_000, interval: 200 },
      )
      .toBeGreaterThanOrEqual(1);
  });
});

describe('the memory backend', () => {
  it('shows its own process and no cluster', async () => {
    const app = await buildTestApp('sqlite', { cache: { backend: 'MEMORY' } });
    try {
      const t = await tenantWithUser(app, 'Memory');
      await app.execute(SERVICES, { u: t.userId }, t.key);
      await app.execute(SERVICES, { u: t.userId }, t.key);
      await app.execute(
        'mutation($u: ID!) { invalidateServices(userId: $u) { invalidatedEntities } }',
        { u: t.userId },
        OPS_TOKEN,
      );
      const s = await stats(app);
      expect(s).toMatchObject({ hits: 1, misses: 1, cluster: null });
      expect(s.recentInvalidations[0]).toMatchObject({ tenantId: t.tenantId, removed: 1 });
      expect(s.latency.hitP50Ms).toBeGreaterThan(0);
      expect(s.history.at(-1)).toMatchObject({ hits: 1, misses: 1, hitRate: 0.5 });
    } finally {
      await app.close();
    }
  });
});

describe('quantile', () => {
  it('interpolates inside the bucket the rank falls in', () => {
    const counts = LATENCY_BOUNDS_MS.map(() => 0);
    counts[2] = 100; // (0.5, 1] ms
    expect(quantile(counts, 0.5)).toBeCloseTo(0.75, 10);
    counts[5] = 1; // (3, 5] ms
    expect(quantile(counts, 0.99)).toBeCloseTo(0.5 + 0.5 * (99.99 / 100), 5);
    expect(quantile(counts, 1)).toBe(5);
    expect(
      quantile(
        LATENCY_BOUNDS_MS.map(() => 0),
        0.5,
      ),
    ).toBeNull();
  });
});

describe('the counts a process hands to the cluster', () => {
  it('drains only what changed, and takes back a refused delta whole', () => {
    let clock = 1_000_000;
    const stats = createCacheStats({ now: () => clock });
    stats.record('hit', 'A', 0.001);
    stats.shareWithCluster();
    stats.record('miss', 'A', 0.004);
    const first = stats.drain();
    // Everything since the start, including what was counted before sharing began.
    expect(Object.fromEntries(first?.totals ?? [])).toEqual({ h: 1, m: 1, 'o:h:A': 1, 'o:m:A': 1 });
    expect(stats.drain()?.totals.size).toBe(0);

    clock += 10_000; // the next 10 s bucket
    stats.record('hit', 'A', 0.001);
    const refused = stats.drain();
    expect(Object.fromEntries(refused?.totals ?? [])).toEqual({ h: 1, 'o:h:A': 1 });
    expect([...(refused?.buckets.keys() ?? [])]).toEqual([1_010_000]);
    stats.giveBack(refused as NonNullable<typeof refused>);
    stats.record('bypass', null, 0.001);
    const retried = stats.drain();
    expect(Object.fromEntries(retried?.totals ?? [])).toEqual({ h: 1, 'o:h:A': 1, b: 1 });
    expect(Object.fromEntries(retried?.buckets.get(1_010_000) ?? [])).toMatchObject({ h: 1, b: 1 });
  });

  it('counts at most MAX_OPERATIONS operation names; the rest share one row', () => {
    const stats = createCacheStats();
    for (let i = 0; i < MAX_OPERATIONS + 100; i++) stats.record('hit', `Op${i}`, 0.001);
    const rows = stats.view().byOperation;
    expect(rows).toHaveLength(MAX_OPERATIONS + 1);
    expect(rows.find((r) => r.operationName === OTHER_OPERATIONS)?.hits).toBe(100);
  });
});

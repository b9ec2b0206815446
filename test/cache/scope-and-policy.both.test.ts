import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CacheConfig } from '../../src/config.js';
import {
  buildTestApp,
  codes,
  dialects,
  OPS_TOKEN,
  sharedRedisCache,
  type TestApp,
} from '../support/app.js';
import { SERVICES } from '../support/documents.js';
import { sharedRedisUrl } from '../support/redis.js';

/**
 * DESIGN §2, §3 and §9: the scope in every key, what is never cached, the TTL table and its
 * overrides, the X-Cache header, CACHE_DEBUG's extensions.cache, and cacheStats.
 */

const STORES = `query Stores { stores { id name } }`;
const AGENDA = `query Agenda($u: ID!, $d: Date!) {
  agenda(userId: $u, date: $d) { id date user { id } appointments { id } }
}`;
const MEGA_STATS = `query MegaStats { megaStats { id today { total } } }`;
const TEMPLATE_BY_TYPE = `query TemplateByType($u: ID!) {
  templateByType(userId: $u, type: APPOINTMENT_REMINDER) { id body }
}`;
const ANALYTICS = `query Analytics($start: Date!, $end: Date!) {
  analytics(input: { metrics: [REVENUE], dateRange: { start: $start, end: $end } }) { id totalRows }
}`;
const CREATE_STORE = `mutation CreateStore($name: String!) { createStore(name: $name) { id name } }`;
const CACHE_STATS = `query CacheStats {
  cacheStats {
    backend connected fallbackActive fallbackSince
    hits misses errors totalRequests hitRate invalidations uptimeSeconds
    keys usedMemoryBytes storeVersion connectedClients
    ttlPolicy { typename ttlSeconds }
    byOperation { operationName hits misses }
  }
}`;

const TZ = 'America/Sao_Paulo';
const today = (tz = TZ) => DateTime.now().setZone(tz).toISODate() as string;

/** DESIGN §3, in seconds; null never expires, 0 is never cached. */
const DESIGN_TTL_TABLE = [
  { typename: 'Agenda', ttlSeconds: 3600 },
  { typename: 'Appointment', ttlSeconds: 3600 },
  { typename: 'Service', ttlSeconds: 86400 },
  { typename: 'MessageTemplate', ttlSeconds: null },
  { typename: 'RenderedMessage', ttlSeconds: null },
  { typename: 'AnalyticsReport', ttlSeconds: 300 },
  { typename: 'MegaStats', ttlSeconds: 30 },
  { typename: 'WhatsAppSession', ttlSeconds: 86400 },
  { typename: 'QrCode', ttlSeconds: 60 },
  { typename: 'DeviceCredential', ttlSeconds: 21600 },
  { typename: 'SessionStatus', ttlSeconds: 300 },
  { typename: 'User', ttlSeconds: 3600 },
  { typename: 'Tenant', ttlSeconds: 3600 },
  { typename: 'Store', ttlSeconds: 3600 },
  { typename: 'CacheStats', ttlSeconds: 0 },
];

const xCache = (res: { headers: Headers }) => res.headers.get('x-cache');
const debugOf = (res: { body: any }) => res.body.extensions?.cache;

let redis: Redis;
beforeAll(() => {
  redis = new Redis(sharedRedisUrl(), { lazyConnect: true, maxRetriesPerRequest: 1 });
  return redis.connect();
});
afterAll(() => redis.quit());

/** Keys of cached responses under an app's prefix (of one scope, when given). */
async function entryKeys(app: TestApp, scope = '*'): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(
      cursor,
      'MATCH',
      `${app.cacheConfig.prefix}:{t:${scope}}:*:r:*`,
      'COUNT',
      1000,
    );
    cursor = next;
    found.push(...keys);
  } while (cursor !== '0');
  return found;
}

const redisCache = (overrides: Partial<CacheConfig> = {}) =>
  sharedRedisCache({ debug: true, ...overrides });

describe.each(dialects)('cache scope and policy on %s with Redis', (dialect) => {
  let app: TestApp;

  beforeAll(async () => {
    app = await buildTestApp(dialect, { cache: redisCache() });
  });
  afterAll(() => app.close());

  async function tenantWithUser(name: string) {
    const { tenant, key } = await app.createTenant(name, TZ);
    const user = await app.createUser(tenant.id, `${name} provider`);
    return { tenantId: tenant.id, key, userId: user.id };
  }

  describe('scope (DESIGN §2)', () => {
    it('gives two tenants sending the same document and variables their own data', async () => {
      const a = await tenantWithUser('A');
      const b = await tenantWithUser('B');
      await app.execute(CREATE_STORE, { name: 'Store of A' }, a.key);
      await app.execute(CREATE_STORE, { name: 'Store of B' }, b.key);

      for (const expected of ['MISS', 'HIT']) {
        const ofA = await app.execute(STORES, {}, a.key);
        const ofB = await app.execute(STORES, {}, b.key);
        expect([xCache(ofA), xCache(ofB)]).toEqual([expected, expected]);
        expect(ofA.data.stores.map((s: any) => s.name)).toEqual(['Store of A']);
        expect(ofB.data.stores.map((s: any) => s.name)).toEqual(['Store of B']);
      }

      // The very request A has cached, sent by B, is B's own miss: NOT_FOUND, not A's data.
      const doc = [SERVICES, { u: a.userId }] as const;
      expect(xCache(await app.execute(...doc, a.key))).toBe('MISS');
      expect(xCache(await app.execute(...doc, a.key))).toBe('HIT');
      const fromB = await app.execute(...doc, b.key);
      expect(xCache(fromB)).toBe('MISS');
      expect(codes(fromB.body)).toEqual(['NOT_FOUND']);
      expect(fromB.data?.services ?? null).toBeNull();
    });

    it('answers a request without a valid key 401 before any lookup, and stores nothing', async () => {
      const a = await tenantWithUser('Keyed');
      const cached = await app.execute(STORES, {}, a.key);
      expect(xCache(cached)).toBe('MISS');
      expect(xCache(await app.execute(STORES, {}, a.key))).toBe('HIT');
      const before = (await entryKeys(app)).sort();
      expect(before.length).toBeGreaterThan(0);

      for (const key of [null, 'hp_test_not-a-key']) {
        for (const query of [STORES, MEGA_STATS]) {
          const res = await app.execute(query, {}, key);
          expect(res.status, `${key} ${query}`).toBe(401);
          // No cache headers for strangers (issue 14): nothing was looked up, nothing timed.
          expect(xCache(res)).toBeNull();
          expect(res.headers.get('server-timing')).toBeNull();
          expect(res.data ?? null).toBeNull();
          expect(codes(res.body)).toEqual(['UNAUTHENTICATED']);
        }
      }
      expect((await entryKeys(app)).sort()).toEqual(before);
    });
  });

  describe('never cached (DESIGN §2, §3)', () => {
    it('errors: NOT_FOUND executes again on every request', async () => {
      const a = await tenantWithUser('Errors');
      const unknown = '00000000-0000-4000-8000-000000000000';
      for (let i = 0; i < 3; i++) {
        const res = await app.execute(AGENDA, { u: unknown, d: today() }, a.key);
        expect(codes(res.body)).toEqual(['NOT_FOUND']);
        expect(xCache(res)).toBe('MISS');
      }
      expect(await entryKeys(app, a.tenantId)).toEqual([]);
    });

    it('partial results: data with an error executes again on every request', async () => {
      const a = await tenantWithUser('Partial');
      const partial = `query Partial($u: ID!) { stores { id } user(id: $u) { id } }`;
      const unknown = '00000000-0000-4000-8000-000000000001';
      for (let i = 0; i < 3; i++) {
        const res = await app.execute(partial, { u: unknown }, a.key);
        expect(res.data).toEqual({ stores: [], user: null });
        expect(codes(res.body)).toEqual(['NOT_FOUND']);
        expect(xCache(res)).toBe('MISS');
      }
      expect(await entryKeys(app, a.tenantId)).toEqual([]);
    });

    it('introspection', async () => {
      const a = await tenantWithUser('Introspection');
      for (const query of [
        '{ __schema { queryType { name } } }',
        'query Types { __type(name: "Agenda") { name fields { name } } }',
      ]) {
        for (let i = 0; i < 3; i++) {
          const res = await app.execute(query, {}, a.key);
          expect(res.body.errors).toBeUndefined();
          expect(xCache(res), query).not.toBe('HIT');
        }
      }
      expect(await entryKeys(app, a.tenantId)).toEqual([]);
    });

    it('mutations answer BYPASS', async () => {
      const a = await tenantWithUser('Mutations');
      for (let i = 0; i < 2; i++) {
        const res = await app.execute(CREATE_STORE, { name: 'Same store' }, a.key);
        expect(res.data.createStore.name).toBe('Same store');
        expect(xCache(res)).toBe('BYPASS');
        // Nothing stored or served: CACHE_DEBUG says only why (issue 18).
        expect(debugOf(res)).toEqual({ hit: false, ttl: null, tags: [], reason: 'mutation' });
      }
      const stores = await app.execute(STORES, {}, a.key);
      expect(stores.data.stores).toHaveLength(2);
    });

    it("the operator token's queries answer BYPASS", async () => {
      for (const query of ['{ __typename }', CACHE_STATS]) {
        for (let i = 0; i < 2; i++) {
          const res = await app.execute(query, {}, OPS_TOKEN);
          expect(res.body.errors).toBeUndefined();
          expect(xCache(res)).toBe('BYPASS');
        }
      }
      expect(await entryKeys(app, 'ops')).toEqual([]);
    });

    it('cacheStats: FORBIDDEN for a tenant every time, live for operators', async () => {
      const a = await tenantWithUser('Nosy');
      for (let i = 0; i < 2; i++) {
        const res = await app.execute(CACHE_STATS, {}, a.key);
        expect(codes(res.body)).toEqual(['FORBIDDEN']);
        expect(xCache(res)).not.toBe('HIT');
      }
      const first = await app.execute(CACHE_STATS, {}, OPS_TOKEN);
      const second = await app.execute(CACHE_STATS, {}, OPS_TOKEN);
      // The first cacheStats request counts in the second one's figures: not a replay.
      expect(second.data.cacheStats.totalRequests).toBe(first.data.cacheStats.totalRequests + 1);
    });
  });

  it('cacheStats reports every contract field, counted per process and per operation', async () => {
    const fresh = await buildTestApp(dialect, { cache: redisCache() });
    try {
      const { key } = await fresh.createTenant('Counted', TZ);
      const send = async (
        query: string,
        expected: string | null,
        variables = {},
        k: string | null = key,
      ) => {
        const res = await fresh.execute(query, variables, k);
        expect(xCache(res), query).toBe(expected);
        return res;
      };
      await send(STORES, 'MISS');
      await send(STORES, 'HIT');
      await send(STORES, 'HIT');
      await send(MEGA_STATS, 'MISS');
      await send('{ stores { name } }', 'MISS');
      await send('{ stores { name } }', 'HIT');
      await send(CREATE_STORE, 'BYPASS', { name: 'New' }); // invalidates both stores entries
      await send(STORES, 'MISS');
      // A stranger's 401 is answered before the cache hears of it: not counted.
      expect((await send(STORES, null, {}, null)).status).toBe(401);

      const res = await send(CACHE_STATS, 'BYPASS', {}, OPS_TOKEN);
      const stats = res.data.cacheStats;
      expect(stats).toMatchObject({
        backend: 'REDIS',
        connected: true,
        fallbackActive: false,
        fallbackSince: null,
        hits: 3,
        misses: 4,
        errors: 0,
        totalRequests: 8,
        invalidations: 2,
        ttlPolicy: DESIGN_TTL_TABLE,
      });
      expect(stats.hitRate).toBeCloseTo(3 / 7, 10);
      expect(stats.storeVersion).toMatch(/^\d+\.\d+/);
      expect(stats.usedMemoryBytes).toBeGreaterThan(0);
      expect(stats.keys).toBeGreaterThanOrEqual(0);
      expect(stats.connectedClients).toBeGreaterThanOrEqual(1);
      expect(stats.uptimeSeconds).toBeGreaterThanOrEqual(0);
      const byName = (list: any[]) =>
        [...list].sort((x, y) => (x.operationName < y.operationName ? -1 : 1));
      expect(byName(stats.byOperation)).toEqual([
        { operationName: 'MegaStats', hits: 0, misses: 1 },
        { operationName: 'Stores', hits: 2, misses: 2 },
        { operationName: 'anonymous', hits: 1, misses: 1 },
      ]);
    } finally {
      await fresh.close();
    }
  });

  describe('TTL policy (DESIGN §3) and CACHE_DEBUG (DESIGN §9)', () => {
    it('extensions.cache shows what a MISS stored and what a HIT served', async () => {
      const a = await tenantWithUser('Debug');
      const day = today();
      const miss = await app.execute(AGENDA, { u: a.userId, d: day }, a.key);
      expect(xCache(miss)).toBe('MISS');
      expect(miss.data.agenda.id).toBe(`${a.userId}:${day}`);
      const stored = debugOf(miss);
      expect(stored).toMatchObject({ hit: false, ttl: 3600 });
      expect(stored.tags).toEqual(
        expect.arrayContaining([`Agenda:${a.userId}:${day}`, `User:${a.userId}`]),
      );

      const hit = await app.execute(AGENDA, { u: a.userId, d: day }, a.key);
      expect(xCache(hit)).toBe('HIT');
      expect(hit.data).toEqual(miss.data);
      const served = debugOf(hit);
      expect(served.hit).toBe(true);
      expect(served.ttl).toBeGreaterThan(3590);
      expect(served.ttl).toBeLessThanOrEqual(3600);
      expect([...served.tags].sort()).toEqual([...stored.tags].sort());
    });

    it('megaStats lives 30 s, templates never expire', async () => {
      const a = await tenantWithUser('Ttl');
      const stats = await app.execute(MEGA_STATS, {}, a.key);
      expect(debugOf(stats)).toMatchObject({ hit: false, ttl: 30 });
      expect(debugOf(stats).tags).toContain(`MegaStats:${a.tenantId}:${TZ}`);
      const template = await app.execute(TEMPLATE_BY_TYPE, { u: a.userId }, a.key);
      expect(debugOf(template)).toMatchObject({ hit: false, ttl: null });
      expect(debugOf(template).tags).toContain(`Template:${a.tenantId}`);
      const again = await app.execute(TEMPLATE_BY_TYPE, { u: a.userId }, a.key);
      expect(xCache(again)).toBe('HIT');
      expect(debugOf(again)).toMatchObject({ hit: true, ttl: null });
    });

    it('cacheStats.ttlPolicy reports the DESIGN §3 table', async () => {
      const res = await app.execute(CACHE_STATS, {}, OPS_TOKEN);
      expect(res.data.cacheStats.ttlPolicy).toEqual(DESIGN_TTL_TABLE);
    });

    it('an environment override shows in ttlPolicy and in the TTL entries get', async () => {
      const custom = await buildTestApp(dialect, {
        cache: redisCache({ ttlOverrides: { CACHE_TTL_STATS: 5, CACHE_TTL_TEMPLATES: 120 } }),
      });
      try {
        const policy = (await custom.execute(CACHE_STATS, {}, OPS_TOKEN)).data.cacheStats.ttlPolicy;
        expect(policy).toEqual(
          DESIGN_TTL_TABLE.map((row) =>
            row.typename === 'MegaStats'
              ? { ...row, ttlSeconds: 5 }
              : row.typename === 'MessageTemplate' || row.typename === 'RenderedMessage'
                ? { ...row, ttlSeconds: 120 }
                : row,
          ),
        );
        const { tenant, key } = await custom.createTenant('Override', TZ);
        const user = await custom.createUser(tenant.id);
        expect(debugOf(await custom.execute(MEGA_STATS, {}, key))).toMatchObject({ ttl: 5 });
        expect(debugOf(await custom.execute(TEMPLATE_BY_TYPE, { u: user.id }, key))).toMatchObject({
          ttl: 120,
        });
        expect(
          debugOf(await custom.execute(AGENDA, { u: user.id, d: today() }, key)),
        ).toMatchObject({ ttl: 3600 });
      } finally {
        await custom.close();
      }
    });

    it('gives analytics a TTL by how recent the range is', async () => {
      const a = await tenantWithUser('Reports');
      // The cache reads the real clock for this, so the ranges are relative to today.
      const todayInZone = DateTime.now().setZone(TZ).startOf('day');
      const ttlOfRangeEnding = async (daysAgo: number) => {
        const end = todayInZone.minus({ days: daysAgo });
        const res = await app.execute(
          ANALYTICS,
          { start: end.minus({ days: 20 }).toISODate(), end: end.toISODate() },
          a.key,
        );
        expect(res.body.errors).toBeUndefined();
        expect(xCache(res)).toBe('MISS');
        const months = new Set([
          end.minus({ days: 20 }).toFormat('yyyy-MM'),
          end.toFormat('yyyy-MM'),
        ]);
        for (const month of months) {
          expect(debugOf(res).tags).toContain(`Analytics:${a.tenantId}:${month}`);
        }
        return debugOf(res).ttl;
      };
      const ttls: Record<number, number> = {};
      for (const daysAgo of [0, 3, 7, 8, 15, 30, 31, 120])
        ttls[daysAgo] = await ttlOfRangeEnding(daysAgo);
      expect(ttls).toEqual({
        0: 300,
        3: 300,
        7: 300,
        8: 3600,
        15: 3600,
        30: 3600,
        31: 86400,
        120: 86400,
      });
    });

    it('expires a megaStats entry after its TTL', async () => {
      // Without stale-while-revalidate (test/cache/stale.both.test.ts has it): a plain expiry.
      const short = await buildTestApp(dialect, {
        cache: redisCache({ ttlOverrides: { CACHE_TTL_STATS: 1 }, swrGraceSeconds: 0 }),
      });
      try {
        const { key } = await short.createTenant('Short', TZ);
        expect(xCache(await short.execute(MEGA_STATS, {}, key))).toBe('MISS');
        const hit = await short.execute(MEGA_STATS, {}, key);
        expect(xCache(hit)).toBe('HIT');
        expect(debugOf(hit).ttl).toBeLessThanOrEqual(1);
        await sleep(1_200);
        expect(xCache(await short.execute(MEGA_STATS, {}, key))).toBe('MISS');
        expect(xCache(await short.execute(MEGA_STATS, {}, key))).toBe('HIT');
      } finally {
        await short.close();
      }
    });
  });
});

describe('the same basics with the MEMORY backend', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await buildTestApp('sqlite', { cache: { backend: 'MEMORY' } });
  });
  afterAll(() => app.close());

  it('MISS then HIT, per tenant; a write empties its entries; mutations BYPASS', async () => {
    const a = await app.createTenant('A', TZ);
    const b = await app.createTenant('B', TZ);
    await app.execute(CREATE_STORE, { name: 'Store of A' }, a.key);

    const first = await app.execute(STORES, {}, a.key);
    expect(xCache(first)).toBe('MISS');
    // Without CACHE_DEBUG responses carry no cache extension.
    expect((first.body as { extensions?: unknown }).extensions).toBeUndefined();
    const second = await app.execute(STORES, {}, a.key);
    expect(xCache(second)).toBe('HIT');
    expect(second.data).toEqual(first.data);
    expect(first.data.stores.map((s: any) => s.name)).toEqual(['Store of A']);

    const ofB = await app.execute(STORES, {}, b.key);
    expect(xCache(ofB)).toBe('MISS');
    expect(ofB.data.stores).toEqual([]);

    const write = await app.execute(CREATE_STORE, { name: 'Second' }, a.key);
    expect(xCache(write)).toBe('BYPASS');
    const refreshed = await app.execute(STORES, {}, a.key);
    expect(xCache(refreshed)).toBe('MISS');
    expect(refreshed.data.stores.map((s: any) => s.name)).toEqual(['Second', 'Store of A']);
    expect(xCache(await app.execute(STORES, {}, b.key))).toBe('HIT');

    const unknown = '00000000-0000-4000-8000-000000000002';
    for (let i = 0; i < 2; i++) {
      const res = await app.execute(SERVICES, { u: unknown }, a.key);
      expect(codes(res.body)).toEqual(['NOT_FOUND']);
      expect(xCache(res)).toBe('MISS');
    }

    const stats = (await app.execute(CACHE_STATS, {}, OPS_TOKEN)).data.cacheStats;
    expect(stats).toMatchObject({ backend: 'MEMORY', connected: true, hits: 2, misses: 5 });

    // Two entries are held (A's and B's store lists): the purge drops and counts both.
    const purge = await app.execute(
      'mutation { purgeCache { invalidatedEntities } }',
      {},
      OPS_TOKEN,
    );
    expect(purge.data.purgeCache.invalidatedEntities).toBe(2);
    expect(xCache(await app.execute(STORES, {}, a.key))).toBe('MISS');
  });
});

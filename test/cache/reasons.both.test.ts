import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect } from 'vitest';
import { createMemoryStore } from '../../src/cache/store/memory-store.js';
import type { ResponseStore } from '../../src/cache/store/store.js';
import { dialects, OPS_TOKEN, sharedRedisCache, type TestApp } from '../support/app.js';
import { CREATE_SERVICE, SERVICES } from '../support/documents.js';
import { test, useTestApp } from '../support/fixtures.js';

// Issue 18: every MISS and BYPASS says why, in X-Cache-Reason, extensions.cache.reason
// (CACHE_DEBUG), cacheStats (totals and per operation) and /metrics. Run through both paths
// (*.both.test.ts): the hit path hands its lookup's reason over to Yoga, which writes it.

const SERVICES_AND_MISSING = `query ServicesAndMissing($u: ID!, $m: ID!) {
  services(userId: $u) { id }
  user(id: $m) { id }
}`;
const INTROSPECTION = `query Types { __schema { queryType { name } } }`;
const REASONS = `{ cacheStats {
  reasons { reason count }
  byOperation { operationName misses reasons { reason count } }
} }`;

const why = (res: { headers: Headers }) => [
  res.headers.get('x-cache'),
  res.headers.get('x-cache-reason'),
];
/** extensions.cache.reason (CACHE_DEBUG). */
const debugReason = (res: { body: unknown }) =>
  (res.body as { extensions?: { cache?: { reason?: string } } }).extensions?.cache?.reason;

async function read(app: TestApp, userId: string, key: string) {
  return app.execute(SERVICES, { u: userId }, key);
}

describe.each(dialects)('reasons on %s', (dialect) => {
  describe('memory store, CACHE_DEBUG', () => {
    useTestApp(dialect, {
      cache: { backend: 'MEMORY', debug: true, ttlOverrides: { CACHE_TTL_STATS: 1 } },
    });

    test('first, then HIT (no reason), invalidated after a write, mutation', async ({
      app,
      tenant,
      provider,
    }) => {
      const { user } = await provider('Ana');
      const first = await read(app, user.id, tenant.key);
      expect(why(first)).toEqual(['MISS', 'first']);
      expect(debugReason(first)).toBe('first');
      const hit = await read(app, user.id, tenant.key);
      expect(why(hit)).toEqual(['HIT', null]);
      expect(debugReason(hit)).toBeUndefined();
      const write = await app.execute(
        CREATE_SERVICE,
        { i: { userId: user.id, name: 'Beard', durationMinutes: 20, priceCents: 2000 } },
        tenant.key,
      );
      expect(why(write)).toEqual(['BYPASS', 'mutation']);
      expect(debugReason(write)).toBe('mutation');
      expect(why(await read(app, user.id, tenant.key))).toEqual(['MISS', 'invalidated']);
    });

    test('expired: the TTL ran out (megaStats lives 1 s here)', async ({ app, tenant }) => {
      const query = `{ megaStats { id today { total } } }`;
      expect(why(await app.execute(query, {}, tenant.key))).toEqual(['MISS', 'first']);
      expect(why(await app.execute(query, {}, tenant.key))[0]).toBe('HIT');
      await sleep(1_100);
      // Within the stale-while-revalidate grace it is served STALE; past it, a MISS: expired.
      const after = await app.execute(query, {}, tenant.key);
      if (after.headers.get('x-cache') === 'STALE') return;
      expect(why(after)).toEqual(['MISS', 'expired']);
    });

    test('operator, no-cache asked by the client, never-cached, error, partial', async ({
      app,
      tenant,
      provider,
    }) => {
      const { user } = await provider('Bia');
      expect(why(await read(app, user.id, OPS_TOKEN))).toEqual(['BYPASS', 'operator']);
      const asks: Record<string, string>[] = [
        { 'cache-control': 'no-cache' },
        { pragma: 'no-cache' },
      ];
      for (const header of asks) {
        const res = await app.request('/graphql', {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            authorization: `Bearer ${tenant.key}`,
            ...header,
          },
          body: JSON.stringify({ query: String(SERVICES), variables: { u: user.id } }),
        });
        expect(why(res)).toEqual(['BYPASS', 'no-cache']);
      }
      // The client that asked got a fresh answer; nothing was stored for the others.
      expect(why(await read(app, user.id, tenant.key))).toEqual(['MISS', 'first']);
      const types = await app.execute(INTROSPECTION, {}, tenant.key);
      expect(why(types)).toEqual(['MISS', 'never-cached']);
      expect(why(await app.execute(INTROSPECTION, {}, tenant.key))).toEqual([
        'MISS',
        'never-cached',
      ]);
      const error = await read(app, randomUUID(), tenant.key);
      expect(error.body.errors?.[0].extensions?.code).toBe('NOT_FOUND');
      expect(why(error)).toEqual(['MISS', 'error']);
      const partial = await app.execute(
        SERVICES_AND_MISSING,
        { u: user.id, m: randomUUID() },
        tenant.key,
      );
      expect(partial.data.services).toHaveLength(1);
      expect(why(partial)).toEqual(['MISS', 'partial']);
    });

    test('cacheStats and /metrics count them, per operation too', async ({
      app,
      tenant,
      provider,
    }) => {
      const { user } = await provider('Cris');
      await read(app, user.id, tenant.key);
      await read(app, user.id, tenant.key);
      const stats = await app.execute(REASONS, {}, OPS_TOKEN);
      const { reasons, byOperation } = stats.data.cacheStats;
      expect(reasons.find((r: { reason: string }) => r.reason === 'first')?.count).toBeGreaterThan(
        0,
      );
      // The cacheStats query itself is an operator's: a BYPASS of its own, counted next time.
      const services = byOperation.find(
        (o: { operationName: string }) => o.operationName === 'Services',
      );
      expect(services.reasons.find((r: { reason: string }) => r.reason === 'first').count).toBe(
        services.misses -
          services.reasons
            .filter((r: { reason: string }) => r.reason !== 'first')
            .reduce((s: number, r: { count: number }) => s + r.count, 0),
      );
      const metrics = await app.request('/metrics', {
        headers: { authorization: `Bearer ${OPS_TOKEN}` },
      });
      const text = await metrics.text();
      expect(text).toMatch(/hotpath_cache_reasons_total\{outcome="miss",reason="first"\} \d+/);
      expect(text).toMatch(/hotpath_cache_reasons_total\{outcome="bypass",reason="operator"\} \d+/);
    });
  });

  describe('a store that holds one entry', () => {
    useTestApp(dialect, { cache: { backend: 'MEMORY', maxEntries: 1 } });

    test('evicted: pushed out to make room, before its TTL and with no write', async ({
      app,
      tenant,
      provider,
    }) => {
      const a = await provider('Dani');
      const b = await provider('Edu');
      expect(why(await read(app, a.user.id, tenant.key))).toEqual(['MISS', 'first']);
      expect(why(await read(app, b.user.id, tenant.key))).toEqual(['MISS', 'first']);
      expect(why(await read(app, a.user.id, tenant.key))).toEqual(['MISS', 'evicted']);
    });
  });

  describe('entries larger than CACHE_MAX_ENTRY_BYTES', () => {
    useTestApp(dialect, { cache: { backend: 'MEMORY', maxEntryBytes: 20 } });

    test('too-large: served, never stored', async ({ app, tenant, provider }) => {
      const { user } = await provider('Fia');
      expect(why(await read(app, user.id, tenant.key))).toEqual(['MISS', 'too-large']);
      expect(why(await read(app, user.id, tenant.key))).toEqual(['MISS', 'too-large']);
    });
  });

  describe('a store that fails', () => {
    const memory = createMemoryStore({ maxEntries: 100 });
    const failing: ResponseStore = {
      ...memory,
      lookup: () => Promise.reject(new Error('store down')),
    };
    useTestApp(dialect, { cache: { backend: 'MEMORY', breakerThreshold: 1 }, store: failing });

    test('fallback: the breaker is open, straight to the database', async ({
      app,
      tenant,
      provider,
    }) => {
      const { user } = await provider('Gil');
      const res = await read(app, user.id, tenant.key);
      expect(res.body.errors).toBeUndefined();
      expect(why(res)).toEqual(['BYPASS', 'fallback']);
    });
  });

  describe('caching disabled', () => {
    useTestApp(dialect, {});

    test('disabled: CACHE_ENABLED=false', async ({ app, tenant, provider }) => {
      const { user } = await provider('Hugo');
      expect(why(await read(app, user.id, tenant.key))).toEqual(['BYPASS', 'disabled']);
    });
  });

  describe('Redis store', () => {
    useTestApp(dialect, { cache: sharedRedisCache({ ttlOverrides: { CACHE_TTL_SERVICES: 1 } }) });

    test('first, invalidated, expired on Redis too', async ({ app, tenant, provider }) => {
      const { user } = await provider('Ivo');
      expect(why(await read(app, user.id, tenant.key))).toEqual(['MISS', 'first']);
      expect(why(await read(app, user.id, tenant.key))).toEqual(['HIT', null]);
      await app.execute(
        CREATE_SERVICE,
        { i: { userId: user.id, name: 'Shave', durationMinutes: 20, priceCents: 2000 } },
        tenant.key,
      );
      expect(why(await read(app, user.id, tenant.key))).toEqual(['MISS', 'invalidated']);
      await sleep(1_200);
      expect(why(await read(app, user.id, tenant.key))).toEqual(['MISS', 'expired']);
    });
  });
});

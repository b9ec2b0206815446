import { describe, expect } from 'vitest';
import { Store } from '../../src/db/entities/store.entity.js';
import { dialects, type GraphQLDocument, sharedRedisCache } from '../support/app.js';
import { CREATE_SERVICE, SERVICES_AND_USER } from '../support/documents.js';
import { createProvider, createTestTenant, test, useTestApp } from '../support/fixtures.js';

const BURST = 100;

const STORES = 'query Stores { stores { id name } }';
const CREATE_STORE = 'mutation($n: String!) { createStore(name: $n) { id name } }';

// A generous store timeout: on a busy machine, 100 requests executing at once can hold the event
// loop past the default 50 ms, and a Redis reply read late counts as a timeout
// (failure.both.test.ts covers the timeout and the breaker). Here the store must answer: the
// flight is what's tested.
const backends = [sharedRedisCache(), { backend: 'MEMORY' as const, timeoutMs: 2_000 }];

describe.each(dialects)('single flight on %s', (dialect) => {
  describe.each(backends)('with $backend', (cache) => {
    const getApp = useTestApp(dialect, { cache });

    /** A provider offering two services (through the API, so its key is known to the auth). */
    const twoServices = (name: string) =>
      ({
        userName: `${name} provider`,
        services: [
          [`${name} cut`, 3000],
          [`${name} wash`, 1500],
        ],
      }) as const;

    /** SQL statements of one cold execution of SERVICES_AND_USER, measured on a provider of its own. */
    async function statementsPerExecution() {
      const app = getApp();
      const baseline = await createTestTenant(app, 'Baseline');
      const { user } = await createProvider(app, baseline, 'Baseline', twoServices('Baseline'));
      const { key } = baseline;
      app.counter.reset();
      const cold = await app.execute(SERVICES_AND_USER, { u: user.id }, key);
      expect(cold.headers.get('x-cache')).toBe('MISS');
      const count = app.counter.count;
      expect(count).toBeGreaterThan(0);
      return count;
    }

    const burst = (
      query: GraphQLDocument,
      variables: Record<string, unknown>,
      key: string,
      n = BURST,
    ) => Promise.all(Array.from({ length: n }, () => getApp().execute(query, variables, key)));

    test(`runs one execution for ${BURST} identical concurrent cold requests, and one more after a write`, async ({
      app,
      tenant,
      provider,
    }) => {
      const perExecution = await statementsPerExecution();
      const { user } = await provider('Ana', twoServices('Ana'));
      const { key } = tenant;

      app.counter.reset();
      const first = await burst(SERVICES_AND_USER, { u: user.id }, key);
      expect(app.counter.count).toBe(perExecution);
      const expected = {
        services: [
          { id: expect.any(String), name: 'Ana cut', priceCents: 3000 },
          { id: expect.any(String), name: 'Ana wash', priceCents: 1500 },
        ],
        user: { id: user.id, name: 'Ana provider' },
      };
      for (const res of first) {
        expect(res.status).toBe(200);
        expect(res.body.errors).toBeUndefined();
        expect(res.data).toEqual(expected);
        expect(['MISS', 'HIT']).toContain(res.headers.get('x-cache'));
      }
      expect(new Set(first.map((r) => JSON.stringify(r.data))).size).toBe(1);

      // Settled: the next request is a hit and costs nothing.
      app.counter.reset();
      const hit = await app.execute(SERVICES_AND_USER, { u: user.id }, key);
      expect(hit.headers.get('x-cache')).toBe('HIT');
      expect(hit.data).toEqual(first[0].data);
      expect(app.counter.count).toBe(0);

      const added = await app.execute(
        CREATE_SERVICE,
        { i: { userId: user.id, name: 'Ana brows', durationMinutes: 20, priceCents: 2000 } },
        key,
      );
      expect(added.body.errors).toBeUndefined();

      app.counter.reset();
      const second = await burst(SERVICES_AND_USER, { u: user.id }, key);
      expect(app.counter.count).toBe(perExecution);
      const names = ['Ana brows', 'Ana cut', 'Ana wash'];
      for (const res of second) {
        expect(res.status).toBe(200);
        expect(res.data.services.map((s: { name: string }) => s.name)).toEqual(names);
      }
    });

    test('does not coalesce two tenants sending the same document at the same time', async ({
      app,
    }) => {
      const perExecution = await (async () => {
        const { key } = await app.createTenant('Stores baseline');
        await app.execute(CREATE_STORE, { n: 'X' }, key);
        app.counter.reset();
        const cold = await app.execute(STORES, {}, key);
        expect(cold.data.stores).toEqual([{ id: expect.any(String), name: 'X' }]);
        return app.counter.count;
      })();
      expect(perExecution).toBeGreaterThan(0);

      const tenants = await Promise.all(
        ['North', 'South'].map(async (name) => {
          const { tenant, key } = await app.createTenant(name);
          const created = await app.execute(CREATE_STORE, { n: `${name} store` }, key);
          return { tenant, key, store: created.data.createStore };
        }),
      );

      app.counter.reset();
      const results = await Promise.all(
        Array.from({ length: BURST }, (_, i) => {
          const { key } = tenants[i % 2];
          return app.execute(STORES, {}, key).then((res) => ({ res, tenant: i % 2 }));
        }),
      );
      expect(app.counter.count).toBe(2 * perExecution);
      for (const { res, tenant } of results) {
        expect(res.status).toBe(200);
        expect(res.data.stores).toEqual([tenants[tenant].store]);
      }
    });

    test('never coalesces mutations', async ({ app }) => {
      const { tenant, key } = await app.createTenant('Busy');
      const results = await burst(CREATE_STORE, { n: 'Same name' }, key, 10);
      for (const res of results) {
        expect(res.status).toBe(200);
        expect(res.body.errors).toBeUndefined();
        expect(res.data.createStore.name).toBe('Same name');
      }
      expect(new Set(results.map((r) => r.data.createStore.id)).size).toBe(10);
      expect(await app.db.getRepository(Store).countBy({ tenantId: tenant.id })).toBe(10);
    });
  });
});

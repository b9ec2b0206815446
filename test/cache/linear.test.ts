import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, sharedRedisCache, type TestApp } from '../support/app.js';
import { createProvider, createTestTenant } from '../support/fixtures.js';

/**
 * DESIGN §12: the cache path costs time linear in the document and the result. Counted, not
 * timed: the values the cache reads in a result equal the values in it, at every depth, and
 * @envelop/response-cache's own walk (exponential in nested lists) never runs. These chains
 * select a service without its id: the plugin runs them (src/cache/document-plan.ts).
 */

/** Limits raised far enough to let the chains below through. */
const RAISED = { depth: 200, cost: Number.POSITIVE_INFINITY, tokens: 100_000, aliases: 1_000 };

function chain(levels: number) {
  let selection = 'id __typename';
  for (let i = levels - 1; i >= 0; i--) {
    selection = i % 2 === 0 ? `services { ${selection} }` : `user { id ${selection} }`;
  }
  return `query Chain($u: ID!) { user(id: $u) { id ${selection} } }`;
}

/** Objects, lists and scalars in a JSON value: what one pass over it visits. */
function valuesIn(value: unknown): number {
  if (Array.isArray(value)) return 1 + value.reduce((n: number, v) => n + valuesIn(v), 0);
  if (value !== null && typeof value === 'object') {
    return 1 + Object.values(value).reduce((n: number, v) => n + valuesIn(v), 0);
  }
  return 1;
}

describe.each([
  ['memory', { backend: 'MEMORY' as const }],
  ['Redis', sharedRedisCache()],
])('the cache path on %s is linear in the result', (_name, cache) => {
  let app: TestApp;
  let key: string;
  let userId: string;
  let serviceIds: string[];

  beforeAll(async () => {
    app = await buildTestApp('sqlite', { cache, limits: RAISED });
    const tenant = await createTestTenant(app);
    key = tenant.key;
    const provider = await createProvider(app, tenant, 'Provider', {
      services: [
        ['Cut', 5000],
        ['Color', 5000],
      ],
    });
    userId = provider.user.id;
    serviceIds = provider.services.map((service) => service.id);
  });
  afterAll(() => app.close());

  async function run(query: string) {
    const request = new Request('http://hotpath.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ query, variables: { u: userId } }),
    });
    const response = await app.yoga.fetch(request);
    const body = (await response.json()) as { data: unknown; errors?: unknown };
    return { response, body, state: app.app.responseCache.stateFor(request) };
  }

  it('reads each value of the result once, at every depth from 4 to 24', async () => {
    const rows: { levels: number; values: number; walked: number }[] = [];
    // Two services per user: a 2-wide tree, 2^12 services at the bottom of 24 levels.
    for (let levels = 4; levels <= 24; levels += 4) {
      const { response, body, state } = await run(chain(levels));
      expect(body.errors).toBeUndefined();
      expect(response.headers.get('x-cache')).toBe('MISS');
      rows.push({ levels, values: valuesIn(body.data), walked: state?.walkedValues ?? -1 });
      expect(state?.viaEnvelop).toBe(true);
      expect(state?.pluginEntities).toBe(0);
      expect([...(state?.tags ?? [])]).toEqual(
        expect.arrayContaining([`User:${userId}`, ...serviceIds.map((id) => `Service:${id}`)]),
      );
    }
    for (const row of rows) expect(row.walked, `levels ${row.levels}`).toBe(row.values);
    expect(rows.at(-1)?.values).toBeGreaterThan(10_000);
  });

  it('serves a 40-level chain on one service, then hits it', async () => {
    const single = await buildTestApp('sqlite', { cache, limits: RAISED });
    try {
      const tenant = await createTestTenant(single);
      const { user } = await createProvider(single, tenant, 'Provider', {
        services: [['Only', 1]],
      });
      const first = await single.execute(chain(40), { u: user.id }, tenant.key);
      expect(first.body.errors).toBeUndefined();
      expect(first.headers.get('x-cache')).toBe('MISS');
      const again = await single.execute(chain(40), { u: user.id }, tenant.key);
      expect(again.headers.get('x-cache')).toBe('HIT');
      expect(again.body).toEqual(first.body);
    } finally {
      await single.close();
    }
  });
});

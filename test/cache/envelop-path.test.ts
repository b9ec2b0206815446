import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Service } from '../../src/db/entities/service.entity.js';
import { buildTestApp, sharedRedisCache, type TestApp } from '../support/app.js';

/**
 * Who runs a miss (src/cache/document-plan.ts, src/yoga/use-response-cache.ts): a document
 * whose result says by itself what the cache needs is executed as sent and read in place;
 * any other goes through @envelop/response-cache (its document rewrite, its TTL, its set
 * through Hotpath's adapter), with Hotpath's one-pass walk stripping and collecting before the
 * plugin's own. Both store the same tags, and a write invalidates both.
 */

/** Objects selected without their id: the plan can't read it in place. */
const WITHOUT_IDS = `query WithoutIds($u: ID!) {
  user(id: $u) { name services { name priceCents } }
}`;
/** The same answer with every id selected: read in place. */
const WITH_IDS = `query WithIds($u: ID!) {
  user(id: $u) { id name services { id name priceCents } }
}`;
const UPDATE_SERVICE = `mutation UpdateService($id: ID!, $i: UpdateServiceInput!) {
  updateService(id: $id, input: $i) { id name }
}`;

describe.each([
  ['memory', { backend: 'MEMORY' as const }],
  ['Redis', sharedRedisCache()],
])('the two ways of a miss on %s', (_name, cache) => {
  let app: TestApp;
  let key: string;
  let userId: string;
  let serviceIds: string[];

  beforeAll(async () => {
    app = await buildTestApp('sqlite', { cache });
    const tenant = await app.createTenant('Envelop path');
    key = tenant.key;
    const user = await app.createUser(tenant.tenant.id);
    userId = user.id;
    const services = await app.db.getRepository(Service).save(
      ['Cut', 'Color'].map((name) => ({
        id: randomUUID(),
        tenantId: tenant.tenant.id,
        userId: user.id,
        name,
        durationMinutes: 30,
        priceCents: 3_000,
        active: true,
        createdAt: new Date(),
        deletedAt: null,
      })),
    );
    serviceIds = services.map((service) => service.id);
  });
  afterAll(() => app.close());

  async function run(query: string, variables: Record<string, unknown> = { u: userId }) {
    const request = new Request('http://hotpath.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ query, variables }),
    });
    const response = await app.yoga.fetch(request);
    const body = (await response.json()) as {
      data: { user: { services: { name: string }[] } };
      errors?: unknown;
    };
    const state = app.app.responseCache.stateFor(request);
    return { cache: response.headers.get('x-cache'), body, state };
  }

  it('runs a document without ids through @envelop/response-cache, and a write invalidates it', async () => {
    const miss = await run(WITHOUT_IDS);
    expect(miss.body.errors).toBeUndefined();
    expect(miss.cache).toBe('MISS');
    expect(miss.state?.viaEnvelop).toBe(true);
    // Hotpath's walk read the result first: the plugin's own (exponential) walk found nothing.
    expect(miss.state?.pluginEntities).toBe(0);
    expect(miss.state?.debug?.tags).toEqual(
      expect.arrayContaining([`User:${userId}`, ...serviceIds.map((id) => `Service:${id}`)]),
    );
    // The plugin's metadata fields were stripped from the answer.
    expect(JSON.stringify(miss.body)).not.toContain('__responseCache');
    expect(miss.body.data.user.services.map((s) => s.name).sort()).toEqual(['Color', 'Cut']);

    const hit = await run(WITHOUT_IDS);
    expect(hit.cache).toBe('HIT');
    expect(hit.body).toEqual(miss.body);

    const write = await run(UPDATE_SERVICE, { id: serviceIds[0], i: { name: 'Trim' } });
    expect(write.body.errors).toBeUndefined();
    const after = await run(WITHOUT_IDS);
    expect(after.cache).toBe('MISS');
    expect(after.body.data.user.services.map((s) => s.name).sort()).toEqual(['Color', 'Trim']);
  });

  it('stores the same tags for a document read in place as the plugin does for its twin', async () => {
    const viaEnvelop = await run(`${WITHOUT_IDS} # twin`);
    const inPlace = await run(WITH_IDS);
    expect([viaEnvelop.cache, inPlace.cache]).toEqual(['MISS', 'MISS']);
    expect(viaEnvelop.state?.viaEnvelop).toBe(true);
    expect(inPlace.state?.viaEnvelop).toBe(false);
    const tags = (state: typeof inPlace.state) => [...(state?.debug?.tags ?? [])].sort();
    expect(tags(inPlace.state)).toEqual(tags(viaEnvelop.state));
    expect(tags(inPlace.state)).toContain(`Service:${serviceIds[1]}`);
    expect(inPlace.state?.debug?.ttl).toBe(viaEnvelop.state?.debug?.ttl);
    expect((await run(WITH_IDS)).cache).toBe('HIT');
  });

  // cacheStats is the third such field (NEVER_CACHED_FIELDS), but only operators read it.
  it('leaves introspection to the plugin, which never stores it', async () => {
    for (const query of [
      '{ __schema { queryType { name } } }',
      '{ __type(name: "User") { name } }',
    ]) {
      const first = await run(query, {});
      expect(first.body.errors).toBeUndefined();
      expect(first.cache).toBe('MISS');
      expect(first.state?.viaEnvelop).toBe(true);
      expect(first.state?.pendingSave).toBeNull();
      expect((await run(query, {})).cache).toBe('MISS');
    }
  });
});

import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { CacheConfig } from '../../src/config.js';
import { User } from '../../src/db/entities/user.entity.js';
import { graphql } from '../gql/index.js';
import {
  buildTestApp,
  OPS_TOKEN,
  sharedRedisCache,
  type TestApp,
  type TypedDocument,
} from '../support/app.js';
import { createProvider } from '../support/fixtures.js';

/**
 * Issue 8, "warming the documents clients actually send": the warmer sends again the requests
 * each tenant sends most (src/cache/popular.ts), as that tenant, after an invalidation or a
 * purge emptied them. Through both paths (the node:http hit path and Yoga's), on both stores.
 */

// A client's own documents: none of them is the warmer's text. The popular list keys a request
// by the text it was sent with: codegen's printed text, String(MY_SERVICES).
const MY_SERVICES = graphql(`
  query MyServices($u: ID!) {
    services(userId: $u) { id name priceCents }
  }
`);
const MY_STATS = graphql(`
  query MyStats($tz: String) {
    megaStats(timezone: $tz) { id today { total } month { total } }
  }
`);
const UPDATE_SERVICE = graphql(`
  mutation PopularUpdateService($id: ID!, $i: UpdateServiceInput!) {
    updateService(id: $id, input: $i) { id name }
  }
`);
const CREATE_APPOINTMENT = graphql(`
  mutation PopularBook($i: CreateAppointmentInput!) {
    createAppointment(input: $i) { id }
  }
`);
const PURGE = graphql(`
  mutation PopularPurge { purgeCache { invalidatedEntities } }
`);
const WARM = graphql(`
  mutation PopularWarm { warmCache { usersWarmed operations popular } }
`);
const WARM_USERS = graphql(`
  mutation PopularWarmUsers($ids: [ID!]) { warmCache(userIds: $ids) { popular } }
`);
const MY_SERVICES_TEXT = String(MY_SERVICES);
const MY_STATS_TEXT = String(MY_STATS);

const stores: [string, () => Partial<CacheConfig>][] = [
  ['memory', () => ({ backend: 'MEMORY' })],
  ['Redis', () => sharedRedisCache()],
];
const paths = ['http', 'yoga'] as const;

function helpers(app: TestApp) {
  async function ok<T, V>(query: TypedDocument<T, V>, variables: V, key: string) {
    const res = await app.execute(query, variables, key);
    expect(res.body.errors, String(query)).toBeUndefined();
    return res.data;
  }
  /** A provider with one service, in the tenant of `key`. */
  async function provider(key: string, tenantId: string, name: string) {
    const options = { services: [[`${name}'s service`, 1000]] } as const;
    const { user, services } = await createProvider(app, { tenantId, key }, name, options);
    return { userId: user.id, serviceId: services[0].id };
  }
  /** Sends a request `times` times: the first is a MISS, the others HITs. */
  async function repeat<T, V>(
    times: number,
    query: TypedDocument<T, V>,
    variables: V,
    key: string,
  ) {
    const seen: (string | null)[] = [];
    for (let i = 0; i < times; i++) {
      const res = await app.execute(query, variables, key);
      expect(res.body.errors, String(query)).toBeUndefined();
      seen.push(res.headers.get('x-cache'));
    }
    expect(seen).toEqual(['MISS', ...Array(times - 1).fill('HIT')]);
  }
  const popular = () => app.app.cache.popular;
  /** The listed requests as [tenant, query, variables, count]. */
  const listed = () =>
    popular()
      .top()
      .map((e) => [e.viewer.tenantId, e.query, e.variables && JSON.parse(e.variables), e.count]);
  return { ok, provider, repeat, popular, listed };
}

describe.each(stores)('warming what clients send, %s store', (_, cache) => {
  let app: TestApp;
  afterEach(() => app.close());

  describe.each(paths)('through the %s path', (via) => {
    it("warms a client's own document after a write invalidated it: the next request is a HIT with the fresh data", async () => {
      app = await buildTestApp('sqlite', { cache: cache(), via });
      const h = helpers(app);
      const { tenant, key } = await app.createTenant('A');
      const ana = await h.provider(key, tenant.id, 'Ana');
      const vars = { u: ana.userId };

      await h.repeat(3, MY_SERVICES, vars, key);
      // Listed at its first hit; both hits counted (on this path); mutations never listed.
      expect(h.listed()).toEqual([[tenant.id, MY_SERVICES_TEXT, vars, 2]]);

      // A write empties it (ServiceList tag) ...
      const i = { name: 'Renamed' };
      await h.ok(UPDATE_SERVICE, { id: ana.serviceId, i }, key);
      // ... and the warmer sends it again, as tenant A: no active users, one popular request.
      const warmed = await h.ok(WARM, {}, OPS_TOKEN);
      expect(warmed.warmCache).toEqual({ usersWarmed: 0, operations: 1, popular: 1 });

      const next = await app.execute(MY_SERVICES, vars, key);
      expect(next.headers.get('x-cache')).toBe('HIT');
      expect(next.data.services).toEqual([
        { id: ana.serviceId, name: 'Renamed', priceCents: 1000 },
      ]);
      // The warmer's own request was not counted: the run halved 2 to 1, the HIT made it 2.
      expect(h.listed()).toEqual([[tenant.id, MY_SERVICES_TEXT, vars, 2]]);
    });
  });

  it('never crosses tenants: each request is warmed as the tenant that sent it, with its data', async () => {
    app = await buildTestApp('sqlite', { cache: cache() });
    const h = helpers(app);
    const a = await app.createTenant('A');
    const b = await app.createTenant('B');
    const ana = await h.provider(a.key, a.tenant.id, 'Ana');
    const carl = await h.provider(b.key, b.tenant.id, 'Carl');
    const book = async (key: string, p: { userId: string; serviceId: string }, n: number) => {
      for (let i = 0; i < n; i++) {
        const startsAt = new Date().toISOString();
        const input = { userId: p.userId, serviceId: p.serviceId, clientName: 'C', startsAt };
        await h.ok(CREATE_APPOINTMENT, { i: input }, key);
      }
    };
    await book(a.key, ana, 2);
    await book(b.key, carl, 1);

    // The same document and variables (the same key) from both tenants, and B asking for
    // A's provider (NOT_FOUND: never stored, so never listed).
    await h.repeat(4, MY_STATS, {}, a.key);
    await h.repeat(2, MY_STATS, {}, b.key);
    for (let i = 0; i < 3; i++) {
      const res = await app.execute(MY_SERVICES, { u: ana.userId }, b.key);
      expect(res.body.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    }
    expect(h.listed()).toEqual([
      [a.tenant.id, MY_STATS_TEXT, {}, 3],
      [b.tenant.id, MY_STATS_TEXT, {}, 1],
    ]);

    await h.ok(PURGE, {}, OPS_TOKEN);
    const warmed = await h.ok(WARM, {}, OPS_TOKEN);
    // Ana and Carl have appointments: their agenda and services first, then the two requests.
    expect(warmed.warmCache).toEqual({ usersWarmed: 2, operations: 6, popular: 2 });

    const fromA = await app.execute(MY_STATS, {}, a.key);
    const fromB = await app.execute(MY_STATS, {}, b.key);
    expect([fromA.headers.get('x-cache'), fromB.headers.get('x-cache')]).toEqual(['HIT', 'HIT']);
    expect(fromA.data.megaStats.id).toContain(a.tenant.id);
    expect(fromA.data.megaStats.month.total).toBe(2);
    expect(fromB.data.megaStats.id).toContain(b.tenant.id);
    expect(fromB.data.megaStats.month.total).toBe(1);
  });

  it('warms a request sent with its text and a persisted-query hash', async () => {
    app = await buildTestApp('sqlite', { cache: cache() });
    const h = helpers(app);
    const { tenant, key } = await app.createTenant('A');
    const ana = await h.provider(key, tenant.id, 'Ana');
    const sha256Hash = createHash('sha256').update(MY_SERVICES_TEXT).digest('hex');
    const body = JSON.stringify({
      query: MY_SERVICES_TEXT,
      variables: { u: ana.userId },
      extensions: { persistedQuery: { version: 1, sha256Hash } },
    });
    const send = async () => {
      const res = await app.request('/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body,
      });
      const json = (await res.json()) as { errors?: unknown; data?: { services: unknown[] } };
      expect(json.errors).toBeUndefined();
      return res.headers.get('x-cache');
    };
    expect([await send(), await send()]).toEqual(['MISS', 'HIT']);
    expect(h.popular().top()).toMatchObject([
      { query: MY_SERVICES_TEXT, hash: sha256Hash, variables: JSON.stringify({ u: ana.userId }) },
    ]);

    await h.ok(PURGE, {}, OPS_TOKEN);
    // By its hash first; a server without (or having forgotten) the hash gets the text too.
    expect((await h.ok(WARM, {}, OPS_TOKEN)).warmCache.popular).toBe(1);
    expect(await send()).toBe('HIT');
    expect(h.popular().size).toBe(1);
  });

  it('keeps CACHE_WARM_TOP requests, the most requested, however many distinct ones come', async () => {
    app = await buildTestApp('sqlite', { cache: { ...cache(), warmTop: 4 } });
    const h = helpers(app);
    const { tenant, key } = await app.createTenant('A');
    const ana = await h.provider(key, tenant.id, 'Ana');
    const bia = await h.provider(key, tenant.id, 'Bia');
    await h.repeat(6, MY_SERVICES, { u: ana.userId }, key);
    await h.repeat(6, MY_SERVICES, { u: bia.userId }, key);
    // Six more distinct requests, each sent twice (listed at its hit): 16 counted in all.
    const zones = ['UTC', 'Asia/Tokyo', 'Europe/Paris', 'America/New_York', 'Africa/Cairo'];
    for (const tz of [...zones, 'Australia/Sydney']) await h.repeat(2, MY_STATS, { tz }, key);

    expect(h.popular().size).toBe(4);
    const top = h.listed();
    expect(top).toHaveLength(4);
    expect(top.slice(0, 2)).toEqual(
      expect.arrayContaining([
        [tenant.id, MY_SERVICES_TEXT, { u: ana.userId }, 5],
        [tenant.id, MY_SERVICES_TEXT, { u: bia.userId }, 5],
      ]),
    );
    // The last two newcomers hold the other places (space-saving: counts below the top two).
    expect(top.slice(2).map((e) => e[2])).toEqual(
      expect.arrayContaining([{ tz: 'Africa/Cairo' }, { tz: 'Australia/Sydney' }]),
    );

    await h.ok(PURGE, {}, OPS_TOKEN);
    const warmed = await h.ok(WARM, {}, OPS_TOKEN);
    expect(warmed.warmCache.popular).toBe(4);
    for (const u of [ana.userId, bia.userId]) {
      expect((await app.execute(MY_SERVICES, { u }, key)).headers.get('x-cache')).toBe('HIT');
    }
    // Pushed out of the list: not warmed.
    expect((await app.execute(MY_STATS, { tz: 'UTC' }, key)).headers.get('x-cache')).toBe('MISS');
  });

  it('drops a request whose warm run fails, and warms the others', async () => {
    app = await buildTestApp('sqlite', { cache: cache() });
    const h = helpers(app);
    const { tenant, key } = await app.createTenant('A');
    const ana = await h.provider(key, tenant.id, 'Ana');
    const gone = (await app.createUser(tenant.id, 'Leaving')).id;
    await h.repeat(3, MY_SERVICES, { u: ana.userId }, key);
    await h.repeat(3, MY_SERVICES, { u: gone }, key);
    expect(h.popular().size).toBe(2);

    // The provider goes: sent again, the request answers NOT_FOUND.
    await app.db.getRepository(User).delete({ id: gone });
    await h.ok(PURGE, {}, OPS_TOKEN);
    const warmed = await h.ok(WARM, {}, OPS_TOKEN);
    expect(warmed.warmCache).toMatchObject({ usersWarmed: 0, popular: 2 });
    expect(h.listed()).toEqual([[tenant.id, MY_SERVICES_TEXT, { u: ana.userId }, 1]]);
    expect((await app.execute(MY_SERVICES, { u: ana.userId }, key)).headers.get('x-cache')).toBe(
      'HIT',
    );
    // The next run sends only what is left.
    expect((await h.ok(WARM, {}, OPS_TOKEN)).warmCache.popular).toBe(1);
  });

  it('halves the counts once per full run, and warmCache(userIds) leaves the list alone', async () => {
    app = await buildTestApp('sqlite', { cache: cache() });
    const h = helpers(app);
    const { tenant, key } = await app.createTenant('A');
    const ana = await h.provider(key, tenant.id, 'Ana');
    const bia = await h.provider(key, tenant.id, 'Bia');
    await h.repeat(9, MY_SERVICES, { u: ana.userId }, key);
    await h.repeat(2, MY_SERVICES, { u: bia.userId }, key);

    // A targeted run warms those users only: nothing sent from the list, no decay.
    expect((await h.ok(WARM_USERS, { ids: [ana.userId] }, OPS_TOKEN)).warmCache.popular).toBe(0);
    expect(h.listed().map((e) => e[3])).toEqual([8, 1]);

    await h.ok(WARM, {}, OPS_TOKEN);
    // 8 -> 4; 1 -> 0 leaves (it was still sent this time).
    expect(h.listed()).toEqual([[tenant.id, MY_SERVICES_TEXT, { u: ana.userId }, 4]]);
    await h.ok(WARM, {}, OPS_TOKEN);
    await h.ok(WARM, {}, OPS_TOKEN);
    await h.ok(WARM, {}, OPS_TOKEN);
    expect(h.popular().size).toBe(0);
  });
});

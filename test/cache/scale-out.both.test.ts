import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Service } from '../../src/db/entities/service.entity.js';
import {
  buildTestApp,
  dialects,
  OPS_TOKEN,
  openTestDatabase,
  sharedRedisCache,
  type TestApp,
  testCacheConfig,
} from '../support/app.js';
import { CREATE_SERVICE, SERVICES_AND_USER } from '../support/documents.js';
import { createProvider } from '../support/fixtures.js';

// DESIGN §11: several processes share one Redis and one database; an invalidation made through
// one of them is seen by all of them at once.

const PURGE = 'mutation { purgeCache { epoch } }';
const INVALIDATE_SERVICES =
  'mutation($u: ID!) { invalidateServices(userId: $u) { invalidatedEntities } }';

describe.each(dialects)('two instances side by side on %s', (dialect) => {
  let database: Awaited<ReturnType<typeof openTestDatabase>>;
  let a: TestApp;
  let b: TestApp;
  let key: string;
  let tenantId: string;
  // A generous store timeout: on a busy machine a 50 ms one can open a breaker, and this file
  // is about sharing, not failing (failure.both.test.ts).
  const cache = testCacheConfig(sharedRedisCache());

  beforeAll(async () => {
    // One database (for SQLite, the one in-memory DataSource both apps hold), one Redis, one
    // CACHE_PREFIX: what two processes of one deployment share.
    database = await openTestDatabase(dialect);
    a = await buildTestApp(dialect, { db: database.db, cache });
    b = await buildTestApp(dialect, { db: database.db, cache });
    expect(b.cacheConfig.prefix).toBe(a.cacheConfig.prefix);
    const created = await a.createTenant('Shared');
    key = created.key;
    tenantId = created.tenant.id;
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await database?.close();
  });

  const provider = async (name: string) => (await createProvider(a, { tenantId, key }, name)).user;

  const names = (res: { data: { services: { name: string }[] } }) =>
    res.data.services.map((s) => s.name);

  it('shares entries: a miss through A is a hit through B', async () => {
    const user = await provider('Ana');
    const first = await a.execute(SERVICES_AND_USER, { u: user.id }, key);
    expect(first.headers.get('x-cache')).toBe('MISS');
    expect(names(first)).toEqual(['Ana cut']);
    const fromB = await b.execute(SERVICES_AND_USER, { u: user.id }, key);
    expect(fromB.headers.get('x-cache')).toBe('HIT');
    expect(fromB.body).toEqual(first.body);
  });

  it('a write through A is seen by the next read through B, with no wait', async () => {
    const user = await provider('Bia');
    await a.execute(SERVICES_AND_USER, { u: user.id }, key);
    expect((await b.execute(SERVICES_AND_USER, { u: user.id }, key)).headers.get('x-cache')).toBe(
      'HIT',
    );

    const added = await a.execute(
      CREATE_SERVICE,
      { i: { userId: user.id, name: 'Bia brows', durationMinutes: 20, priceCents: 2000 } },
      key,
    );
    expect(added.body.errors).toBeUndefined();
    const miss = await b.execute(SERVICES_AND_USER, { u: user.id }, key);
    expect(miss.headers.get('x-cache')).toBe('MISS');
    expect(names(miss)).toEqual(['Bia brows', 'Bia cut']);
    const hit = await b.execute(SERVICES_AND_USER, { u: user.id }, key);
    expect(hit.headers.get('x-cache')).toBe('HIT');
    expect(names(hit)).toEqual(['Bia brows', 'Bia cut']);
    // And A reads B's entry.
    const fromA = await a.execute(SERVICES_AND_USER, { u: user.id }, key);
    expect(fromA.headers.get('x-cache')).toBe('HIT');
    expect(names(fromA)).toEqual(['Bia brows', 'Bia cut']);
  });

  it("an operator's invalidation through B empties A's reads at once", async () => {
    const user = await provider('Cris');
    await a.execute(SERVICES_AND_USER, { u: user.id }, key);
    expect((await a.execute(SERVICES_AND_USER, { u: user.id }, key)).headers.get('x-cache')).toBe(
      'HIT',
    );
    const removed = await b.execute(INVALIDATE_SERVICES, { u: user.id }, OPS_TOKEN);
    expect(removed.data.invalidateServices.invalidatedEntities).toBe(1);
    expect((await a.execute(SERVICES_AND_USER, { u: user.id }, key)).headers.get('x-cache')).toBe(
      'MISS',
    );
  });

  it('purgeCache through A is seen by the very next read on B (the epoch is read with it)', async () => {
    const user = await provider('Duda');
    expect(names(await a.execute(SERVICES_AND_USER, { u: user.id }, key))).toEqual(['Duda cut']);
    // Data changed behind the cache's back (a script, a restore): what purgeCache is for.
    await database.db
      .getRepository(Service)
      .update({ userId: user.id, name: 'Duda cut' }, { name: 'Duda trim' });
    const stale = await b.execute(SERVICES_AND_USER, { u: user.id }, key);
    expect(stale.headers.get('x-cache')).toBe('HIT');
    expect(names(stale)).toEqual(['Duda cut']);

    const purged = await a.execute(PURGE, {}, OPS_TOKEN);
    expect(purged.body.errors).toBeUndefined();
    const { epoch } = purged.data.purgeCache as { epoch: number };
    expect(epoch).toBeGreaterThan(0);
    // No waiting: the first read on B after the purge's response is a MISS with fresh data.
    const fromB = await b.execute(SERVICES_AND_USER, { u: user.id }, key);
    expect(fromB.headers.get('x-cache')).toBe('MISS');
    expect(names(fromB)).toEqual(['Duda trim']);
    const fromA = await a.execute(SERVICES_AND_USER, { u: user.id }, key);
    expect(fromA.headers.get('x-cache')).toBe('HIT');
    expect(names(fromA)).toEqual(['Duda trim']);
  });

  it('purges interleaved with reads on both instances: no read after a purge is a HIT of before', async () => {
    const user = await provider('Edu');
    let purgedRounds = 0;
    for (let round = 0; round < 30; round++) {
      // Warm both instances (one entry, shared), then purge through one of them at random.
      await a.execute(SERVICES_AND_USER, { u: user.id }, key);
      await b.execute(SERVICES_AND_USER, { u: user.id }, key);
      const [purger, other] = Math.random() < 0.5 ? [a, b] : [b, a];
      const purged = await purger.execute(PURGE, {}, OPS_TOKEN);
      expect(purged.body.errors).toBeUndefined();
      purgedRounds++;
      const after = await other.execute(SERVICES_AND_USER, { u: user.id }, key);
      expect(after.headers.get('x-cache'), `round ${round}`).toBe('MISS');
    }
    expect(purgedRounds).toBe(30);
  });
});

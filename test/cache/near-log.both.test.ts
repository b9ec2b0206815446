import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildTestApp,
  dialects,
  openTestDatabase,
  sharedRedisCache,
  type TestApp,
  testCacheConfig,
} from '../support/app.js';
import { CREATE_SERVICE, SERVICES_AND_USER } from '../support/documents.js';
import { createProvider } from '../support/fixtures.js';

// Issue 19: a process's copy of a Redis entry survives a write elsewhere in the tenant, made
// through another instance, and never one to its own tags. Two apps share one Redis and one
// database, with copies on (the test config's CACHE_NEAR_MAX_BYTES).

describe.each(dialects)('copies in process across writes of another instance on %s', (dialect) => {
  let database: Awaited<ReturnType<typeof openTestDatabase>>;
  let a: TestApp;
  let b: TestApp;
  let key: string;
  let tenantId: string;
  const cache = testCacheConfig(sharedRedisCache());

  beforeAll(async () => {
    database = await openTestDatabase(dialect);
    a = await buildTestApp(dialect, { db: database.db, cache });
    b = await buildTestApp(dialect, { db: database.db, cache });
    const created = await a.createTenant('Copies');
    key = created.key;
    tenantId = created.tenant.id;
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await database?.close();
  });

  const near = (app: TestApp) => app.app.cache.store?.nearStats() ?? { hits: 0, kept: 0 };
  const names = (res: { data: { services: { name: string }[] } }) =>
    res.data.services.map((s) => s.name);

  it("keeps serving A's copy after B writes another provider's services, not after B writes its own", async () => {
    const ana = (await createProvider(a, { tenantId, key }, 'Ana')).user;
    const bia = (await createProvider(a, { tenantId, key }, 'Bia')).user;
    const read = () => a.execute(SERVICES_AND_USER, { u: ana.id }, key);
    expect((await read()).headers.get('x-cache')).toBe('MISS');
    expect((await read()).headers.get('x-cache')).toBe('HIT'); // from Redis: A keeps a copy
    const before = near(a);
    expect((await read()).headers.get('x-cache')).toBe('HIT');
    expect(near(a).hits).toBe(before.hits + 1);

    // Another provider's services, through B: Ana's copy on A stays valid and is served.
    const other = await b.execute(
      CREATE_SERVICE,
      { i: { userId: bia.id, name: 'Bia nails', durationMinutes: 20, priceCents: 2000 } },
      key,
    );
    expect(other.body.errors).toBeUndefined();
    const after = await read();
    expect(after.headers.get('x-cache')).toBe('HIT');
    expect(names(after)).toEqual(['Ana cut']);
    expect(near(a).hits).toBe(before.hits + 2);
    expect(near(a).kept).toBe(before.kept + 1);

    // Ana's own services, through B: A's next read is a miss with the new row.
    const own = await b.execute(
      CREATE_SERVICE,
      { i: { userId: ana.id, name: 'Ana beard', durationMinutes: 20, priceCents: 2000 } },
      key,
    );
    expect(own.body.errors).toBeUndefined();
    const fresh = await read();
    expect(fresh.headers.get('x-cache')).toBe('MISS');
    expect(names(fresh).sort()).toEqual(['Ana beard', 'Ana cut']);
    expect(near(a).hits).toBe(before.hits + 2);
  });
});

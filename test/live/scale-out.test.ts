import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CacheOutbox } from '../../src/db/entities/cache-outbox.entity.js';
import { Service } from '../../src/db/entities/service.entity.js';
import {
  buildTestApp,
  dialects,
  openTestDatabase,
  postgresUrl,
  sharedRedisCache,
  type TestApp,
} from '../support/app.js';
import { createProvider, createTestTenant } from '../support/fixtures.js';
import { sharedRedisUrl, startTcpProxy, type TcpProxy } from '../support/redis.js';
import { LIVE_SERVICES, listReads, openLive, sleep, UPDATE_PRICE } from './sse.js';

describe.each(dialects)('live queries across two instances sharing Redis (%s)', (dialect) => {
  let database: Awaited<ReturnType<typeof openTestDatabase>>;
  let a: TestApp;
  let b: TestApp;
  const counted: string[] = [];

  beforeAll(async () => {
    database = await openTestDatabase(dialect, {
      logQuery: (sql: string) => void counted.push(sql),
      logQueryError() {},
      logQuerySlow() {},
      logSchemaBuild() {},
      logMigration() {},
      log() {},
    });
    const prefix = `hp-live-${randomBytes(4).toString('hex')}`;
    const options = {
      db: database.db,
      via: 'http' as const,
      cache: sharedRedisCache({ prefix }),
      databaseUrl: dialect === 'postgres' ? postgresUrl() : undefined,
    };
    a = await buildTestApp(dialect, options);
    b = await buildTestApp(dialect, options);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await database?.close();
  });

  it("a write on one instance pushes to the other's clients; the fleet reads the list once", async () => {
    const tenant = await createTestTenant(a);
    const { user, services } = await createProvider(a, tenant, 'Lia');
    const onA = await openLive(a.baseUrl, tenant.key, LIVE_SERVICES, { u: user.id });
    const onB = await openLive(b.baseUrl, tenant.key, LIVE_SERVICES, { u: user.id });
    await Promise.all([onA.nexts(1), onB.nexts(1)]);
    counted.length = 0;
    await a.execute(UPDATE_PRICE, { id: services[0].id, p: 8100 }, tenant.key);
    const [[, fromA], [, fromB]] = await Promise.all([onA.nexts(2), onB.nexts(2)]);
    expect(fromA.data.services[0].priceCents).toBe(8100);
    expect(fromB.data.services[0].priceCents).toBe(8100);
    // Both groups ran through the shared cache, the writer's first: it executed and stored,
    // and the other instance, told once that was done, hit it. One read for the fleet.
    expect(fromA.extensions.xCache).toBe('MISS');
    expect(fromB.extensions.xCache).toBe('HIT');
    expect(listReads(counted)).toBe(1);
    onA.close();
    onB.close();
  });

  it('a write whose instance could not apply its invalidation is announced by the outbox sweep', async () => {
    const tenant = await createTestTenant(a);
    const { user, services } = await createProvider(a, tenant, 'Mel');
    const onB = await openLive(b.baseUrl, tenant.key, LIVE_SERVICES, { u: user.id });
    await onB.nexts(1);
    // What a writer cut off from Redis leaves: the row changed, its invalidation in the outbox.
    await database.db.transaction(async (em) => {
      await em.getRepository(Service).update(services[0].id, { priceCents: 9900 });
      await em.getRepository(CacheOutbox).insert({
        id: randomUUID(),
        tenantId: tenant.tenantId,
        tags: JSON.stringify([`ServiceList:${user.id}`, `Service:${services[0].id}`]),
        createdAt: new Date(),
      });
    });
    const [, pushed] = await onB.nexts(2, 5_000);
    expect(pushed.data.services[0].priceCents).toBe(9900);
    onB.close();
  });
});

describe('live queries on an instance cut off from Redis (sqlite)', () => {
  let database: Awaited<ReturnType<typeof openTestDatabase>>;
  let proxy: TcpProxy;
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    database = await openTestDatabase('sqlite');
    proxy = await startTcpProxy(Number(new URL(sharedRedisUrl()).port || 6379));
    const prefix = `hp-live-${randomBytes(4).toString('hex')}`;
    a = await buildTestApp('sqlite', {
      db: database.db,
      via: 'http',
      cache: sharedRedisCache({ prefix }),
    });
    // B reaches Redis through a proxy the test can cut.
    b = await buildTestApp('sqlite', {
      db: database.db,
      via: 'http',
      cache: sharedRedisCache({ prefix, redisUrl: proxy.url }),
    });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await proxy?.close();
    await database?.close();
  });

  it('hears nothing while cut off, and runs its groups again once it is back', async () => {
    const tenant = await createTestTenant(a);
    const { user, services } = await createProvider(a, tenant, 'Rui');
    const onB = await openLive(b.baseUrl, tenant.key, LIVE_SERVICES, { u: user.id });
    await onB.nexts(1);
    proxy.cut();
    await a.execute(UPDATE_PRICE, { id: services[0].id, p: 4242 }, tenant.key);
    await sleep(500);
    // The notice went to a subscription that was cut: nothing yet.
    expect(onB.events.filter((e) => e.event === 'next')).toHaveLength(1);
    proxy.heal();
    const [, pushed] = await onB.nexts(2, 10_000);
    expect(pushed.data.services[0].priceCents).toBe(4242);
    onB.close();
  });
});

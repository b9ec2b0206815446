import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { createDataSource } from '../../src/db/data-source.js';
import { buildTestApp, dialects, OPS_TOKEN, postgresUrl, testCacheConfig } from '../support/app.js';

// /livez says the process runs; /readyz says this instance should get traffic: the database
// answers, every migration has run, and the process is not draining.

const get = async (
  app: { yoga: { fetch: (url: string) => Promise<Response> | Response } },
  path: string,
) => {
  const res = await app.yoga.fetch(`http://hotpath.test${path}`);
  return { status: res.status, body: (await res.json().catch(() => null)) as any };
};

describe.each(dialects)('/livez and /readyz on %s', (dialect) => {
  const closers: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const close of closers.reverse()) await close().catch(() => {});
  });

  it('a migrated, reachable database is ready; draining turns it 503, /livez stays 200', async () => {
    const t = await buildTestApp(dialect);
    closers.push(t.close);
    expect((await get(t, '/livez')).status).toBe(200);
    expect(await get(t, '/readyz')).toEqual({
      status: 200,
      body: { status: 'ready', draining: false, database: 'ok', migrations: 'done' },
    });
    t.app.startDraining();
    expect(await get(t, '/readyz')).toEqual({
      status: 503,
      body: { status: 'unavailable', draining: true, database: 'ok', migrations: 'done' },
    });
    expect((await get(t, '/livez')).status).toBe(200);
  });

  it('a database that does not answer is not ready', async () => {
    const t = await buildTestApp(dialect);
    closers.push(t.close);
    expect((await get(t, '/readyz')).status).toBe(200);
    await t.db.destroy();
    const ready = await get(t, '/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body).toMatchObject({ database: 'down', migrations: 'pending' });
    expect((await get(t, '/livez')).status).toBe(200);
  });

  it('pending migrations: not ready', async () => {
    if (dialect === 'postgres') {
      // A schema of its own, never migrated.
      const schema = `hp_unmigrated_${Math.random().toString(36).slice(2, 10)}`;
      const db = createDataSource({ url: postgresUrl(), sqlitePath: '', schema });
      await db.initialize();
      await db.query(`CREATE SCHEMA "${schema}"`);
      closers.push(async () => {
        await db.query(`DROP SCHEMA "${schema}" CASCADE`);
        await db.destroy();
      });
      await expectUnmigrated(db);
    } else {
      const db = createDataSource({ sqlitePath: ':memory:' });
      await db.initialize();
      closers.push(() => db.destroy());
      await expectUnmigrated(db);
    }
  });

  async function expectUnmigrated(db: ReturnType<typeof createDataSource>) {
    const app = createApp({
      db,
      logger: pino({ level: 'silent' }),
      cache: testCacheConfig(),
      opsToken: OPS_TOKEN,
      defaultTimezone: 'America/Sao_Paulo',
    });
    closers.push(() => app.close());
    expect(await get(app, '/readyz')).toEqual({
      status: 503,
      body: { status: 'unavailable', draining: false, database: 'ok', migrations: 'pending' },
    });
    await db.runMigrations();
    expect((await get(app, '/readyz')).status).toBe(200);
  }
});

describe('app.drain()', () => {
  it('waits for invalidations in flight, then runs the onDrain hooks in order', async () => {
    const t = await buildTestApp('sqlite', { cache: { backend: 'MEMORY' } });
    try {
      const order: string[] = [];
      t.app.onDrain(async () => {
        order.push('hook 1');
      });
      t.app.onDrain(async () => {
        await new Promise((r) => setTimeout(r, 20));
        order.push('hook 2');
      });
      // An invalidation the store answers slowly, still running when drain() starts.
      const store = t.app.cache.store!;
      const original = store.invalidate;
      store.invalidate = async (scope, tags) => {
        await new Promise((r) => setTimeout(r, 100));
        order.push('invalidation');
        return original(scope, tags);
      };
      const { tenant } = await t.createTenant();
      const user = await t.createUser(tenant.id);
      const write = t.services.services.create(
        { kind: 'tenant', tenantId: tenant.id, timezone: tenant.timezone },
        { userId: user.id, name: 'Cut', durationMinutes: 30, priceCents: 1000 },
      );
      await new Promise((r) => setTimeout(r, 30));
      await t.app.drain();
      expect(order).toEqual(['invalidation', 'hook 1', 'hook 2']);
      expect((await write).name).toBe('Cut');
    } finally {
      await t.close();
    }
  });
});

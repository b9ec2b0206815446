/**
 * DESIGN §6: a write's invalidations are rows of the outbox, written in its transaction. When
 * the writer can't reach Redis, another instance applies them: other instances read fresh
 * within 1 s (PostgreSQL: LISTEN/NOTIFY; SQLite: polling), and the pending rows are a gauge.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import type { DataSource } from 'typeorm';
import { afterEach, describe, expect, it } from 'vitest';
import { createOutbox } from '../../src/cache/invalidation/outbox.js';
import { openDatabase } from '../../src/db/data-source.js';
import {
  buildTestApp,
  OPS_TOKEN,
  openTestDatabase,
  postgresUrl,
  type TestApp,
} from '../support/app.js';
import { CREATE_SERVICE, SERVICE_PRICES } from '../support/documents.js';
import { startRedisServer, startTcpProxy } from '../support/redis.js';

const UPDATE_PRICE = `mutation OutboxPrice($id: ID!, $p: Int!) {
  updateService(id: $id, input: { priceCents: $p }) { id priceCents }
}`;

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
});

async function pendingGauge(app: TestApp) {
  const res = await app.yoga.fetch('http://hotpath.test/metrics', {
    headers: { authorization: `Bearer ${OPS_TOKEN}` },
  });
  const text = await res.text();
  const line = text.split('\n').find((l) => l.startsWith('hotpath_outbox_pending '));
  return line === undefined ? null : Number(line.split(' ')[1]);
}

describe.each(['sqlite', 'postgres'] as const)('the outbox on %s', (dialect) => {
  async function sharedDatabase(): Promise<{ a: DataSource; b: DataSource }> {
    if (dialect === 'postgres') {
      const database = await openTestDatabase('postgres');
      cleanups.push(() => database.close());
      return { a: database.db, b: database.db };
    }
    // Two processes on one SQLite file: two connections.
    const path = join(mkdtempSync(join(tmpdir(), 'hp-outbox-')), 'db.sqlite');
    const a = await openDatabase({ sqlitePath: path });
    const b = await openDatabase({ sqlitePath: path });
    cleanups.push(() => a.destroy());
    cleanups.push(() => b.destroy());
    return { a, b };
  }

  it('the sweep the store waits for before it is trusted applies young rows too, while a background sweep of older ones runs', async () => {
    // Before, the breaker's sweep shared a background sweep in flight, which takes only rows
    // older than the grace: a row written during the outage's last 150 ms was left, and the
    // store was trusted with the entries it should have removed.
    const database = await openTestDatabase(dialect);
    cleanups.push(() => database.close());
    let clock = Date.parse('2026-01-01T00:00:00Z');
    let openGate = () => {};
    const gate = new Promise<void>((resolve) => {
      openGate = resolve;
    });
    const asked: string[] = [];
    const applied: string[] = [];
    const outbox = createOutbox({
      db: database.db,
      logger: pino({ level: 'silent' }),
      // The breaker is open: the writer applies nothing, every row stays.
      invalidate: async () => null,
      invalidateNow: async (_tenantId, tags) => {
        asked.push(tags.join());
        if (tags[0] === 'Service:old') await gate;
        applied.push(tags.join());
        return 0;
      },
      pollMs: 20,
      graceMs: 150,
      clock: () => clock,
    });
    cleanups.push(() => outbox.close());
    const tenantId = randomUUID();
    await outbox.invalidator.transaction(async (_em, invalidate) =>
      invalidate(tenantId, ['Service:old']),
    );
    clock += 1_000;
    await outbox.invalidator.transaction(async (_em, invalidate) =>
      invalidate(tenantId, ['Service:young']),
    );
    await outbox.start();
    // A background sweep takes the old row and waits on it; the young one is not its to take.
    for (let i = 0; i < 200 && asked.length === 0; i++) await sleep(10);
    expect(asked).toEqual(['Service:old']);
    const beforeTrust = outbox.sweep();
    openGate();
    await beforeTrust;
    expect(applied).toEqual(['Service:old', 'Service:young']);
    expect(await outbox.pending()).toBe(0);
  });

  it('applies a cut-off writer’s invalidation through another instance within 1 s', async () => {
    const redis = await startRedisServer();
    cleanups.push(() => redis.stop());
    const proxy = await startTcpProxy(redis.port);
    cleanups.push(() => proxy.close());
    const dbs = await sharedDatabase();
    const prefix = `hp-outbox-${randomUUID().slice(0, 8)}`;
    const cache = { backend: 'REDIS' as const, prefix, probeIntervalMs: 100 };
    const databaseUrl = dialect === 'postgres' ? postgresUrl() : undefined;
    const a = await buildTestApp(dialect, {
      db: dbs.a,
      cache: { ...cache, redisUrl: proxy.url },
      databaseUrl,
    });
    cleanups.push(() => a.close());
    const b = await buildTestApp(dialect, {
      db: dbs.b,
      cache: { ...cache, redisUrl: redis.url },
      databaseUrl,
    });
    cleanups.push(() => b.close());

    const { tenant, key } = await a.createTenant('Outbox');
    const user = await a.createUser(tenant.id, 'Olga');
    const created = await b.execute(
      CREATE_SERVICE,
      { i: { userId: user.id, name: 'Cut', durationMinutes: 30, priceCents: 100 } },
      key,
    );
    const serviceId = created.data.createService.id as string;
    await b.execute(SERVICE_PRICES, { u: user.id }, key);
    expect((await b.execute(SERVICE_PRICES, { u: user.id }, key)).headers.get('x-cache')).toBe(
      'HIT',
    );
    // A's figure is its last count of the shared table: B's row may have been in it.
    for (let i = 0; i < 100 && (await pendingGauge(a)) !== 0; i++) await sleep(20);
    expect(await pendingGauge(a)).toBe(0);

    proxy.cut();
    const write = await a.execute(UPDATE_PRICE, { id: serviceId, p: 200 }, key);
    expect(write.body.errors).toBeUndefined();
    const answeredAt = performance.now();
    // A could not apply it: the row waits in the outbox (unless B already took it).
    expect(await a.app.outbox.pending()).toBeLessThanOrEqual(1);
    let freshAfterMs = Number.POSITIVE_INFINITY;
    while (performance.now() - answeredAt < 2_000) {
      const read = await b.execute(SERVICE_PRICES, { u: user.id }, key);
      if (read.data.services[0].priceCents === 200) {
        freshAfterMs = performance.now() - answeredAt;
        break;
      }
      await sleep(10);
    }
    console.log(`[${dialect}] B read A's write fresh ${freshAfterMs.toFixed(0)} ms after it`);
    expect(freshAfterMs).toBeLessThan(1_000);
    // Applied first, deleted right after: the row goes a moment after the read is fresh.
    for (let i = 0; i < 50 && (await a.app.outbox.pending()) > 0; i++) await sleep(20);
    expect(await a.app.outbox.pending()).toBe(0);
    expect(await pendingGauge(b)).toBe(0);
    // A itself reads from the database meanwhile, and caches again once it has Redis back.
    expect((await a.execute(SERVICE_PRICES, { u: user.id }, key)).data.services[0].priceCents).toBe(
      200,
    );
    proxy.heal();
  });

  it('counts pending rows in hotpath_outbox_pending while nobody can apply them', async () => {
    const redis = await startRedisServer();
    cleanups.push(() => redis.stop());
    const dbs = await sharedDatabase();
    const a = await buildTestApp(dialect, {
      db: dbs.a,
      cache: { backend: 'REDIS', redisUrl: redis.url, probeIntervalMs: 100 },
    });
    cleanups.push(() => a.close());
    const { tenant, key } = await a.createTenant('Gauge');
    const user = await a.createUser(tenant.id, 'Gus');
    redis.kill();
    for (let i = 0; i < 3; i++) {
      const res = await a.execute(
        CREATE_SERVICE,
        { i: { userId: user.id, name: `S${i}`, durationMinutes: 30, priceCents: 100 } },
        key,
      );
      expect(res.body.errors).toBeUndefined();
    }
    expect(await pendingGauge(a)).toBe(3);
    await redis.restart();
    const started = performance.now();
    while ((await pendingGauge(a)) !== 0 && performance.now() - started < 5_000) await sleep(50);
    expect(await pendingGauge(a)).toBe(0);
    expect(a.app.cache.store?.state().fallbackActive).toBe(false);
  });
});

describe('the outbox’s LISTEN on postgres', () => {
  it('listens again after the database was unreachable for longer than one retry', async () => {
    const database = await openTestDatabase('postgres');
    cleanups.push(() => database.close());
    const url = new URL(postgresUrl());
    const proxy = await startTcpProxy(Number(url.port || 5432));
    cleanups.push(() => proxy.close());
    url.host = `127.0.0.1:${proxy.port}`;
    const logger = pino({ level: 'silent' });
    const swept: string[] = [];
    // The listener: polls once an hour, so only a NOTIFY makes it sweep.
    const listener = createOutbox({
      db: database.db,
      logger,
      invalidate: async () => 0,
      invalidateNow: async (_tenantId, tags) => {
        swept.push(tags.join());
        return 0;
      },
      pollMs: 3_600_000,
      graceMs: 0,
      listenUrl: url.toString(),
    });
    cleanups.push(() => listener.close());
    // Another instance's write, left in the outbox (its Redis is down), with its NOTIFY.
    const writer = createOutbox({
      db: database.db,
      logger,
      invalidate: async () => null,
      invalidateNow: async () => 0,
      pollMs: 3_600_000,
    });
    const tenantId = randomUUID();
    const write = (tag: string) =>
      writer.invalidator.transaction(async (_em, invalidate) => invalidate(tenantId, [tag]));
    const sweptWithin = async (tag: string, ms: number) => {
      for (let waited = 0; waited < ms && !swept.includes(tag); waited += 20) await sleep(20);
      return swept.includes(tag);
    };

    await listener.start();
    expect(listener.listening()).toBe(true);
    await write('Service:before');
    expect(await sweptWithin('Service:before', 2_000)).toBe(true);

    // Unreachable for 2.5 s: the listener's connection drops, and its retry after 1 s fails.
    proxy.cut();
    // Written while it can't listen: this NOTIFY is lost, and nothing polls within the hour.
    await write('Service:during');
    await sleep(2_500);
    expect(listener.listening()).toBe(false);
    expect(swept).not.toContain('Service:during');
    proxy.heal();
    // Written once it listens again: its NOTIFY must reach it.
    for (let waited = 0; waited < 5_000 && !listener.listening(); waited += 20) await sleep(20);
    expect(listener.listening()).toBe(true);
    // Back, it sweeps at once: the row whose NOTIFY it missed is applied.
    expect(await sweptWithin('Service:during', 2_000)).toBe(true);
    await write('Service:after');
    expect(await sweptWithin('Service:after', 2_000)).toBe(true);
  }, 30_000);
});

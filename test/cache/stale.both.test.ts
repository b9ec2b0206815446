/**
 * DESIGN §8: stale-while-revalidate for the types that opt in (MegaStats, AnalyticsReport by
 * default), and stale-if-error for every cached response: an entry whose TTL ran out, and that
 * no write invalidated, is served with X-Cache: STALE where allowed, and nowhere else.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import pg from 'pg';
import type { DataSource } from 'typeorm';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/data-source.js';
import { Appointment } from '../../src/db/entities/appointment.entity.js';
import { buildTestApp, postgresUrl, sharedRedisCache, type TestApp } from '../support/app.js';
import { SERVICES_WITH_PRICES } from '../support/documents.js';
import { createProvider } from '../support/fixtures.js';
import { waitUntil } from '../support/wait.js';

const MEGA_STATS = `query StaleStats { megaStats { id computedAt today { total } } }`;
const BOOK = `mutation StaleBook($i: CreateAppointmentInput!) { createAppointment(input: $i) { id } }`;

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
});

/** A provider with one service, written straight to the database (no invalidation). */
async function provider(app: TestApp, tenantId: string, name: string) {
  const options = { via: 'db', services: [[`${name} cut`, 1000]] } as const;
  const { user, services } = await createProvider(app, { tenantId }, name, options);
  return { user, service: services[0] };
}

describe.each(['REDIS', 'MEMORY'] as const)('stale-while-revalidate on %s', (backend) => {
  const build = (db?: DataSource) =>
    buildTestApp('sqlite', {
      db,
      cache: {
        ...(backend === 'REDIS' ? sharedRedisCache() : { backend: 'MEMORY' }),
        ttlOverrides: { CACHE_TTL_STATS: 1, CACHE_TTL_SERVICES: 1 },
        swrGraceSeconds: 60,
      },
    });

  it('serves the expired megaStats as STALE while exactly one refresh runs, then the new one', async () => {
    const app = await build();
    cleanups.push(() => app.close());
    const { key } = await app.createTenant('SWR');
    const first = await app.execute(MEGA_STATS, {}, key);
    expect(first.headers.get('x-cache')).toBe('MISS');
    app.counter.reset();
    await app.execute(MEGA_STATS, {}, key); // a HIT costs nothing
    expect(app.counter.count).toBe(0);
    // One execution's statements, for comparison.
    const { key: otherKey } = await app.createTenant('SWR baseline');
    await app.execute('{ __typename }', {}, otherKey); // its key is known from now on
    app.counter.reset();
    await app.execute(MEGA_STATS, {}, otherKey);
    const perExecution = app.counter.count;
    expect(perExecution).toBeGreaterThan(0);

    await sleep(1_100);
    app.counter.reset();
    const burst = await Promise.all(
      Array.from({ length: 10 }, () => app.execute(MEGA_STATS, {}, key)),
    );
    // The first ones get the stale entry; over real HTTP the refresh may be stored before the
    // last ones look up, and those are hits of the new entry.
    expect(burst.some((res) => res.headers.get('x-cache') === 'STALE')).toBe(true);
    for (const res of burst) {
      const cache = res.headers.get('x-cache');
      expect(['STALE', 'HIT']).toContain(cache);
      if (cache === 'STALE') expect(res.data).toEqual(first.data);
      else expect(res.data.megaStats.computedAt).not.toBe(first.data.megaStats.computedAt);
    }
    // The refresh stores a new entry: the next reads are HITs with a newer computedAt.
    await waitUntil(async () => {
      const res = await app.execute(MEGA_STATS, {}, key);
      return res.headers.get('x-cache') === 'HIT';
    }, 5_000);
    const fresh = await app.execute(MEGA_STATS, {}, key);
    expect(fresh.data.megaStats.computedAt).not.toBe(first.data.megaStats.computedAt);
    expect(app.counter.count).toBe(perExecution);
  });

  it('never serves an invalidated megaStats: a write wins over staleness', async () => {
    const app = await build();
    cleanups.push(() => app.close());
    const { tenant, key } = await app.createTenant('SWR write');
    const { user, service } = await provider(app, tenant.id, 'Wanda');
    expect((await app.execute(MEGA_STATS, {}, key)).data.megaStats.today.total).toBe(0);
    await sleep(1_100);
    const booked = await app.execute(
      BOOK,
      { i: { userId: user.id, serviceId: service.id, clientName: 'C', startsAt: new Date() } },
      key,
    );
    expect(booked.body.errors).toBeUndefined();
    const after = await app.execute(MEGA_STATS, {}, key);
    expect(after.headers.get('x-cache')).toBe('MISS');
    expect(after.data.megaStats.today.total).toBe(1);
  });

  it('serves types that did not opt in as a MISS once expired', async () => {
    const app = await build();
    cleanups.push(() => app.close());
    const { tenant, key } = await app.createTenant('No SWR');
    const { user } = await provider(app, tenant.id, 'Nico');
    expect(
      (await app.execute(SERVICES_WITH_PRICES, { u: user.id }, key)).headers.get('x-cache'),
    ).toBe('MISS');
    expect(
      (await app.execute(SERVICES_WITH_PRICES, { u: user.id }, key)).headers.get('x-cache'),
    ).toBe('HIT');
    await sleep(1_100);
    expect(
      (await app.execute(SERVICES_WITH_PRICES, { u: user.id }, key)).headers.get('x-cache'),
    ).toBe('MISS');
  });
});

/**
 * Stale-if-error: what the database failing looks like to the app, and what a read gets.
 * `fail` breaks the database, `heal` mends it.
 */
async function staleIfError(app: TestApp, fail: () => Promise<void>, heal: () => Promise<void>) {
  const { tenant, key } = await app.createTenant('SIE');
  const kept = await provider(app, tenant.id, 'Kept');
  const invalidated = await provider(app, tenant.id, 'Gone');
  const keptFirst = await app.execute(SERVICES_WITH_PRICES, { u: kept.user.id }, key);
  expect(keptFirst.headers.get('x-cache')).toBe('MISS');
  expect(
    (await app.execute(SERVICES_WITH_PRICES, { u: invalidated.user.id }, key)).headers.get(
      'x-cache',
    ),
  ).toBe('MISS');
  // A write invalidated this one (its TTL runs out too): it must never come back.
  const store = app.app.cache.store;
  if (!store) throw new Error('no store');
  expect(await store.invalidate(tenant.id, [`ServiceList:${invalidated.user.id}`])).toBe(1);
  await sleep(1_100);

  await fail();
  try {
    const stale = await app.execute(SERVICES_WITH_PRICES, { u: kept.user.id }, key);
    expect(stale.status).toBe(200);
    expect(stale.headers.get('x-cache')).toBe('STALE');
    expect(stale.body.errors).toBeUndefined();
    expect(stale.data).toEqual(keptFirst.data);
    const gone = await app.execute(SERVICES_WITH_PRICES, { u: invalidated.user.id }, key);
    expect(gone.headers.get('x-cache')).toBe('MISS');
    expect(gone.body.errors?.[0]?.message).toBe('Unexpected error.');
  } finally {
    await heal();
  }
  // Healed: fresh from the database again.
  const back = await app.execute(SERVICES_WITH_PRICES, { u: kept.user.id }, key);
  expect(back.headers.get('x-cache')).toBe('MISS');
  expect(back.body.errors).toBeUndefined();
}

describe('stale-if-error', () => {
  const cache = {
    ...sharedRedisCache(),
    ttlOverrides: { CACHE_TTL_SERVICES: 1 },
    staleIfErrorSeconds: 300,
  };

  it('serves an expired entry when PostgreSQL connections are killed and refused', async () => {
    const name = `hp_stale_${randomUUID().slice(0, 8)}`;
    const admin = new pg.Client({ connectionString: postgresUrl() });
    await admin.connect();
    cleanups.push(() => admin.end());
    await admin.query(`CREATE DATABASE ${name}`);
    cleanups.push(async () => {
      await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`);
      await admin.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${name}'`,
      );
      await admin.query(`DROP DATABASE IF EXISTS ${name}`);
    });
    const url = new URL(postgresUrl());
    url.pathname = `/${name}`;
    const db = await openDatabase({ url: url.toString(), sqlitePath: '', timeoutMs: 1_000 });
    cleanups.push(() => db.destroy());
    const app = await buildTestApp('postgres', { db, cache });
    cleanups.push(() => app.close());
    await staleIfError(
      app,
      async () => {
        await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS false`);
        const killed = await admin.query(
          `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${name}'`,
        );
        expect(killed.rowCount).toBeGreaterThan(0);
      },
      async () => {
        await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`);
      },
    );
  });

  it('serves an expired entry when the SQLite file is locked', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'hp-locked-')), 'db.sqlite');
    const db = await openDatabase({ sqlitePath: path, timeoutMs: 200 });
    cleanups.push(() => db.destroy());
    // A lock in WAL mode does not stop readers; in rollback mode an exclusive writer does.
    await db.query('PRAGMA journal_mode = DELETE');
    const app = await buildTestApp('sqlite', { db, cache });
    cleanups.push(() => app.close());
    const locker = new Database(path);
    cleanups.push(async () => locker.close());
    await staleIfError(
      app,
      async () => {
        locker.exec('BEGIN EXCLUSIVE');
        locker.prepare('DELETE FROM appointments WHERE id = ?').run(randomUUID());
      },
      async () => {
        locker.exec('ROLLBACK');
      },
    );
    expect(await db.getRepository(Appointment).count()).toBe(0);
  });
});

/**
 * DESIGN §6, issue 7: once a mutation's response has arrived, no read that starts afterwards,
 * on any instance, is served data from before it, whatever Redis does. Randomized readers and
 * writers against real processes, with the failures added one at a time and then together:
 * - eviction: a private redis-server with a tiny maxmemory under every eviction policy, and a
 *   flood of other cacheable reads, so that entries, versions, indexes and clocks get evicted;
 * - a partition: instance A loses Redis (a TCP proxy drops it) while B keeps it; A's writes go
 *   on, and B must read them fresh within 1 s;
 * - a crash between commit and invalidation: a committed write with its outbox row that its
 *   writer never applied; every instance must read it fresh within 1 s;
 * - purges: data changed behind the cache, then purgeCache; the next read anywhere is fresh.
 * A read is stale when it shows an older price, or fewer bookings, than the writes whose
 * responses had arrived when it began (plus 1 s for writes that only the outbox can apply).
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import type { DataSource } from 'typeorm';
import { afterEach, describe, expect, it } from 'vitest';
import { inTransaction } from '../../src/db/data-source.js';
import { CacheOutbox } from '../../src/db/entities/cache-outbox.entity.js';
import { Service } from '../../src/db/entities/service.entity.js';
import {
  buildTestApp,
  OPS_TOKEN,
  openTestDatabase,
  type TestApp,
  type TestDialect,
} from '../support/app.js';
import { CREATE_SERVICE, SERVICE_PRICES } from '../support/documents.js';
import {
  type RedisServer,
  startRedisServer,
  startTcpProxy,
  type TcpProxy,
} from '../support/redis.js';

const POLICIES = [
  'allkeys-lru',
  'allkeys-lfu',
  'volatile-lru',
  'volatile-lfu',
  'allkeys-random',
  'volatile-random',
  'volatile-ttl',
] as const;

/** What only the outbox can apply (a partitioned writer, a crash) must show within this. */
const OUTBOX_SLACK_MS = 1_000;
const DAY = '2031-05-12';
const DAY_START_UTC = Date.parse(`${DAY}T12:00:00Z`);

const AGENDA = `query ChaosAgenda($u: ID!, $d: Date!) {
  agenda(userId: $u, date: $d) { id appointments { id service { id priceCents } } }
}`;
const UPDATE_PRICE = `mutation ChaosPrice($id: ID!, $p: Int!) {
  updateService(id: $id, input: { priceCents: $p }) { id priceCents }
}`;
const BOOK = `mutation ChaosBook($i: CreateAppointmentInput!) { createAppointment(input: $i) { id } }`;
const PURGE = 'mutation { purgeCache { epoch } }';

interface Write {
  /** Service id, or 'bookings'. */
  what: string;
  value: number;
  doneAt: number;
  slackMs: number;
}

interface Outcome {
  reads: number;
  writes: number;
  staleReads: number;
  examples: string[];
  byCache: Record<string, number>;
  errors: string[];
}

interface World {
  instances: TestApp[];
  key: string;
  userId: string;
  /** s0: written through the API; s1: changed behind the cache, then purged; s2: crashes. */
  serviceIds: [string, string, string];
  db: DataSource;
  tenantId: string;
}

async function setUpWorld(instances: TestApp[], db: DataSource): Promise<World> {
  const [first] = instances;
  const { tenant, key } = await first.createTenant('Chaos');
  const userId = (await first.createUser(tenant.id, 'Provider')).id;
  const serviceIds: string[] = [];
  for (const name of ['API', 'Purged', 'Crashed']) {
    const created = await first.execute(
      CREATE_SERVICE,
      { i: { userId, name, durationMinutes: 30, priceCents: 0 } },
      key,
    );
    expect(created.body.errors).toBeUndefined();
    serviceIds.push(created.data.createService.id);
  }
  return {
    instances,
    key,
    userId,
    serviceIds: serviceIds as World['serviceIds'],
    db,
    tenantId: tenant.id,
  };
}

/** A committed write whose writer died before invalidating: its outbox row is all that's left. */
async function crashedWrite(world: World, price: number) {
  const [, , crashed] = world.serviceIds;
  await inTransaction(world.db, async (em) => {
    await em.update(Service, { id: crashed }, { priceCents: price });
    await em.insert(CacheOutbox, {
      id: randomUUID(),
      tenantId: world.tenantId,
      tags: JSON.stringify([`ServiceList:${world.userId}`, `Service:${crashed}`]),
      createdAt: new Date(),
    });
  });
}

/** Hits of the workload running now, for `until`. */
let hitsSoFar = () => 0;

interface RunOptions {
  durationMs: number;
  /**
   * Goes on past durationMs until this holds (Redis has evicted), up to maxMs: a loaded
   * machine fills Redis more slowly.
   */
  until?: () => Promise<boolean>;
  maxMs?: number;
  /** Reads of other days' agendas, to fill Redis until it evicts. */
  flood: boolean;
  purges: boolean;
  crashes: boolean;
  /** Instances whose writes only the outbox may apply right now (partitioned). */
  cutOff?: () => ReadonlySet<number>;
  during?: (elapsedMs: number) => Promise<void> | void;
}

async function runWorkload(world: World, options: RunOptions): Promise<Outcome> {
  const { instances, key, userId, serviceIds } = world;
  const writes: Write[] = [];
  const outcome: Outcome = {
    reads: 0,
    writes: 0,
    staleReads: 0,
    examples: [],
    byCache: {},
    errors: [],
  };
  const started = performance.now();
  hitsSoFar = () => outcome.byCache.HIT ?? 0;
  let reached = options.until === undefined;
  const done = () => {
    const elapsed = performance.now() - started;
    if (outcome.errors.length > 0 || elapsed > (options.maxMs ?? options.durationMs)) return true;
    return elapsed > options.durationMs && reached;
  };
  const cut = options.cutOff ?? (() => new Set<number>());
  // A writer that can't reach Redis (cut off, or its breaker not yet closed again after a
  // partition): only the outbox applies its invalidations, within OUTBOX_SLACK_MS.
  const cutOff = () => {
    const off = new Set(cut());
    instances.forEach((instance, i) => {
      if (instance.app.cache.store?.state().fallbackActive) off.add(i);
    });
    return off;
  };
  const pick = () => Math.floor(Math.random() * instances.length);

  /** The least each value must be for a read that started at `at`. */
  const floors = (at: number) => {
    const floor = new Map<string, number>();
    for (const w of writes) {
      if (w.doneAt + w.slackMs <= at) floor.set(w.what, Math.max(floor.get(w.what) ?? 0, w.value));
    }
    return floor;
  };

  function older(data: any, floor: Map<string, number>): string | null {
    const services: { id: string; priceCents: number }[] =
      data?.services ?? data?.agenda?.appointments.map((a: { service: unknown }) => a.service);
    if (!services) return `unexpected ${JSON.stringify(data)}`;
    for (const s of services) {
      const least = floor.get(s.id) ?? 0;
      if (s.priceCents < least) {
        return `price of ${['API', 'purged', 'crashed'][serviceIds.indexOf(s.id)]} ${s.priceCents} < ${least}`;
      }
    }
    const bookings = data.agenda?.appointments.length;
    const least = floor.get('bookings') ?? 0;
    if (bookings !== undefined && bookings < least) return `${bookings} bookings < ${least}`;
    return null;
  }

  async function reader() {
    while (!done()) {
      const at = performance.now();
      const floor = floors(at);
      const useAgenda = Math.random() < 0.5;
      const via = pick();
      const res = await instances[via].execute(
        useAgenda ? AGENDA : SERVICE_PRICES,
        { u: userId, d: DAY },
        key,
      );
      outcome.reads++;
      if (process.env.CHAOS_DEBUG) console.log('read', Math.round(performance.now() - at), 'ms');
      const cache = res.headers.get('x-cache') ?? 'none';
      outcome.byCache[cache] = (outcome.byCache[cache] ?? 0) + 1;
      if (res.body.errors) {
        outcome.errors.push(JSON.stringify(res.body.errors));
        continue;
      }
      const stale = older(res.data, floor);
      if (stale) {
        outcome.staleReads++;
        if (outcome.examples.length < 5) outcome.examples.push(`via ${via} (${cache}): ${stale}`);
      }
      await sleep(Math.random() * 2);
    }
  }

  let flooded = 0;
  async function flooder() {
    while (!done()) {
      // A read that bypasses Redis on SQLite never leaves the microtask queue: yield.
      await sleep(0);
      const n = ++flooded;
      const day = new Date(Date.UTC(2032, 0, 1) + (n % 3000) * 86_400_000).toISOString();
      await instances[pick()].execute(AGENDA, { u: userId, d: day.slice(0, 10) }, key);
    }
  }

  function record(what: string, value: number, via: number | null, cutAtStart: boolean) {
    const partitioned = via !== null && (cutAtStart || cutOff().has(via));
    writes.push({
      what,
      value,
      doneAt: performance.now(),
      slackMs: partitioned ? OUTBOX_SLACK_MS : 0,
    });
    outcome.writes++;
  }

  async function priceWriter() {
    let price = 0;
    while (!done()) {
      await sleep(5 + Math.random() * 20);
      price++;
      const via = pick();
      const cut = cutOff().has(via);
      const res = await instances[via].execute(UPDATE_PRICE, { id: serviceIds[0], p: price }, key);
      if (res.body.errors) outcome.errors.push(JSON.stringify(res.body.errors));
      else record(serviceIds[0], price, via, cut);
    }
  }

  async function bookingWriter() {
    let bookings = 0;
    while (!done()) {
      await sleep(10 + Math.random() * 30);
      const via = pick();
      const cut = cutOff().has(via);
      const startsAt = new Date(DAY_START_UTC + (bookings % 900) * 60_000);
      const res = await instances[via].execute(
        BOOK,
        { i: { userId, serviceId: serviceIds[0], clientName: 'Client', startsAt } },
        key,
      );
      if (res.body.errors) outcome.errors.push(JSON.stringify(res.body.errors));
      else record('bookings', ++bookings, via, cut);
    }
  }

  async function purger() {
    let price = 0;
    while (!done()) {
      await sleep(150 + Math.random() * 250);
      price++;
      // Behind the cache's back: no invalidation, only the purge makes it visible.
      await world.db.getRepository(Service).update({ id: serviceIds[1] }, { priceCents: price });
      const via = pick();
      if (cutOff().has(via)) continue; // a purge needs Redis: an operator would retry
      const res = await instances[via].execute(PURGE, {}, OPS_TOKEN);
      if (res.body.errors) {
        // Redis was cut meanwhile; the next round purges again.
        continue;
      }
      record(serviceIds[1], price, null, false);
    }
  }

  async function crasher() {
    let price = 0;
    while (!done()) {
      await sleep(100 + Math.random() * 200);
      price++;
      await crashedWrite(world, price);
      record(serviceIds[2], price, null, false);
      writes[writes.length - 1].slackMs = OUTBOX_SLACK_MS;
    }
  }

  async function events() {
    let checked = 0;
    while (!done()) {
      await options.during?.(performance.now() - started);
      if (!reached && options.until && performance.now() - checked > 250) {
        checked = performance.now();
        reached = await options.until();
      }
      await sleep(50);
    }
  }

  const dbg = process.env.CHAOS_DEBUG
    ? setInterval(() => console.log('tick', Math.round(performance.now() - started), outcome), 500)
    : undefined;
  await Promise.all([
    ...Array.from({ length: 6 }, reader),
    priceWriter(),
    bookingWriter(),
    ...(options.flood ? [flooder(), flooder(), flooder()] : []),
    options.purges ? purger() : null,
    options.crashes ? crasher() : null,
    events(),
  ]);
  clearInterval(dbg);
  return outcome;
}

async function evictedKeys(url: string) {
  const redis = new Redis(url, { maxRetriesPerRequest: 0 });
  try {
    const stats = await redis.info('stats');
    return Number(/evicted_keys:(\d+)/.exec(stats)?.[1] ?? 0);
  } finally {
    redis.disconnect();
  }
}

/** A private Redis under `policy`, its maxmemory 1 MB above what it holds empty. */
async function tinyRedis(policy: string): Promise<RedisServer> {
  const server = await startRedisServer(['--maxmemory-policy', policy]);
  const redis = new Redis(server.url, { maxRetriesPerRequest: 0 });
  try {
    const memory = await redis.info('memory');
    const used = Number(/used_memory:(\d+)/.exec(memory)?.[1]);
    await redis.config('SET', 'maxmemory', String(used + 1_000_000));
  } finally {
    redis.disconnect();
  }
  return server;
}

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
});

function report(label: string, outcome: Outcome, extra = '') {
  console.log(
    `[chaos] ${label}: ${outcome.reads} reads ${JSON.stringify(outcome.byCache)}, ` +
      `${outcome.writes} writes, ${outcome.staleReads} stale${extra}` +
      (outcome.examples.length ? ` e.g. ${outcome.examples.join('; ')}` : ''),
  );
}

describe.each(POLICIES)('eviction under maxmemory-policy %s', (policy) => {
  it('evicts, and every read after a write is fresh (crashes and purges too)', async () => {
    const redis = await tinyRedis(policy);
    cleanups.push(() => redis.stop());
    const app = await buildTestApp('sqlite', {
      cache: { backend: 'REDIS', redisUrl: redis.url, timeoutMs: 1_000, outboxPollMs: 200 },
    });
    cleanups.push(() => app.close());
    const world = await setUpWorld([app], app.db);
    const outcome = await runWorkload(world, {
      durationMs: 3_500,
      maxMs: 25_000,
      // Evictions, and enough hits that a stale one could show (a loaded machine is slower).
      until: async () => (await evictedKeys(redis.url)) > 20 && hitsSoFar() >= 20,
      flood: true,
      purges: true,
      crashes: true,
    });
    const evicted = await evictedKeys(redis.url);
    report(policy, outcome, `, ${evicted} keys evicted`);
    expect(outcome.errors.slice(0, 3)).toEqual([]);
    expect(evicted).toBeGreaterThan(0);
    expect(outcome.byCache.HIT ?? 0).toBeGreaterThan(0);
    expect(outcome.staleReads).toBe(0);
  }, 90_000);
});

describe('two instances on PostgreSQL: eviction, a partition, crashes and purges together', () => {
  it('A loses Redis and writes on; B reads every write fresh within 1 s, 0 stale reads', async () => {
    const redis = await tinyRedis('volatile-lru');
    cleanups.push(() => redis.stop());
    const proxy: TcpProxy = await startTcpProxy(redis.port);
    cleanups.push(() => proxy.close());
    const dialect: TestDialect = 'postgres';
    const database = await openTestDatabase(dialect);
    cleanups.push(() => database.close());
    const listenUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
    const cache = { backend: 'REDIS' as const, timeoutMs: 1_000, probeIntervalMs: 100 };
    const prefix = `hp-chaos-${randomUUID().slice(0, 8)}`;
    const a = await buildTestApp(dialect, {
      db: database.db,
      cache: { ...cache, prefix, redisUrl: proxy.url },
      databaseUrl: listenUrl,
    });
    cleanups.push(() => a.close());
    const b = await buildTestApp(dialect, {
      db: database.db,
      cache: { ...cache, prefix, redisUrl: redis.url },
      databaseUrl: listenUrl,
    });
    cleanups.push(() => b.close());
    const world = await setUpWorld([a, b], database.db);
    const cut = new Set<number>();
    let partitions = 0;
    const outcome = await runWorkload(world, {
      durationMs: 6_000,
      maxMs: 25_000,
      // Evictions, and enough hits that a stale one could show (a loaded machine is slower).
      until: async () => (await evictedKeys(redis.url)) > 20 && hitsSoFar() >= 20,
      flood: true,
      purges: true,
      crashes: true,
      cutOff: () => cut,
      async during(elapsed) {
        // Two partitions of ~1.2 s; A's writes during them only reach Redis through B.
        const inWindow = (elapsed > 800 && elapsed < 2_000) || (elapsed > 3_500 && elapsed < 4_700);
        if (inWindow && !cut.has(0)) {
          cut.add(0);
          partitions++;
          proxy.cut();
        } else if (!inWindow && cut.has(0)) {
          proxy.heal();
          // Writes that ended just before the heal still count as partitioned.
          await sleep(20);
          cut.delete(0);
        }
      },
    });
    // Both instances keep copies of Redis entries (CACHE_NEAR_MAX_BYTES): some hits were
    // served from them, each after its one-MGET check.
    const nearHits = [a, b].map((app) => app.app.cache.store?.nearStats()?.hits ?? 0);
    report('two instances', outcome, `, ${partitions} partitions, near hits ${nearHits}`);
    expect(nearHits[0] + nearHits[1]).toBeGreaterThan(0);
    expect(partitions).toBe(2);
    expect(outcome.errors.slice(0, 3)).toEqual([]);
    expect(outcome.byCache.BYPASS ?? 0).toBeGreaterThan(0);
    expect(outcome.byCache.HIT ?? 0).toBeGreaterThan(0);
    expect(outcome.staleReads).toBe(0);
  }, 90_000);
});

describe('the lost-invalidation state survives a restart', () => {
  it.each(['sqlite', 'postgres'] as const)(
    '%s: a write committed by a process that died is invalidated by the next one at start',
    async (dialect) => {
      const redis = await startRedisServer();
      cleanups.push(() => redis.stop());
      const database =
        dialect === 'sqlite'
          ? await (async () => {
              const { mkdtempSync } = await import('node:fs');
              const { tmpdir } = await import('node:os');
              const { join } = await import('node:path');
              const { openDatabase } = await import('../../src/db/data-source.js');
              const path = join(mkdtempSync(join(tmpdir(), 'hp-crash-')), 'db.sqlite');
              const db = await openDatabase({ sqlitePath: path });
              return { db, close: () => db.destroy() };
            })()
          : await openTestDatabase(dialect);
      cleanups.push(() => database.close());
      const prefix = `hp-restart-${randomUUID().slice(0, 8)}`;
      // Polling far apart: only the sweep at start can apply the row in time.
      const cache = {
        backend: 'REDIS' as const,
        redisUrl: redis.url,
        prefix,
        outboxPollMs: 60_000,
      };
      const first = await buildTestApp(dialect, { db: database.db, cache });
      const world = await setUpWorld([first], database.db);
      const read = async (app: TestApp) => {
        const res = await app.execute(SERVICE_PRICES, { u: world.userId }, world.key);
        const crashed = res.data.services.find((s: { id: string }) => s.id === world.serviceIds[2]);
        if (!crashed) throw new Error('the crashed write is missing from the read');
        return { cache: res.headers.get('x-cache'), price: crashed.priceCents as number };
      };
      await read(first);
      expect(await read(first)).toEqual({ cache: 'HIT', price: 0 });
      await first.close();

      // The process died between its commit and its invalidation: the row is what remains.
      await crashedWrite(world, 42);
      const second = await buildTestApp(dialect, { db: database.db, cache });
      cleanups.push(() => second.close());
      expect(await second.app.outbox.pending()).toBe(0);
      expect(await read(second)).toEqual({ cache: 'MISS', price: 42 });
      expect(await read(second)).toEqual({ cache: 'HIT', price: 42 });
    },
    60_000,
  );
});

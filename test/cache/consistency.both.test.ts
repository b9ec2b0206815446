/**
 * DESIGN §6: once a mutation's response has arrived, no read that starts afterwards may be
 * served data from before it. The race: a read misses, loads old rows, a mutation commits and
 * invalidates, then the read stores the old rows. The store refuses that save because a tag
 * of the result was invalidated after the sequence number the lookup saw.
 *
 * Randomized, concurrent: writers raise service prices (strictly increasing per service) and
 * book appointments on one day; readers ask for the services and the day's agenda (whose
 * appointments show the service and its price). Every SELECT on services or appointments
 * sleeps a random 0-5 ms after it has read its rows, so that a mutation often commits and
 * invalidates between a read's load and its save. A read is stale when it shows an older
 * price, or fewer appointments, than the mutations whose responses had arrived when it began.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep, setImmediate as yieldToLoop } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import type { DataSource, QueryRunner } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryStore } from '../../src/cache/store/memory-store.js';
import { createRedisClient } from '../../src/cache/store/redis/client.js';
import { createRedisStore } from '../../src/cache/store/redis/redis-store.js';
import type { ResponseStore } from '../../src/cache/store/store.js';
import { buildTestApp, dialects, type TestApp, type TestDialect } from '../support/app.js';
import { CREATE_SERVICE, SERVICE_PRICES } from '../support/documents.js';
import { sharedRedisUrl } from '../support/redis.js';

const OPERATIONS = 2_400;
const MIN_OPERATIONS = 2_000;
/** A loaded machine (four engineers' test runs on two cores) needs longer for the same count. */
const MAX_RUN_MS = 40_000;
/** Races run until the one that refuses an old save (see the test). */
const MAX_RACES = 3;
const READERS = 12;
const SLOW_READ_MS = 5;
/**
 * Generous: on a busy machine the event loop lags by tens of ms, a 50 ms timeout opens the
 * breaker and reads bypass the cache. This test is about the race, not the breaker.
 */
const STORE_TIMEOUT_MS = 1_000;
/** Local day in the tenant's zone (America/Sao_Paulo, UTC-3): 12:00Z is 09:00 there. */
const DAY = '2031-05-12';
const DAY_START_UTC = Date.parse(`${DAY}T12:00:00Z`);

const USER_SERVICES = `query ConsistencyUserServices($u: ID!) {
  user(id: $u) { id services { id priceCents } }
}`;
const AGENDA = `query ConsistencyAgenda($u: ID!, $d: Date!) {
  agenda(userId: $u, date: $d) { id appointments { id service { id priceCents } } }
}`;
const UPDATE_PRICE = `mutation ConsistencyPrice($id: ID!, $p: Int!) {
  updateService(id: $id, input: { priceCents: $p }) { id priceCents }
}`;
const BOOK = `mutation ConsistencyBook($i: CreateAppointmentInput!) {
  createAppointment(input: $i) { id }
}`;

/**
 * Every SELECT that reads services or appointments waits a random 0-`maxMs` ms after it has
 * its rows: the window between a read's load and its save grows, and so does the race.
 * Test-only: wraps the query runners the driver hands out (SQLite has a single one).
 */
function slowDownReads(db: DataSource, maxMs: number): void {
  const driver = db.driver;
  const create = driver.createQueryRunner.bind(driver);
  const patched = new WeakSet<QueryRunner>();
  driver.createQueryRunner = (mode) => {
    const runner = create(mode);
    if (!patched.has(runner)) {
      patched.add(runner);
      const query = runner.query.bind(runner) as (...args: unknown[]) => Promise<unknown>;
      (runner as { query: unknown }).query = async (sql: string, ...rest: unknown[]) => {
        const result = await query(sql, ...rest);
        if (/^\s*SELECT\b/i.test(sql) && /"(services|appointments)"/.test(sql)) {
          await sleep(Math.random() * maxMs);
        }
        return result;
      };
    }
    return runner;
  };
}

interface SaveCounts {
  stored: number;
  stale: number;
}

/**
 * Counts what the store answers to saves; shows each save to `onSave` and each applied
 * invalidation to `onInvalidated`. `ignoreSeq` removes the protection under test: every save
 * claims to have looked up after every invalidation, so the store never refuses one.
 */
function countingStore(store: ResponseStore, options: { ignoreSeq?: boolean } = {}) {
  const saves: SaveCounts = { stored: 0, stale: 0 };
  const hooks: {
    onSave: ((body: string, result: 'stored' | 'stale') => void) | null;
    onInvalidated: ((tags: string[]) => void) | null;
  } = { onSave: null, onInvalidated: null };
  const wrapped: ResponseStore = {
    backend: store.backend,
    lookup: (scope, key) => store.lookup(scope, key),
    async save(scope, key, entry) {
      // Without the check: claim to have seen the scope's current seq, so no marker refuses.
      const current = options.ignoreSeq ? await store.lookup(scope, key) : null;
      const result = await store.save(
        scope,
        key,
        current && !current.hit ? { ...entry, seenSeq: current.seq } : entry,
      );
      saves[result]++;
      hooks.onSave?.(entry.body, result);
      return result;
    },
    async invalidate(scope, tags) {
      const removed = await store.invalidate(scope, tags);
      hooks.onInvalidated?.(tags);
      return removed;
    },
    purge: () => store.purge(),
    info: () => store.info(),
    ping: () => store.ping(),
    close: () => store.close(),
  };
  return { store: wrapped, saves, hooks };
}

type Backend = 'REDIS' | 'MEMORY';

interface Harness {
  app: TestApp;
  /** Hits served from the Redis store's copies in process (0 for memory). */
  nearHits(): number;
  saves: SaveCounts;
  hooks: ReturnType<typeof countingStore>['hooks'];
  key: string;
  userId: string;
  serviceIds: string[];
  /** The writes answered so far, over every race on this harness: the next race goes on from them. */
  written: Versions;
  close(): Promise<void>;
}

async function waitUntilReady(redis: Redis): Promise<void> {
  if (redis.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('Redis did not connect in 5 s')), 5_000);
    redis.once('ready', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

async function deleteKeys(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.unlink(...keys);
  } while (cursor !== '0');
}

async function setUp(
  dialect: TestDialect,
  backend: Backend,
  options: { ignoreSeq?: boolean } = {},
): Promise<Harness> {
  const prefix = `hp-test-consistency-${randomBytes(4).toString('hex')}`;
  let redis: Redis | null = null;
  let base: ResponseStore;
  if (backend === 'REDIS') {
    redis = createRedisClient(sharedRedisUrl(), { timeoutMs: STORE_TIMEOUT_MS });
    await waitUntilReady(redis);
    // With copies in process: each hit on one is checked by the one-MGET round trip.
    base = createRedisStore({ redis, prefix, schemaHash: 'consistency', nearMaxBytes: 1 << 20 });
  } else {
    base = createMemoryStore({ maxEntries: 10_000 });
  }
  const { store, saves, hooks } = countingStore(base, options);
  const app = await buildTestApp(dialect, {
    cache: { backend, prefix, timeoutMs: STORE_TIMEOUT_MS },
    store,
  });
  const { tenant, key } = await app.createTenant('Consistency');
  const userId = (await app.createUser(tenant.id, 'Provider')).id;
  const serviceIds: string[] = [];
  for (const name of ['Cut', 'Shave']) {
    const created = await app.execute(
      CREATE_SERVICE,
      { i: { userId, name, durationMinutes: 30, priceCents: 0 } },
      key,
    );
    expect(created.body.errors).toBeUndefined();
    serviceIds.push(created.data.createService.id);
  }
  slowDownReads(app.db, SLOW_READ_MS);
  return {
    app,
    nearHits: () => base.nearStats?.()?.hits ?? 0,
    saves,
    hooks,
    key,
    userId,
    serviceIds,
    written: { prices: new Map(serviceIds.map((id) => [id, 0])), bookings: 0 },
    async close() {
      await app.close();
      if (redis) {
        await deleteKeys(redis, prefix).catch(() => {});
        redis.disconnect();
      }
    },
  };
}

/** How far the writers had got at some point: per service its price, and the bookings on DAY. */
interface Versions {
  prices: ReadonlyMap<string, number>;
  bookings: number;
}

/**
 * How `data` (of any of the three queries) is older than `committed`, or null when it isn't.
 * Prices only rise and appointments are only added, so older means lower or fewer.
 */
function olderThan(data: any, committed: Versions): string | null {
  const services: { id: string; priceCents: number }[] =
    data?.services ??
    data?.user?.services ??
    data?.agenda?.appointments.map((a: { service: unknown }) => a.service);
  if (!services) return `unexpected data ${JSON.stringify(data)}`;
  for (const service of services) {
    const floor = committed.prices.get(service.id) ?? 0;
    if (service.priceCents < floor) return `price ${service.priceCents} < ${floor}`;
  }
  const bookings = data.agenda?.appointments.length;
  if (bookings !== undefined && bookings < committed.bookings) {
    return `${bookings} appointments < ${committed.bookings}`;
  }
  return null;
}

/** The reads, each picked when a random number in [0, 1) is below `upTo`. */
const QUERIES = [
  { name: 'services', upTo: 0.4, query: SERVICE_PRICES },
  { name: 'user.services', upTo: 0.6, query: USER_SERVICES },
  { name: 'agenda', upTo: 1, query: AGENDA },
];

interface RaceResult {
  operations: number;
  reads: number;
  writes: number;
  /** Reads by X-Cache. */
  outcomes: Record<string, number>;
  staleReads: number;
  staleByOutcome: Record<string, number>;
  examples: string[];
  saves: SaveCounts;
  /** Refused saves whose rows were older than an invalidation applied before the save. */
  refusedOld: number;
  /** Stored saves whose rows were older than an invalidation applied before the save. */
  storedOld: number;
  elapsedMs: number;
}

/**
 * Readers and writers together until `operations` have completed, `maxMs` has passed, or
 * (with `stopAtStale`) that many stale reads were seen. Writers wait for a random number of
 * reads between their writes, so the mix of reads and writes holds on a slow machine too.
 */
async function race(
  h: Harness,
  limits: { operations: number; maxMs: number; stopAtStale?: number },
): Promise<RaceResult> {
  const { app, key, userId, serviceIds } = h;
  const started = Date.now();
  // The writes whose responses have arrived (from the races before on this harness: prices keep
  // rising, and bookings take the next free minutes).
  const prices = new Map(h.written.prices);
  let bookings = h.written.bookings;
  const committed = (): Versions => ({ prices: new Map(prices), bookings });
  // What each writer is writing, and what the store has applied the invalidation of: a writer's
  // invalidation runs after its commit, and it is the only one invalidating its tag.
  const writing = { prices: new Map(prices), bookings: 0 };
  const invalidated = { prices: new Map(prices), bookings: 0 };
  const r: RaceResult = {
    operations: 0,
    reads: 0,
    writes: 0,
    outcomes: {},
    staleReads: 0,
    staleByOutcome: {},
    examples: [],
    saves: { stored: 0, stale: 0 },
    refusedOld: 0,
    storedOld: 0,
    elapsedMs: 0,
  };
  const failures: string[] = [];
  const savesBefore = { ...h.saves };

  h.hooks.onInvalidated = (tags) => {
    for (const tag of tags) {
      const [type, id] = tag.split(':');
      if (type === 'Service' && writing.prices.has(id)) {
        invalidated.prices.set(id, writing.prices.get(id) ?? 0);
      }
      if (type === 'Agenda') invalidated.bookings = writing.bookings;
    }
  };
  h.hooks.onSave = (body, result) => {
    // Older than an invalidation the store had applied before this save: the race.
    if (olderThan(JSON.parse(body).data, invalidated) === null) return;
    if (result === 'stale') r.refusedOld++;
    else r.storedOld++;
  };

  const done = () =>
    r.operations >= limits.operations ||
    Date.now() - started > limits.maxMs ||
    failures.length > 0 ||
    (limits.stopAtStale !== undefined && r.staleReads >= limits.stopAtStale);

  async function reader() {
    while (!done()) {
      // A hit on the memory store never leaves the microtask queue: let the writers' timers run.
      await yieldToLoop();
      const pick = Math.random();
      const { name, query } = QUERIES.find((q) => pick < q.upTo) ?? QUERIES[0];
      // What the read must not be older than: the writes answered before it starts.
      const floor = committed();
      const response = await app.execute(query, { u: userId, d: DAY }, key);
      const cache = response.headers.get('x-cache') ?? 'none';
      r.outcomes[cache] = (r.outcomes[cache] ?? 0) + 1;
      r.reads++;
      r.operations++;
      if (response.body.errors) {
        failures.push(`${name}: ${JSON.stringify(response.body.errors)}`);
        continue;
      }
      const older = olderThan(response.data, floor);
      if (older !== null) {
        r.staleReads++;
        r.staleByOutcome[cache] = (r.staleByOutcome[cache] ?? 0) + 1;
        if (r.examples.length < 5) r.examples.push(`${name} (${cache}): ${older}`);
      }
    }
  }

  async function afterReads(count: number) {
    const target = r.reads + count;
    while (r.reads < target && !done()) await sleep(1);
    await sleep(Math.random() * 3);
  }

  /** One writer per service: its prices rise strictly, so "older" is well defined. */
  async function priceWriter(serviceId: string) {
    let price = prices.get(serviceId) ?? 0;
    while (!done()) {
      await afterReads(10 + Math.floor(Math.random() * 20));
      price++;
      writing.prices.set(serviceId, price);
      const response = await app.execute(UPDATE_PRICE, { id: serviceId, p: price }, key);
      if (response.body.errors) failures.push(JSON.stringify(response.body.errors));
      else prices.set(serviceId, response.data.updateService.priceCents);
      r.writes++;
      r.operations++;
    }
  }

  async function bookingWriter() {
    while (!done()) {
      await afterReads(20 + Math.floor(Math.random() * 30));
      // One minute apart from 09:00 local: on DAY for the first 900 bookings.
      const startsAt = new Date(DAY_START_UTC + (bookings % 900) * 60_000);
      writing.bookings = bookings + 1;
      const response = await app.execute(
        BOOK,
        { i: { userId, serviceId: serviceIds[0], clientName: 'Client', startsAt } },
        key,
      );
      if (response.body.errors) failures.push(JSON.stringify(response.body.errors));
      else bookings++;
      r.writes++;
      r.operations++;
    }
  }

  await Promise.all([
    ...Array.from({ length: READERS }, reader),
    ...serviceIds.map(priceWriter),
    bookingWriter(),
  ]);
  h.hooks.onSave = null;
  h.hooks.onInvalidated = null;
  h.written = committed();
  expect(failures.slice(0, 3)).toEqual([]);
  r.saves = {
    stored: h.saves.stored - savesBefore.stored,
    stale: h.saves.stale - savesBefore.stale,
  };
  r.elapsedMs = Date.now() - started;
  return r;
}

function report(label: string, result: RaceResult) {
  const { examples, ...numbers } = result;
  console.info(`[consistency] ${label}: ${JSON.stringify(numbers)} ${examples.join('; ')}`);
}

const cases: [TestDialect, Backend][] = [
  ...dialects.map((dialect): [TestDialect, Backend] => [dialect, 'REDIS']),
  ['sqlite', 'MEMORY'],
];

describe.each(cases)('no stale read after a write (%s, %s)', (dialect, backend) => {
  let h: Harness;

  beforeAll(async () => {
    h = await setUp(dialect, backend);
  });
  afterAll(() => h?.close());

  it(
    `${OPERATIONS} concurrent operations: zero stale reads, the race met and refused`,
    async () => {
      // The race below is met by chance: on PostgreSQL a run met it 0 to 15 times in CI
      // (2026-12-07). Until it has been met, the race runs again (MAX_RACES at most), each run
      // held to every guarantee.
      let refusedOld = 0;
      for (let run = 1; run <= MAX_RACES && refusedOld === 0; run++) {
        const result = await race(h, { operations: OPERATIONS, maxMs: MAX_RUN_MS });
        report(`${dialect}/${backend}${run > 1 ? `, run ${run}` : ''}`, result);
        expect(result.operations).toBeGreaterThanOrEqual(MIN_OPERATIONS);
        expect(result.examples).toEqual([]);
        expect(result.staleReads).toBe(0);
        // The cache was really used: a good share of the reads were answered from it...
        expect(result.outcomes.HIT ?? 0).toBeGreaterThan(result.reads / 10);
        // Nothing old was stored.
        expect(result.storedOld).toBe(0);
        expect(result.saves.stored).toBeGreaterThan(0);
        refusedOld += result.refusedOld;
      }
      // On Redis, hits came from the copies in process too (each checked by one MGET).
      if (backend === 'REDIS') expect(h.nearHits()).toBeGreaterThan(0);
      // ...and the race really happened: saves of rows older than an invalidation the store had
      // already applied reached it, and it refused them.
      expect(refusedOld).toBeGreaterThan(0);
    },
    MAX_RACES * 60_000,
  );
});

describe.each<[TestDialect, Backend]>([
  ['sqlite', 'REDIS'],
  ['sqlite', 'MEMORY'],
])('the same race without the sequence check (%s, %s)', (dialect, backend) => {
  let h: Harness;

  beforeAll(async () => {
    h = await setUp(dialect, backend, { ignoreSeq: true });
  });
  afterAll(() => h?.close());

  it('stores old rows and serves stale reads: the test above can fail', async () => {
    const result = await race(h, { operations: OPERATIONS, maxMs: MAX_RUN_MS, stopAtStale: 5 });
    report(`${dialect}/${backend} without the check`, result);
    // (A few saves may still be refused: an invalidation can land between the wrapper's
    // lookup of the current seq and its save. What matters is that old rows get through.)
    expect(result.staleReads).toBeGreaterThan(0);
  }, 60_000);
});

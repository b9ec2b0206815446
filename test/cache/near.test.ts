/**
 * The Redis store's in-process copies (CACHE_NEAR_MAX_BYTES, issue 8): a copy is served only
 * after one round trip shows that neither the epoch nor the scope's clock moved since Redis
 * served it, so whatever another instance or Redis itself does, a copy is never staler than
 * Redis. test/cache/store.test.ts runs the store's whole contract with copies on as well, and
 * the two-instance chaos test (test/cache/chaos.test.ts) runs with them on by default.
 */
import { randomUUID } from 'node:crypto';
import type { Command, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisKeys } from '../../src/cache/store/redis/keys.js';
import { createRedisStore } from '../../src/cache/store/redis/redis-store.js';
import type { LookupResult, ResponseStore } from '../../src/cache/store/store.js';
import { type RedisServer, sharedRedisUrl, startRedisServer } from '../support/redis.js';
import { connectRedis, saveAfterMiss } from '../support/store.js';

const schemaHash = 'near1';
const clients: Redis[] = [];

const connect = (url: string) => connectRedis(url, clients);

/** Lookup (a miss), then save under it, as a request does. */
async function put(
  store: ResponseStore,
  scope: string,
  key: string,
  tags: string[],
  ttlMs = 60_000,
) {
  const body = JSON.stringify({ data: { key, tags } });
  await saveAfterMiss(store, scope, key, { body, tags, ttlMs });
  return body;
}

const nearOf = (result: LookupResult) => (result.hit ? (result.near ?? false) : null);

describe('near copies on the shared Redis', () => {
  const prefix = `hp-near-${randomUUID().slice(0, 8)}`;
  let raw: Redis;
  let a: ResponseStore;
  let b: ResponseStore;
  let clock = 1_000;

  beforeAll(async () => {
    raw = await connect(sharedRedisUrl());
    const options = { prefix, schemaHash, nearMaxBytes: 1_048_576, now: () => clock };
    a = createRedisStore({ ...options, redis: await connect(sharedRedisUrl()) });
    b = createRedisStore({ ...options, redis: await connect(sharedRedisUrl()) });
  });

  afterAll(async () => {
    let cursor = '0';
    do {
      const [next, keys] = await raw.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await raw.del(...keys);
    } while (cursor !== '0');
  });

  it('serves the second hit from the copy, with the same bytes, tags and ETag', async () => {
    const scope = randomUUID();
    const body = await put(a, scope, 'k', ['Agenda:u1:2026-11-22']);
    const first = await a.lookup(scope, 'k');
    const second = await a.lookup(scope, 'k');
    expect(nearOf(first)).toBe(false);
    expect(nearOf(second)).toBe(true);
    if (!first.hit || !second.hit) throw new Error('expected hits');
    expect(second.body.text()).toBe(body);
    expect(second.body.etag).toBe(first.body.etag);
    expect(second.tags).toEqual(['Agenda:u1:2026-11-22']);
    expect(a.nearStats?.()).toMatchObject({
      hits: expect.any(Number),
      entries: expect.any(Number),
    });
  });

  it("checks a scope's clock once for all the hits of the scope that share a check", async () => {
    // Issue 19: each hit of a turn used to add its scope's clock to the MGET again (50 hits of
    // one tenant: 51 keys), and to wait on an answer of its own.
    const counted = await connect(sharedRedisUrl());
    // The check's MGETs, each of the epoch and the clocks it checks (near.ts, mgetAtOnce).
    const mgets: number[] = [];
    const send = counted.sendCommand.bind(counted);
    Object.assign(counted, {
      sendCommand: (command: Command, stream?: never) => {
        if (command.name === 'mget') mgets.push(command.args.length);
        return send(command, stream);
      },
    });
    const c = createRedisStore({
      prefix,
      schemaHash,
      nearMaxBytes: 1_048_576,
      now: () => clock,
      redis: counted,
    });
    const [one, two] = [randomUUID(), randomUUID()];
    await put(c, one, 'k', ['User:1']);
    await put(c, two, 'k', ['User:2']);
    await c.lookup(one, 'k');
    await c.lookup(two, 'k');
    mgets.length = 0;
    const hits = await Promise.all(
      Array.from({ length: 40 }, (_, i) => c.lookup(i % 2 ? one : two, 'k')),
    );
    expect(hits.map(nearOf)).toEqual(Array(40).fill(true));
    // The epoch and two clocks, in as many checks as the hits took (one, unless the first
    // check went out before the last hit arrived).
    expect(mgets.length).toBeGreaterThan(0);
    for (const keys of mgets) expect(keys).toBeLessThanOrEqual(3);
    // Another instance's invalidation in one scope: that scope's hits miss, the other's don't.
    await b.invalidate(one, ['User:1']);
    const after = await Promise.all(
      Array.from({ length: 10 }, (_, i) => c.lookup(i % 2 ? one : two, 'k')),
    );
    expect(after.map((found) => found.hit)).toEqual(
      Array.from({ length: 10 }, (_, i) => i % 2 === 0),
    );
  });

  it("misses at once after another instance's invalidation of its tag, or a prefix of it", async () => {
    const scope = randomUUID();
    for (const invalidated of ['Agenda:u1:2026-11-22', 'Agenda:u1', 'Agenda']) {
      await put(a, scope, 'k', ['Agenda:u1:2026-11-22']);
      await a.lookup(scope, 'k');
      expect(nearOf(await a.lookup(scope, 'k'))).toBe(true);
      // B invalidates: A's very next lookup must not use its copy.
      expect(await b.invalidate(scope, [invalidated])).toBe(1);
      expect(await a.lookup(scope, 'k')).toMatchObject({ hit: false });
    }
  });

  it("keeps its copy for every hit of the turn after another instance's unrelated write", async () => {
    // Hits arriving together share one check: the first to be proven moves the copy's clock,
    // and the others, answered by the same read, must not take that for a failed proof (they
    // dropped the copy, and every write sent about one hit per connection back to Redis).
    const scope = randomUUID();
    await put(a, scope, 'k', ['Agenda:u1:2026-11-22', 'Appointment:a1']);
    await a.lookup(scope, 'k');
    expect(nearOf(await a.lookup(scope, 'k'))).toBe(true);
    await b.invalidate(scope, ['Agenda:u2:2026-11-22', 'Appointment:a10']);
    const together = await Promise.all([1, 2, 3, 4].map(() => a.lookup(scope, 'k')));
    expect(together.map(nearOf)).toEqual([true, true, true, true]);
    expect(nearOf(await a.lookup(scope, 'k'))).toBe(true);
  });

  it("keeps its copy across another instance's write to other tags (issue 19)", async () => {
    const scope = randomUUID();
    await put(a, scope, 'k', ['Agenda:u1:2026-11-22', 'Appointment:a1']);
    await a.lookup(scope, 'k');
    expect(nearOf(await a.lookup(scope, 'k'))).toBe(true);
    const kept = a.nearStats?.()?.kept ?? 0;
    // Another provider's day, another appointment, a neighbour of its day: not its tags.
    await b.invalidate(scope, ['Agenda:u2:2026-11-22', 'Appointment:a10']);
    expect(nearOf(await a.lookup(scope, 'k'))).toBe(true);
    await b.invalidate(scope, ['Agenda:u1:2026-11-23', 'Template:t1']);
    expect(nearOf(await a.lookup(scope, 'k'))).toBe(true);
    expect(a.nearStats?.()?.kept).toBe(kept + 2);
    // Proven at the new clock: the next hit is one MGET again, and still a copy.
    expect(nearOf(await a.lookup(scope, 'k'))).toBe(true);
    expect(a.nearStats?.()?.kept).toBe(kept + 2);
    // Its own appointment: gone, from the copy and from Redis.
    await b.invalidate(scope, ['Appointment:a1']);
    expect(await a.lookup(scope, 'k')).toMatchObject({ hit: false });
  });

  it('drops its copy when the log that would prove it is lost or trimmed past it', async () => {
    const scope = randomUUID();
    await put(a, scope, 'k', ['User:u1']);
    await a.lookup(scope, 'k');
    expect(nearOf(await a.lookup(scope, 'k'))).toBe(true);
    await raw.del(redisKeys(prefix).log(scope));
    await b.invalidate(scope, ['User:u2']);
    // Nothing shows what the write touched: neither the copy nor the entry is served.
    expect(await a.lookup(scope, 'k')).toMatchObject({ hit: false });

    const small = { prefix, schemaHash, nearMaxBytes: 1_048_576, logMax: 2, now: () => clock };
    const c = createRedisStore({ ...small, redis: await connect(sharedRedisUrl()) });
    const d = createRedisStore({ ...small, redis: await connect(sharedRedisUrl()) });
    const trimmed = randomUUID();
    await put(c, trimmed, 'k', ['User:u1']);
    await c.lookup(trimmed, 'k');
    expect(nearOf(await c.lookup(trimmed, 'k'))).toBe(true);
    // Three writes of other tags, one at a time: the log keeps the newest two.
    for (const tag of ['User:u2', 'User:u3', 'User:u4']) await d.invalidate(trimmed, [tag]);
    expect(await c.lookup(trimmed, 'k')).toMatchObject({ hit: false });
  });

  it('treats a log member of an unknown tag like any other: only its own tags count', async () => {
    const scope = randomUUID();
    await put(a, scope, 'k', ['MegaStats:t1:America/Sao_Paulo']);
    await a.lookup(scope, 'k');
    await b.invalidate(scope, ['MegaStats:t2', 'MegaStats:t1:America/New_York']);
    expect(nearOf(await a.lookup(scope, 'k'))).toBe(true);
    await b.invalidate(scope, ['MegaStats:t1']);
    expect(await a.lookup(scope, 'k')).toMatchObject({ hit: false });
  });

  it("misses after another instance's purge", async () => {
    const scope = randomUUID();
    await put(a, scope, 'k', ['User:u1']);
    await a.lookup(scope, 'k');
    expect(nearOf(await a.lookup(scope, 'k'))).toBe(true);
    await b.purge();
    expect(await a.lookup(scope, 'k')).toMatchObject({ hit: false });
  });

  it('goes back to Redis when the scope clock was lost, and when the copy outlived its TTL', async () => {
    const scope = randomUUID();
    await put(a, scope, 'k', ['User:u1'], 60_000);
    await a.lookup(scope, 'k');
    expect(nearOf(await a.lookup(scope, 'k'))).toBe(true);
    await raw.del(redisKeys(prefix).seq(scope));
    // No clock: nothing proves the copy, nor the entry (the log can't show that it holds the
    // clock's latest write): a miss, which starts the clock again.
    expect(await a.lookup(scope, 'k')).toMatchObject({ hit: false });
    await put(a, scope, 'k', ['User:u1'], 60_000);
    expect(nearOf(await a.lookup(scope, 'k'))).toBe(false);
    expect(nearOf(await a.lookup(scope, 'k'))).toBe(true);

    const timed = randomUUID();
    await put(a, timed, 't', ['User:u2'], 60_000);
    await a.lookup(timed, 't');
    expect(nearOf(await a.lookup(timed, 't'))).toBe(true);
    clock += 61_000; // the copy's TTL ran out (Redis's real one has not)
    expect(nearOf(await a.lookup(timed, 't'))).toBe(false);
  });

  it('keeps no more bytes than CACHE_NEAR_MAX_BYTES', async () => {
    const small = createRedisStore({
      redis: await connect(sharedRedisUrl()),
      prefix,
      schemaHash,
      nearMaxBytes: 2_000,
    });
    const scope = randomUUID();
    for (let i = 0; i < 10; i++) {
      await put(small, scope, `k${i}`, [`User:u${i}`]);
      await small.lookup(scope, `k${i}`);
    }
    const stats = small.nearStats?.();
    expect(stats?.bytes).toBeLessThanOrEqual(2_000);
    expect(stats?.entries).toBeGreaterThan(0);
    expect(stats?.entries).toBeLessThan(10);
  });

  it('counts what a copy holds: its tags besides its body (issue 14)', async () => {
    const store = createRedisStore({
      redis: await connect(sharedRedisUrl()),
      prefix,
      schemaHash,
      nearMaxBytes: 1_048_576,
    });
    const scope = randomUUID();
    const tags = Array.from({ length: 10 }, (_, i) => `User:${i}${'u'.repeat(500)}`);
    const body = await put(store, scope, 'tagged', tags);
    await store.lookup(scope, 'tagged');
    const tagChars = tags.reduce((sum, tag) => sum + tag.length, 0);
    expect(store.nearStats?.()?.bytes).toBeGreaterThanOrEqual(body.length + tagChars);
  });
});

describe('near copies: one round trip per hit', () => {
  let server: RedisServer;
  let raw: Redis;

  beforeAll(async () => {
    server = await startRedisServer();
    raw = await connect(server.url);
  });

  afterAll(async () => {
    for (const client of clients) client.disconnect();
    await server?.stop();
  });

  async function commands(): Promise<Record<string, number>> {
    const info = await raw.info('commandstats');
    const counts: Record<string, number> = {};
    for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
      // The test's own RESETSTAT and INFO are not the store's.
      if (!/^(config|info)/.test(match[1])) counts[match[1]] = Number(match[2]);
    }
    return counts;
  }

  it('asks Redis for the epoch and the scope clock only (one MGET), not the entry', async () => {
    const store = createRedisStore({
      redis: await connect(server.url),
      prefix: 'hp-near-rt',
      schemaHash,
      nearMaxBytes: 1_048_576,
    });
    const scope = randomUUID();
    await put(store, scope, 'k', ['Agenda:u1:2026-11-22']);
    expect(nearOf(await store.lookup(scope, 'k'))).toBe(false);
    await raw.config('RESETSTAT');
    for (let i = 0; i < 5; i++) expect(nearOf(await store.lookup(scope, 'k'))).toBe(true);
    expect(await commands()).toEqual({ mget: 5 });
  });

  it('checks the copies of concurrent hits, of every scope, with one MGET', async () => {
    const store = createRedisStore({
      redis: await connect(server.url),
      prefix: 'hp-near-batch',
      schemaHash,
      nearMaxBytes: 1_048_576,
    });
    const scopes = [randomUUID(), randomUUID()];
    for (const scope of scopes) {
      await put(store, scope, 'k', ['User:u1']);
      await store.lookup(scope, 'k');
    }
    await raw.config('RESETSTAT');
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => store.lookup(scopes[i % 2], 'k')),
    );
    expect(results.map(nearOf)).toEqual(Array(20).fill(true));
    expect(await commands()).toEqual({ mget: 1 });
    // The next turn's hits are checked again: nothing is remembered across turns.
    await store.lookup(scopes[0], 'k');
    expect(await commands()).toEqual({ mget: 2 });
  });

  it('checks the hits that arrive one per turn while a check is out with one more MGET', async () => {
    const store = createRedisStore({
      redis: await connect(server.url),
      prefix: 'hp-near-trickle',
      schemaHash,
      nearMaxBytes: 1_048_576,
    });
    const scope = randomUUID();
    await put(store, scope, 'k', ['User:u1']);
    await store.lookup(scope, 'k');
    const blocker = await connect(server.url);
    await raw.config('RESETSTAT');
    // Redis busy for 300 ms (a script that spins): the first check waits behind it, as a round
    // trip does under load, while hits keep arriving, one per event-loop turn.
    const busy = blocker.eval(
      "local t = redis.call('TIME') local s = t[1] * 1e6 + t[2] repeat local n = redis.call('TIME') until n[1] * 1e6 + n[2] - s > 300000 return 1",
      0,
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    const hits: Promise<LookupResult>[] = [];
    for (let i = 0; i < 5; i++) {
      hits.push(store.lookup(scope, 'k'));
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect((await Promise.all(hits)).map(nearOf)).toEqual(Array(5).fill(true));
    await busy;
    // The first hit's check, then one for the four that arrived while it was out (each of them
    // had one of its own before), sent after they all arrived.
    expect((await commands()).mget).toBe(2);
    await store.close();
  });

  it('without copies a hit is four reads sent together, no script', async () => {
    const store = createRedisStore({
      redis: await connect(server.url),
      prefix: 'hp-near-off',
      schemaHash,
    });
    const scope = randomUUID();
    await put(store, scope, 'k', ['Agenda:u1:2026-11-22']);
    await raw.config('RESETSTAT');
    // Without its tags, as the hit path asks when neither tracing nor CACHE_DEBUG is on.
    for (let i = 0; i < 5; i++) {
      expect(nearOf(await store.lookup(scope, 'k', { tags: false }))).toBe(false);
    }
    // PTTL, HMGET (the fixed fields and the payload), MGET (the clock and the epoch) and TIME:
    // the clock hasn't moved, so no script (issue 19).
    expect(await commands()).toEqual({ pttl: 5, hmget: 5, mget: 5, time: 5 });
  });
});

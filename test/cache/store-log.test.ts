/**
 * Issue 19: the Redis store proves an entry valid by the scope's invalidation log, so a lookup
 * costs the same whatever the number of entities in the response, and only misses come of a
 * lost or trimmed log. Commands are counted on a private redis-server (INFO commandstats), so
 * the flat cost is shown without timing anything.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisKeys } from '../../src/cache/store/redis/keys.js';
import {
  createRedisStore,
  type RedisStoreOptions,
} from '../../src/cache/store/redis/redis-store.js';
import type { ResponseStore } from '../../src/cache/store/store.js';
import { type RedisServer, startRedisServer } from '../support/redis.js';
import { connectRedis, type Miss, saveAfterMiss } from '../support/store.js';

const prefix = 'hp-log';
const schemaHash = 'log1';
const keys = redisKeys(prefix);
let server: RedisServer;
let raw: Redis;
const clients: Redis[] = [];

const connect = () => connectRedis(server.url, clients);

async function store(options: Partial<RedisStoreOptions> = {}): Promise<ResponseStore> {
  return createRedisStore({ redis: await connect(), prefix, schemaHash, ...options });
}

beforeAll(async () => {
  server = await startRedisServer();
  raw = await connect();
});

afterAll(async () => {
  for (const client of clients) client.disconnect();
  await server?.stop();
});

/** An agenda of `n` appointments: its day, its provider and one tag per appointment. */
const agendaTags = (n: number) => [
  'Agenda:u1:2026-11-22',
  'User:u1',
  ...Array.from({ length: n }, (_, i) => `Appointment:a${i}`),
];

/**
 * What a process of the previous format's invalidation does to the clock: Redis's time in µs,
 * or one past the clock when that is ahead (as INVALIDATE). Never ahead of Redis's time by
 * itself: a lookup in the same millisecond then reads a clock above its own and the save is
 * (rightly) refused, which made this test fail when a save went out faster.
 */
async function raiseClockWithoutLog(scope: string) {
  const [seconds, micros] = await raw.time();
  const now = BigInt(seconds) * 1_000_000n + BigInt(micros);
  const clock = BigInt((await raw.get(keys.seq(scope))) ?? '0');
  await raw.set(keys.seq(scope), String(clock + 1n > now ? clock + 1n : now));
}

async function put(s: ResponseStore, scope: string, key: string, tags: string[]) {
  await saveAfterMiss(s, scope, key, {
    body: JSON.stringify({ data: { key } }),
    tags,
    ttlMs: 60_000,
  });
}

/**
 * Drops the scope's tag indexes (as eviction may): an invalidation then deletes no entry, and
 * only the log can tell the entry was invalidated.
 */
async function dropIndexes(scope: string) {
  const found = await raw.keys(`${keys.slot(scope)}i:*`);
  if (found.length > 0) await raw.del(...found);
}

const hit = async (s: ResponseStore, scope: string, key: string) =>
  (await s.lookup(scope, key)).hit;

/** Calls per command since the last RESETSTAT, without the test's own CONFIG and INFO. */
async function commands(): Promise<Record<string, number>> {
  const info = await raw.info('commandstats');
  const counts: Record<string, number> = {};
  for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    if (!/^(config|info)/.test(match[1])) counts[match[1]] = Number(match[2]);
  }
  return counts;
}

describe('the invalidation log', () => {
  let s: ResponseStore;

  beforeAll(async () => {
    s = await store();
  });

  it('makes an entry of 400 entities miss when one of them is invalidated, not when another is', async () => {
    const scope = randomUUID();
    await put(s, scope, 'agenda', agendaTags(400));
    expect(await hit(s, scope, 'agenda')).toBe(true);
    // Other appointments, another provider's day, another day of the same provider.
    await s.invalidate(scope, ['Appointment:a400', 'Agenda:u2:2026-11-22', 'Agenda:u1:2026-11-23']);
    expect(await hit(s, scope, 'agenda')).toBe(true);
    expect(await hit(s, scope, 'agenda')).toBe(true);
    await dropIndexes(scope);
    await s.invalidate(scope, ['Appointment:a399']);
    expect(await raw.exists(keys.entry(scope, schemaHash, 'agenda'))).toBe(1);
    expect(await s.lookup(scope, 'agenda')).toMatchObject({ hit: false, reason: 'invalidated' });
  });

  it('reaches an entry through a prefix of one of its tags', async () => {
    const scope = randomUUID();
    for (const prefixTag of ['Agenda:u1', 'Agenda', 'Appointment', 'User']) {
      await put(s, scope, 'agenda', agendaTags(400));
      await s.invalidate(scope, ['Agenda:u3']);
      expect(await hit(s, scope, 'agenda'), prefixTag).toBe(true);
      await dropIndexes(scope);
      await s.invalidate(scope, [prefixTag]);
      expect(await hit(s, scope, 'agenda'), prefixTag).toBe(false);
    }
  });

  it('misses, never serves, when the log is lost (evicted) and the scope was written since', async () => {
    const scope = randomUUID();
    await put(s, scope, 'agenda', agendaTags(10));
    await raw.del(keys.log(scope));
    await dropIndexes(scope);
    await s.invalidate(scope, ['Appointment:a3']);
    expect(await hit(s, scope, 'agenda')).toBe(false);
    // An unrelated write on a lost log is a miss too: nothing shows what it touched.
    await put(s, scope, 'agenda', agendaTags(10));
    await raw.del(keys.log(scope));
    await s.invalidate(scope, ['Appointment:a99']);
    expect(await hit(s, scope, 'agenda')).toBe(false);
    // The save after that miss starts a new log, which proves the next unrelated write.
    await put(s, scope, 'agenda', agendaTags(10));
    await s.invalidate(scope, ['Appointment:a99']);
    expect(await hit(s, scope, 'agenda')).toBe(true);
  });

  it('misses when the log was trimmed past the clock the entry was proven at', async () => {
    const small = await store({ logMax: 3 });
    const scope = randomUUID();
    await put(small, scope, 'agenda', agendaTags(10));
    // Three writes of other tags, one at a time: the log still holds everything since the save.
    for (const tag of ['User:u2', 'User:u3', 'User:u4']) await small.invalidate(scope, [tag]);
    expect(await raw.zcard(keys.log(scope))).toBe(4); // three tags and the marker
    await small.invalidate(scope, ['User:u5']);
    expect(await raw.zcard(keys.log(scope))).toBe(4);
    // The entry was proven valid before the oldest write the log still holds: it can't be now.
    expect(await small.lookup(scope, 'agenda')).toMatchObject({
      hit: false,
      reason: 'invalidated',
    });
    // The same writes with a longer log: proven, a hit.
    const other = randomUUID();
    await put(s, other, 'agenda', agendaTags(10));
    for (const tag of ['User:u2', 'User:u3', 'User:u4', 'User:u5'])
      await s.invalidate(other, [tag]);
    expect(await hit(s, other, 'agenda')).toBe(true);
  });

  it('keeps the marker and the newest tags when one write overflows the log', async () => {
    const small = await store({ logMax: 3 });
    const scope = randomUUID();
    await put(small, scope, 'agenda', agendaTags(10));
    await small.invalidate(scope, ['User:u2', 'User:u3', 'User:u4', 'User:u5', 'User:u6']);
    const log = await raw.zrange(keys.log(scope), 0, -1, 'WITHSCORES');
    expect(log.filter((_, i) => i % 2 === 0)).toHaveLength(4);
    expect(log[0]).toBe('');
    // A log holding only part of that write (its marker at the write's clock) proves nothing
    // before it: the entry misses.
    expect(await small.lookup(scope, 'agenda')).toMatchObject({ hit: false });
  });

  it('refuses a save racing an invalidation of one of its 400 entities, as before', async () => {
    const scope = randomUUID();
    await put(s, scope, 'warm', agendaTags(400));
    const seen = (await s.lookup(scope, 'agenda')) as Miss;
    await s.invalidate(scope, ['Appointment:a7']);
    const entry = {
      body: '{"data":{"old":true}}',
      tags: agendaTags(400),
      ttlMs: 60_000,
      seenSeq: seen.seq,
      seenEpoch: seen.epoch,
    };
    expect(await s.save(scope, 'agenda', entry)).toBe('stale');
    expect(await hit(s, scope, 'agenda')).toBe(false);
    // An unrelated write while executing: the log proves the result still fresh.
    const again = (await s.lookup(scope, 'agenda')) as Miss;
    await s.invalidate(scope, ['Appointment:a400']);
    expect(
      await s.save(scope, 'agenda', { ...entry, seenSeq: again.seq, seenEpoch: again.epoch }),
    ).toBe('stored');
    expect(await hit(s, scope, 'agenda')).toBe(true);
    // A lost log while executing: nothing proves it, refused.
    await s.invalidate(scope, ['Appointment:a0']);
    const fourth = (await s.lookup(scope, 'agenda')) as Miss;
    await raw.del(keys.log(scope));
    await s.invalidate(scope, ['Appointment:a400']);
    expect(
      await s.save(scope, 'agenda', { ...entry, seenSeq: fourth.seq, seenEpoch: fourth.epoch }),
    ).toBe('stale');
  });

  it('misses after a write the log did not record, even once later writes are recorded', async () => {
    const scope = randomUUID();
    await put(s, scope, 'agenda', agendaTags(10));
    // A process of the previous format invalidates one of its tags: it raises the clock (and
    // frees what the index lists), and writes nothing to the log.
    await dropIndexes(scope);
    await raiseClockWithoutLog(scope);
    expect(await hit(s, scope, 'agenda')).toBe(false);
    await put(s, scope, 'agenda', agendaTags(10));
    expect(await hit(s, scope, 'agenda')).toBe(true);
    await dropIndexes(scope);
    await raiseClockWithoutLog(scope);
    // Then a recorded write of another tag: the unrecorded one before it still counts.
    await s.invalidate(scope, ['Appointment:a999']);
    expect(await s.lookup(scope, 'agenda')).toMatchObject({ hit: false, reason: 'invalidated' });
  });

  it('reads an entry of the previous format (one version per tag) as a miss, not an error', async () => {
    const scope = randomUUID();
    const entryKey = keys.entry(scope, schemaHash, 'old');
    await raw.hset(entryKey, '.', 'e0,0 i "x" []\n{}', ',', '0', '@', '1', 'User:u1', '123');
    const result = await s.lookup(scope, 'old');
    expect(result.hit).toBe(false);
    await put(s, scope, 'old', ['User:u1']);
    expect(await hit(s, scope, 'old')).toBe(true);
  });
});

/** Bytes Redis has written to its clients since the last RESETSTAT. */
async function bytesSent(): Promise<number> {
  return Number(/^total_net_output_bytes:(\d+)/m.exec(await raw.info('stats'))?.[1]);
}

describe('purges', () => {
  it('never repeat an epoch, even when Redis lost the key after purges ran ahead of TIME', async () => {
    const s = await store();
    const scope = randomUUID();
    // Purges faster than one a second run the epoch ahead of Redis TIME (in seconds).
    const first = await s.purge();
    await put(s, scope, 'agenda', agendaTags(10));
    const later = [await s.purge(), await s.purge(), await s.purge()];
    expect(later[2]).toBeGreaterThan(first);
    // Evicted (allkeys-lru) or lost: the next purge still goes above every epoch before it, so
    // the entry saved under the first one (a purge moves no scope clock) is never served again.
    await raw.del(keys.epoch);
    const after = await s.purge();
    expect(after).toBeGreaterThan(later[2]);
    expect(await hit(s, scope, 'agenda')).toBe(false);
  });
});

describe('the cost of a lookup', () => {
  it('reads the same bytes for 10 and for 400 entities when the tags are not asked for', async () => {
    const s = await store();
    const scope = randomUUID();
    const body = JSON.stringify({ data: { agenda: 'x'.repeat(500) } });
    const sent: Record<string, number> = {};
    for (const [key, n] of [
      ['ten', 10],
      ['four-hundred', 400],
    ] as const) {
      // Same key length, same body: only the tags differ.
      const k = `${key}`.padEnd(12, '.');
      const seen = (await s.lookup(scope, k)) as Miss;
      const tags = agendaTags(n);
      const saved = await s.save(scope, k, {
        body,
        tags,
        ttlMs: 60_000,
        seenSeq: seen.seq,
        seenEpoch: seen.epoch,
      });
      expect(saved).toBe('stored');
      await raw.config('RESETSTAT');
      for (let i = 0; i < 5; i++) {
        const found = await s.lookup(scope, k, { tags: false });
        expect(found.hit && found.body.text()).toBe(body);
      }
      sent[key] = await bytesSent();
      // Asked for, they come back as saved.
      const withTags = await s.lookup(scope, k);
      expect(withTags.hit && withTags.tags).toEqual(tags);
    }
    // 400 tags are about 7.5 KB of JSON: none of it is read (a few bytes of clock or TTL may
    // differ in length).
    expect(Math.abs(sent['four-hundred'] - sent.ten)).toBeLessThan(50);
  });

  it('is the same four commands for 10 and for 400 entities: PTTL, HMGET, MGET, TIME, no script', async () => {
    const s = await store();
    const scope = randomUUID();
    await put(s, scope, 'ten', agendaTags(10));
    await put(s, scope, 'four-hundred', agendaTags(400));
    const counted: Record<string, Record<string, number>> = {};
    for (const key of ['ten', 'four-hundred']) {
      await raw.config('RESETSTAT');
      for (let i = 0; i < 5; i++) expect(await hit(s, scope, key)).toBe(true);
      counted[key] = await commands();
    }
    // The PTTL, the entry's three fixed fields with the payload and its tags (asked for: the
    // default) in one HMGET, the clock and the epoch in one MGET, and TIME: the clock hasn't
    // moved since the save, so no script is called (issue 19: calling it was most of Redis's
    // CPU per lookup, and each command more costs Redis and the client CPU of its own).
    const flat = { pttl: 5, hmget: 5, mget: 5, time: 5 };
    expect(counted.ten).toEqual(flat);
    expect(counted['four-hundred']).toEqual(counted.ten);
  });

  it('reads the entry before the clock, in one write: PTTL, HMGET, MGET clock and epoch, TIME', async () => {
    const s = await store();
    const scope = randomUUID();
    await put(s, scope, 'ten', agendaTags(10));
    const monitor = await raw.monitor();
    const seen: string[] = [];
    monitor.on('monitor', (_time: string, args: string[]) => {
      if (args[0] !== 'monitor') seen.push(args[0].toLowerCase());
    });
    // MONITOR's stream starts with the next command of another client.
    await sleep(50);
    expect(await hit(s, scope, 'ten')).toBe(true);
    await sleep(50);
    monitor.disconnect();
    // The clock after the entry: a write between them raises the clock, so the entry read
    // before it can't pass for proven (an MGET the client didn't auto-pipeline once went out
    // alone ahead of the entry's reads).
    expect(seen).toEqual(['pttl', 'hmget', 'mget', 'time']);
  });

  it('answers a miss in a scope with a clock without the script, and its clock still refuses a racing save', async () => {
    const s = await store();
    const scope = randomUUID();
    await put(s, scope, 'warm', agendaTags(10));
    await raw.config('RESETSTAT');
    const seen = (await s.lookup(scope, 'agenda')) as Miss;
    expect(seen).toMatchObject({ hit: false });
    expect((await commands()).evalsha).toBeUndefined();
    // The clock noted is Redis's time at the lookup (at least the scope's clock).
    const [seconds, micros] = await raw.time();
    const redisNow = Number(seconds) * 1_000_000 + Number(micros);
    expect(seen.seq).toBeGreaterThanOrEqual(Number(await raw.get(keys.seq(scope))));
    expect(seen.seq).toBeLessThanOrEqual(redisNow);
    await s.invalidate(scope, ['Appointment:a3']);
    const entry = { body: '{"data":{}}', tags: agendaTags(10), ttlMs: 60_000 };
    expect(
      await s.save(scope, 'agenda', { ...entry, seenSeq: seen.seq, seenEpoch: seen.epoch }),
    ).toBe('stale');
    // Without the race, the same miss's save is stored.
    const again = (await s.lookup(scope, 'agenda')) as Miss;
    expect(
      await s.save(scope, 'agenda', { ...entry, seenSeq: again.seq, seenEpoch: again.epoch }),
    ).toBe('stored');
    expect(await hit(s, scope, 'agenda')).toBe(true);
  });

  it('starts a new scope’s clock without the script, just below the miss, and saves under it', async () => {
    const s = await store();
    const scope = randomUUID();
    await raw.config('RESETSTAT');
    const seen = (await s.lookup(scope, 'agenda')) as Miss;
    expect(seen).toMatchObject({ hit: false });
    const entry = { body: '{"data":{}}', tags: agendaTags(10), ttlMs: 60_000 };
    expect(
      await s.save(scope, 'agenda', { ...entry, seenSeq: seen.seq, seenEpoch: seen.epoch }),
    ).toBe('stored');
    expect((await commands()).evalsha).toBe(1); // the save's
    // Started below the miss's clock (one µs below it when the lookup ran once).
    expect(Number(await raw.get(keys.seq(scope)))).toBeLessThan(seen.seq);
    expect(await hit(s, scope, 'agenda')).toBe(true);
    // A write between a new scope's miss and its save: refused.
    const other = randomUUID();
    const raced = (await s.lookup(other, 'agenda')) as Miss;
    await s.invalidate(other, ['Appointment:a1']);
    expect(
      await s.save(other, 'agenda', { ...entry, seenSeq: raced.seq, seenEpoch: raced.epoch }),
    ).toBe('stale');
  });

  it('after a write, reads the log once per entry (one check per tag written), then is flat again', async () => {
    const s = await store();
    const scope = randomUUID();
    await put(s, scope, 'ten', agendaTags(10));
    await put(s, scope, 'four-hundred', agendaTags(400));
    await s.invalidate(scope, ['Agenda:u2:2026-11-22', 'Appointment:a999']);
    const counted: Record<string, Record<string, number>> = {};
    for (const key of ['ten', 'four-hundred']) {
      await raw.config('RESETSTAT');
      for (let i = 0; i < 5; i++) expect(await hit(s, scope, key)).toBe(true);
      counted[key] = await commands();
    }
    // The first hit of each finds the clock moved (its four reads), then the script reads the
    // entry's fields, the clock, the PTTL, the marker, the tags since, one HEXISTS per tag, and
    // records the new clock, and the payload is read behind it. The four others read as before
    // the write.
    expect(counted.ten).toEqual({
      evalsha: 1,
      hmget: 1 + 1 + 1 + 4,
      get: 1,
      mget: 1 + 4,
      pttl: 1 + 1 + 4,
      time: 5,
      zscore: 1,
      zrangebyscore: 1,
      hexists: 2,
      hset: 1,
    });
    expect(counted['four-hundred']).toEqual(counted.ten);
  });
});

// Last in the file: it flushes the server's scripts, which other tests count the commands of.
describe('saves in order (response-save.ts: a miss answered before its save is acknowledged)', () => {
  it('only once a save was applied on this connection, until a NOSCRIPT or a new connection', async () => {
    await raw.script('FLUSH');
    const client = await connect();
    const s = createRedisStore({ redis: client, prefix, schemaHash });
    // The script may be missing from the server: a first EVALSHA refused with NOSCRIPT is sent
    // again as EVAL, after a round trip, behind what was sent meanwhile.
    expect(s.savesInOrder?.()).toBe(false);
    await put(s, 'order', 'k1', ['User:u1']);
    expect(s.savesInOrder?.()).toBe(true);
    // The server lost its scripts (a restart, a failover, SCRIPT FLUSH): the next save finds
    // out; it is in order again once it went through.
    await raw.script('FLUSH');
    const seen = await s.lookup('order', 'k2');
    if (seen.hit) throw new Error('expected a miss');
    const saving = s.save('order', 'k2', {
      body: '{"data":{}}',
      tags: ['User:u1'],
      ttlMs: 60_000,
      seenSeq: seen.seq,
      seenEpoch: seen.epoch,
    });
    expect(await saving).toBe('stored');
    expect(s.savesInOrder?.()).toBe(true);
    // A new connection may be to another server.
    client.disconnect(true);
    await new Promise((resolve) => client.once('ready', resolve));
    expect(s.savesInOrder?.()).toBe(false);
  });
});

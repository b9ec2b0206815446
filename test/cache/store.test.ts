import { randomUUID } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis, type RedisOptions } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { etagOf, prepareBody } from '../../src/cache/store/body.js';
import { createMemoryStore } from '../../src/cache/store/memory-store.js';
import { redisKeys } from '../../src/cache/store/redis/keys.js';
import { PAYLOAD_VERSION } from '../../src/cache/store/redis/payload.js';
import { createRedisStore } from '../../src/cache/store/redis/redis-store.js';
import { SAVE } from '../../src/cache/store/redis/scripts.js';
import { expandTags, type ResponseStore, type SaveEntry } from '../../src/cache/store/store.js';
import { freePort, sharedRedisUrl } from '../support/redis.js';
import { connectRedis, type Miss } from '../support/store.js';
import { waitUntil } from '../support/wait.js';

const prefix = `hp-test-${randomUUID().slice(0, 8)}`;
const schemaHash = 'schema1';
const clients: Redis[] = [];

const connect = (url = sharedRedisUrl(), options: RedisOptions = {}) =>
  connectRedis(url, clients, options);

async function scanKeys(client: Redis, match: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', match, 'COUNT', 1000);
    cursor = next;
    found.push(...keys);
  } while (cursor !== '0');
  return found;
}

let raw: Redis;

beforeAll(async () => {
  raw = await connect();
});

afterAll(async () => {
  const keys = await scanKeys(raw, `${prefix}*`);
  for (let i = 0; i < keys.length; i += 500) await raw.del(...keys.slice(i, i + 500));
  for (const client of clients) client.disconnect();
});

const factories = [
  {
    name: 'redis',
    create: async (): Promise<ResponseStore> =>
      createRedisStore({ redis: await connect(), prefix, schemaHash }),
  },
  {
    // The same semantics with the in-process copies in front (test/cache/near.test.ts has what
    // is theirs alone).
    name: 'redis with near copies',
    create: async (): Promise<ResponseStore> =>
      createRedisStore({ redis: await connect(), prefix, schemaHash, nearMaxBytes: 1_048_576 }),
  },
  {
    name: 'memory',
    create: async (): Promise<ResponseStore> => createMemoryStore({ maxEntries: 10_000 }),
  },
];

/** An entry saved after the miss `seen`: with that miss's seq and epoch, as a request would. */
const entry = (
  tags: string[],
  seen: Pick<Miss, 'seq' | 'epoch'>,
  overrides: Partial<SaveEntry> = {},
): SaveEntry => ({
  body: JSON.stringify({ data: { tags } }),
  tags,
  ttlMs: 60_000,
  seenSeq: seen.seq,
  seenEpoch: seen.epoch,
  ...overrides,
});

/** Looks the key up, throwing on a hit. */
async function miss(store: ResponseStore, scope: string, key: string): Promise<Miss> {
  const result = await store.lookup(scope, key);
  if (result.hit) throw new Error(`expected a miss for ${scope} ${key}`);
  return result;
}

/**
 * The request protocol: lookup, (execute,) save with the seq and epoch the miss reported.
 * `overrides` may replace any field, seenSeq and seenEpoch included.
 */
async function lookupAndSave(
  store: ResponseStore,
  scope: string,
  key: string,
  tags: string[],
  overrides: Partial<SaveEntry> = {},
): Promise<'stored' | 'stale'> {
  return store.save(scope, key, entry(tags, await miss(store, scope, key), overrides));
}

/** The epoch in Redis, where every Redis store of `storePrefix` reads it from. */
async function redisEpoch(storePrefix = prefix): Promise<number> {
  return Number((await raw.get(redisKeys(storePrefix).epoch)) ?? 0);
}

describe('expandTags', () => {
  it('adds every colon prefix once, in order', () => {
    expect(expandTags(['Agenda:u1:2026-11-22', 'Agenda:u1:2026-11-23', 'Service'])).toEqual([
      'Agenda',
      'Agenda:u1',
      'Agenda:u1:2026-11-22',
      'Agenda:u1:2026-11-23',
      'Service',
    ]);
    expect(expandTags(['MegaStats:t1:America/Sao_Paulo'])).toEqual([
      'MegaStats',
      'MegaStats:t1',
      'MegaStats:t1:America/Sao_Paulo',
    ]);
  });
});

describe.each(factories)('$name store', ({ name, create }) => {
  let store: ResponseStore;
  // The current epoch: what every miss must report. Purges go through purge() below.
  let epoch: number;
  const purge = async () => {
    epoch = await store.purge();
    return epoch;
  };

  beforeAll(async () => {
    store = await create();
    // The first lookup creates the epoch when Redis has none.
    await store.lookup(randomUUID(), 'first');
    epoch = name.startsWith('redis') ? await redisEpoch() : 0;
  });

  afterAll(async () => {
    await store.close();
  });

  it('reports its backend', () => {
    expect(store.backend).toBe(name.startsWith('redis') ? 'REDIS' : 'MEMORY');
  });

  it('misses with the scope clock, which each invalidation raises, and a new generation', async () => {
    const scope = randomUUID();
    const first = await miss(store, scope, 'k1');
    expect(first).toMatchObject({ hit: false, epoch, stale: null });
    await store.invalidate(scope, ['User:u1']);
    const second = await miss(store, scope, 'k1');
    expect(second.seq).toBeGreaterThan(first.seq);
    expect(second.generation).not.toBe(first.generation);
    // No invalidation in between: the same generation (single flight may join).
    expect((await miss(store, scope, 'k1')).generation).toBe(second.generation);
    await store.invalidate(scope, ['User:u1', 'Service']);
    const third = await miss(store, scope, 'k1');
    expect(third.seq).toBeGreaterThan(second.seq);
    expect(third.generation).not.toBe(second.generation);
    expect(await store.lookup(randomUUID(), 'k1')).toMatchObject({ hit: false, epoch });
  });

  it('returns body, tags and remaining ttl after a save', async () => {
    const scope = randomUUID();
    const tags = ['Agenda:u1:2026-11-22', 'Appointment:a1', 'User:u1'];
    const body = '{"data":{"agenda":{"day":"2026-11-22","note":"line\\nbreak é"}}}\n';
    const seen = await miss(store, scope, 'abc123');
    expect(
      await store.save(scope, 'abc123', {
        body,
        tags,
        ttlMs: 60_000,
        seenSeq: seen.seq,
        seenEpoch: seen.epoch,
      }),
    ).toBe('stored');
    const result = await store.lookup(scope, 'abc123');
    expect(result).toMatchObject({ hit: true, tags });
    if (!result.hit) throw new Error('expected a hit');
    expect(result.body.text()).toBe(body);
    expect(result.body).toMatchObject({ encoding: 'identity', etag: etagOf(body) });
    expect(result.body.bytes.equals(Buffer.from(body))).toBe(true);
    expect(result.ttlMs).toBeGreaterThan(55_000);
    expect(result.ttlMs).toBeLessThanOrEqual(60_000);
    expect(await store.lookup(scope, 'abc124')).toMatchObject({ hit: false, epoch });
    expect(await store.lookup('ops', 'abc123')).toMatchObject({ hit: false });
  });

  it('keeps a gzipped body as its bytes, with the ETag of its JSON', async () => {
    const scope = randomUUID();
    const body = JSON.stringify({ data: { rows: Array.from({ length: 500 }, (_, i) => i) } });
    const prepared = await prepareBody(body, 1_024);
    expect(prepared.encoding).toBe('gzip');
    const seen = await miss(store, scope, 'gz');
    expect(await store.save(scope, 'gz', entry(['Report:r1'], seen, { body, prepared }))).toBe(
      'stored',
    );
    const result = await store.lookup(scope, 'gz');
    if (!result.hit) throw new Error('expected a hit');
    expect(result.body.encoding).toBe('gzip');
    expect(result.body.bytes.equals(prepared.bytes)).toBe(true);
    expect(result.body.bytes.length).toBeLessThan(Buffer.byteLength(body) / 2);
    expect(result.body.etag).toBe(etagOf(body));
    expect(result.body.text()).toBe(body);
  });

  it('reports ttlMs null for an entry saved without expiry', async () => {
    const scope = randomUUID();
    await lookupAndSave(store, scope, 'k', ['Template:t1'], { ttlMs: null });
    expect(await store.lookup(scope, 'k')).toMatchObject({ hit: true, ttlMs: null });
  });

  it('expires entries after their ttl', async () => {
    const scope = randomUUID();
    await lookupAndSave(store, scope, 'short', ['QrCode:q1'], { ttlMs: 200 });
    await lookupAndSave(store, scope, 'long', ['QrCode:q1'], { ttlMs: 60_000 });
    expect(await store.lookup(scope, 'short')).toMatchObject({ hit: true });
    await sleep(300);
    expect(await store.lookup(scope, 'short')).toMatchObject({ hit: false, epoch, stale: null });
    expect(await store.lookup(scope, 'long')).toMatchObject({ hit: true });
  });

  it('invalidates hierarchically: the tag, a prefix of it, never its neighbours', async () => {
    const scope = randomUUID();
    const other = randomUUID();
    // As a request would: look up, then save with the seq and epoch the miss reported.
    const fill = async (inScope: string, key: string, tags: string[]) => {
      const result = await store.lookup(inScope, key);
      if (result.hit) return;
      expect(await store.save(inScope, key, entry(tags, result))).toBe('stored');
    };
    const saveAll = async () => {
      await fill(scope, 'u1d22', ['Agenda:u1:2026-11-22', 'Appointment:a1']);
      await fill(scope, 'u1d23', ['Agenda:u1:2026-11-23', 'Appointment:a2']);
      await fill(scope, 'u2d22', ['Agenda:u2:2026-11-22']);
      await fill(other, 'u1d22', ['Agenda:u1:2026-11-22']);
    };
    const cached = async () => ({
      u1d22: (await store.lookup(scope, 'u1d22')).hit,
      u1d23: (await store.lookup(scope, 'u1d23')).hit,
      u2d22: (await store.lookup(scope, 'u2d22')).hit,
      otherScope: (await store.lookup(other, 'u1d22')).hit,
    });

    await saveAll();
    expect(await store.invalidate(scope, ['Agenda:u1:2026-11-24', 'Agenda:u3', 'Agenda:u'])).toBe(
      0,
    );
    expect(await cached()).toEqual({ u1d22: true, u1d23: true, u2d22: true, otherScope: true });

    expect(await store.invalidate(scope, ['Agenda:u1:2026-11-22'])).toBe(1);
    expect(await cached()).toEqual({ u1d22: false, u1d23: true, u2d22: true, otherScope: true });

    await saveAll();
    expect(await store.invalidate(scope, ['Agenda:u1'])).toBe(2);
    expect(await cached()).toEqual({ u1d22: false, u1d23: false, u2d22: true, otherScope: true });

    await saveAll();
    expect(await store.invalidate(scope, ['Agenda'])).toBe(3);
    expect(await cached()).toEqual({ u1d22: false, u1d23: false, u2d22: false, otherScope: true });
  });

  it('reaches time-zone tags and bare types through their prefixes', async () => {
    const scope = randomUUID();
    await lookupAndSave(store, scope, 'sp', ['MegaStats:t1:America/Sao_Paulo']);
    await lookupAndSave(store, scope, 'ny', ['MegaStats:t1:America/New_York']);
    await lookupAndSave(store, scope, 't2', ['MegaStats:t2:America/Sao_Paulo']);
    await lookupAndSave(store, scope, 'svc', ['ServiceList:u1', 'Service:s1']);
    await lookupAndSave(store, scope, 'march', ['Analytics:t1:2026-03']);

    expect(await store.invalidate(scope, ['Analytics:t1:2026-11'])).toBe(0);
    expect(await store.lookup(scope, 'march')).toMatchObject({ hit: true });
    expect(await store.invalidate(scope, ['MegaStats:t1'])).toBe(2);
    expect((await store.lookup(scope, 'sp')).hit).toBe(false);
    expect((await store.lookup(scope, 'ny')).hit).toBe(false);
    expect((await store.lookup(scope, 't2')).hit).toBe(true);
    expect(await store.invalidate(scope, ['Service'])).toBe(1);
    expect((await store.lookup(scope, 'svc')).hit).toBe(false);
  });

  it('counts each removed entry once, and only entries that still existed', async () => {
    const scope = randomUUID();
    await lookupAndSave(store, scope, 'a', ['Appointment:a1', 'User:u1']);
    await lookupAndSave(store, scope, 'b', ['Appointment:a2', 'User:u1']);
    await lookupAndSave(store, scope, 'c', ['Appointment:a3'], { ttlMs: 100 });
    await sleep(200);
    expect(await store.invalidate(scope, ['Appointment:a1', 'User:u1', 'Appointment'])).toBe(2);
    expect(await store.invalidate(scope, ['User:u1'])).toBe(0);
  });

  it('refuses a save whose tag, or a prefix of it, was invalidated after the lookup', async () => {
    const scope = randomUUID();
    const tags = ['Agenda:u1:2026-11-22', 'Appointment:a1'];
    for (const invalidated of ['Agenda:u1:2026-11-22', 'Agenda:u1', 'Agenda', 'Appointment:a1']) {
      const seen = await miss(store, scope, 'k');
      await store.invalidate(scope, [invalidated]);
      expect(await store.save(scope, 'k', entry(tags, seen))).toBe('stale');
      expect(await store.lookup(scope, 'k')).toMatchObject({ hit: false });
    }
  });

  it('accepts a save when only unrelated tags were invalidated after the lookup', async () => {
    const scope = randomUUID();
    const tags = ['Agenda:u1:2026-11-22', 'Appointment:a1'];
    // The tags are known to the store (an earlier entry carried them), as hot tags are.
    expect(await lookupAndSave(store, scope, 'earlier', tags)).toBe('stored');
    await store.invalidate(scope, ['Agenda:u1']);
    const seen = await miss(store, scope, 'k');
    await store.invalidate(scope, ['Agenda:u1:2026-11-23', 'Agenda:u2', 'Appointment:a10']);
    await store.invalidate(randomUUID(), ['Agenda']);
    expect(await store.save(scope, 'k', entry(tags, seen))).toBe('stored');
    expect(await store.lookup(scope, 'k')).toMatchObject({ hit: true, tags });
  });

  it('makes every earlier entry miss after a purge, and caches again afterwards', async () => {
    const scopes = [randomUUID(), randomUUID(), 'ops'];
    for (const scope of scopes) {
      expect(await lookupAndSave(store, scope, 'p', ['User:u1'], { ttlMs: null })).toBe('stored');
      expect((await store.lookup(scope, 'p')).hit).toBe(true);
    }
    const first = await purge();
    for (const scope of scopes) expect((await store.lookup(scope, 'p')).hit).toBe(false);
    expect(await lookupAndSave(store, scopes[0], 'p', ['User:u1'])).toBe('stored');
    expect((await store.lookup(scopes[0], 'p')).hit).toBe(true);
    expect(await purge()).toBe(first + 1);
    expect((await store.lookup(scopes[0], 'p')).hit).toBe(false);
  });

  it('reports the current epoch on a miss, which purge() raises', async () => {
    const scope = randomUUID();
    await store.invalidate(scope, ['User:u1']);
    const before = await miss(store, scope, 'k');
    expect(before).toMatchObject({ hit: false, epoch });
    if (name.startsWith('redis')) expect(before.epoch).toBe(await redisEpoch());
    const purged = await purge();
    expect(purged).toBeGreaterThan(before.epoch);
    // The seq belongs to the scope, not to the epoch: a purge leaves it alone.
    expect(await store.lookup(scope, 'k')).toMatchObject({ hit: false, epoch: purged });
    expect(await store.lookup(randomUUID(), 'k')).toMatchObject({ hit: false, epoch: purged });
    if (name.startsWith('redis')) expect(await redisEpoch()).toBe(purged);
    const again = await purge();
    expect(again).toBeGreaterThan(purged);
    expect(await store.lookup(scope, 'k')).toMatchObject({ hit: false, epoch: again });
  });

  it('keeps a result whose lookup happened before a purge invisible after it', async () => {
    const scope = randomUUID();
    const tags = ['Agenda:u1:2026-11-22', 'User:u1'];
    const seen = await miss(store, scope, 'k');
    // The purge happens while the request executes.
    const purged = await purge();
    expect(purged).toBeGreaterThan(seen.epoch);
    // Redis writes it under the purged epoch ('stored'), memory refuses it ('stale'): either
    // way nobody may read it.
    await store.save(scope, 'k', entry(tags, seen, { ttlMs: null }));
    expect(await store.lookup(scope, 'k')).toMatchObject({ hit: false, epoch: purged });
    // A request that looked up after the purge caches as usual.
    expect(await lookupAndSave(store, scope, 'k', tags)).toBe('stored');
    expect(await store.lookup(scope, 'k')).toMatchObject({ hit: true, tags });
  });

  it('answers ping and info', async () => {
    await expect(store.ping()).resolves.toBeUndefined();
    expect(await lookupAndSave(store, randomUUID(), 'i', ['User:u1'])).toBe('stored');
    const info = await store.info();
    expect(info.keys).toBeGreaterThan(0);
    if (name.startsWith('redis')) {
      expect(info.version).toMatch(/^\d+\.\d+/);
      expect(info.usedMemoryBytes).toBeGreaterThan(0);
      expect(info.connectedClients).toBeGreaterThan(0);
    } else {
      expect(info).toMatchObject({ usedMemoryBytes: null, version: null, connectedClients: null });
    }
  });
});

describe('redis store keys', () => {
  let store: ResponseStore;
  const keys = redisKeys(prefix);

  beforeAll(async () => {
    store = createRedisStore({ redis: await connect(), prefix, schemaHash, maxTtlMs: 3_600_000 });
  });

  afterAll(async () => {
    await store.close();
  });

  it('puts every key of a scope behind the {t:<scope>} hash tag', async () => {
    const scope = randomUUID();
    expect(await lookupAndSave(store, scope, 'deadbeef', ['Agenda:u1:2026-11-22'])).toBe('stored');
    await store.invalidate(scope, ['Session:s1']);
    const found = await scanKeys(raw, `${prefix}:*${scope}*`);
    const slot = `${prefix}:{t:${scope}}:`;
    expect(found.sort()).toEqual(
      [
        `${slot}${schemaHash}.${PAYLOAD_VERSION}:r:deadbeef`,
        `${slot}seq`,
        `${slot}log`,
        `${slot}i:Agenda`,
        `${slot}i:Agenda:u1`,
        `${slot}i:Agenda:u1:2026-11-22`,
      ].sort(),
    );
    for (const key of found) {
      // Redis Cluster hashes only the text between the first '{' and the next '}'.
      expect(key.slice(key.indexOf('{') + 1, key.indexOf('}'))).toBe(`t:${scope}`);
    }
  });

  it("keeps the scope's log and each index alive as long as its longest-lived entry", async () => {
    const scope = randomUUID();
    await lookupAndSave(store, scope, 'a', ['Service:s1'], { ttlMs: 60_000 });
    expect(await raw.pttl(keys.log(scope))).toBeGreaterThan(55_000);
    expect(await raw.pttl(keys.index(scope, 'Service:s1'))).toBeGreaterThan(55_000);
    await lookupAndSave(store, scope, 'b', ['Service:s1'], { ttlMs: 1_000 });
    expect(await raw.pttl(keys.log(scope))).toBeGreaterThan(55_000);
    await lookupAndSave(store, scope, 'c', ['Service:s1'], { ttlMs: 120_000 });
    expect(await raw.pttl(keys.log(scope))).toBeGreaterThan(115_000);
    expect(await raw.pttl(keys.index(scope, 'Service'))).toBeGreaterThan(115_000);
    // An invalidation records its tag without touching the log's life.
    await store.invalidate(scope, ['Service:s2']);
    expect(await raw.pttl(keys.log(scope))).toBeGreaterThan(115_000);
    expect(await raw.zscore(keys.log(scope), 'Service:s2')).toBe(await raw.get(keys.seq(scope)));
  });

  it('sends a save as text in a fixed number of arguments, and stores the bytes of that text', async () => {
    // A Buffer among a command's arguments makes ioredis copy every argument into a new Buffer,
    // and each argument costs its encoding (issue 19: a miss's save); the entry is the same.
    const client = await connect();
    const spied = createRedisStore({ redis: client, prefix, schemaHash });
    const sent: unknown[][] = [];
    const evalsha = client.evalsha.bind(client);
    client.evalsha = ((...args: unknown[]) => {
      sent.push(args);
      return (evalsha as (...a: unknown[]) => unknown)(...args);
    }) as typeof client.evalsha;
    const scope = randomUUID();
    const body = JSON.stringify({ data: { name: 'Ana "quoted" ção \u2028 😀' } });
    const tags = ['User:u1', 'Agenda:u1:2026-03-02', 'Appointment:a1', 'Appointment:a2'];
    expect(await lookupAndSave(spied, scope, 'text', tags, { body })).toBe('stored');
    const save = sent.find((args) => args[0] === SAVE.sha);
    expect(save).toBeDefined();
    expect(save?.every((arg) => typeof arg === 'string' || typeof arg === 'number')).toBe(true);
    // SHA, 3 keys and their count, 10 arguments: the 9 expanded tags are one of them.
    expect(save).toHaveLength(15);
    for (const tag of expandTags(tags)) {
      expect(await raw.hexists(keys.entry(scope, schemaHash, 'text'), tag)).toBe(1);
      expect(await raw.zcard(keys.index(scope, tag))).toBe(1);
    }
    // Each tag, or a prefix of it, still reaches the entry.
    await spied.invalidate(scope, ['Agenda:u1']);
    expect((await spied.lookup(scope, 'text')).hit).toBe(false);
    expect(await lookupAndSave(spied, scope, 'text', tags, { body })).toBe('stored');
    const payload = await raw.hgetBuffer(keys.entry(scope, schemaHash, 'text'), '.');
    const bytes = payload?.subarray(payload.indexOf(0x0a) + 1);
    expect(bytes?.equals(Buffer.from(body, 'utf8'))).toBe(true);
    const found = await spied.lookup(scope, 'text');
    expect(found.hit && found.body.text()).toBe(body);
    expect(found.hit && found.body.etag).toBe(etagOf(body));
  });

  it('refuses, never stores incompletely, a save whose tag holds a NUL', async () => {
    // The SAVE call joins the tags with NUL (issue 19); a tag holding one would split.
    const scope = randomUUID();
    expect(await lookupAndSave(store, scope, 'nul', ['User:u\u00001', 'Service:s1'])).toBe('stale');
    expect(await raw.exists(keys.entry(scope, schemaHash, 'nul'))).toBe(0);
    expect(await lookupAndSave(store, scope, 'none', [])).toBe('stored');
  });

  it('stores entries without ttl for maxTtlMs', async () => {
    const scope = randomUUID();
    expect(await lookupAndSave(store, scope, 'forever', ['Template:t1'], { ttlMs: null })).toBe(
      'stored',
    );
    const pttl = await raw.pttl(keys.entry(scope, schemaHash, 'forever'));
    expect(pttl).toBeGreaterThan(3_500_000);
    expect(pttl).toBeLessThanOrEqual(3_600_000);
    expect(await raw.pttl(keys.log(scope))).toBeGreaterThan(3_500_000);
  });

  it('leaves nothing of a scope once its entries expire but its clock', async () => {
    const scope = randomUUID();
    for (let i = 0; i < 20; i++) {
      await lookupAndSave(store, scope, `k${i}`, [`Appointment:a${i}`, 'Agenda:u1:2026-11-22'], {
        ttlMs: 300,
      });
    }
    await store.invalidate(scope, ['Appointment:a0']);
    expect((await scanKeys(raw, `${prefix}:{t:${scope}}:*`)).length).toBeGreaterThan(20);
    await sleep(500);
    await waitUntil(async () => {
      const left = await scanKeys(raw, `${prefix}:{t:${scope}}:*`);
      return left.every((key) => key.endsWith(':seq'));
    }, 2_000);
    const left = await scanKeys(raw, `${prefix}:{t:${scope}}:*`);
    expect(left).toEqual([keys.seq(scope)]);
  });

  it('refuses a save when Redis lost the scope clock and the log since the lookup', async () => {
    const scope = randomUUID();
    expect(await lookupAndSave(store, scope, 'warm', ['Service:s1'])).toBe('stored');
    const before = await miss(store, scope, 'k');
    // A restart without persistence (or eviction): the clock and the log are gone, and a
    // write invalidates again.
    await raw.del(keys.seq(scope), keys.log(scope));
    await store.invalidate(scope, ['Service:s1']);
    const result = await store.save(scope, 'k', {
      body: '{"data":{"old":true}}',
      tags: ['Service:s1'],
      ttlMs: 60_000,
      seenSeq: before.seq,
      seenEpoch: before.epoch,
    });
    expect(result).toBe('stale');
    expect((await store.lookup(scope, 'k')).hit).toBe(false);
  });

  it('misses, never serves, when any key but the entry is lost: the log, the clock, the epoch', async () => {
    const scope = randomUUID();
    const tags = ['Agenda:u1:2026-11-22', 'Appointment:a1'];
    for (const lost of [keys.log(scope), keys.seq(scope), keys.epoch]) {
      expect(await lookupAndSave(store, scope, 'k', tags)).toBe('stored');
      expect((await store.lookup(scope, 'k')).hit).toBe(true);
      await raw.del(lost);
      // Without its log, a write in the scope (to another tag) leaves nothing to prove the
      // entry by; without its clock, nothing can.
      if (lost === keys.log(scope)) await store.invalidate(scope, ['Service:s1']);
      expect((await store.lookup(scope, 'k')).hit, lost).toBe(false);
    }
  });

  it('rejects a scope that would break the hash tag', async () => {
    await expect(store.lookup('a}b', 'k')).rejects.toThrow(/scope/);
  });
});

describe('redis store across instances', () => {
  it("sees another instance's purge on its very next lookup", async () => {
    const shared = `${prefix}-purge`;
    const a = createRedisStore({ redis: await connect(), prefix: shared, schemaHash });
    const b = createRedisStore({ redis: await connect(), prefix: shared, schemaHash });
    const scope = randomUUID();
    for (let round = 0; round < 20; round++) {
      expect(await lookupAndSave(a, scope, 'k', ['User:u1'])).toBe('stored');
      expect((await b.lookup(scope, 'k')).hit).toBe(true);
      await a.purge();
      expect((await b.lookup(scope, 'k')).hit).toBe(false);
    }
    await a.close();
    await b.close();
  });

  it('keeps a result another instance computed across a purge invisible everywhere', async () => {
    const shared = `${prefix}-across`;
    const a = createRedisStore({ redis: await connect(), prefix: shared, schemaHash });
    const b = createRedisStore({ redis: await connect(), prefix: shared, schemaHash });
    const scope = randomUUID();
    expect(await lookupAndSave(a, scope, 'warm', ['User:u1'])).toBe('stored');
    const seen = await miss(b, scope, 'k');
    // a purges while b executes.
    const purged = await a.purge();
    expect(purged).toBeGreaterThan(seen.epoch);
    await b.save(scope, 'k', entry(['User:u1'], seen));
    for (const store of [a, b]) {
      expect(await store.lookup(scope, 'k')).toMatchObject({ hit: false, epoch: purged });
    }
    await a.close();
    await b.close();
  });

  it('never repeats an epoch, even when the epoch key is lost between purges', async () => {
    const shared = `${prefix}-epochs`;
    const a = createRedisStore({ redis: await connect(), prefix: shared, schemaHash });
    const seen = new Set<number>();
    for (let i = 0; i < 5; i++) {
      const epoch = await a.purge();
      expect(seen.has(epoch)).toBe(false);
      seen.add(epoch);
    }
    await raw.del(`${shared}:epoch`);
    const scope = randomUUID();
    await miss(a, scope, 'k');
    const recreated = Number(await raw.get(`${shared}:epoch`));
    expect(recreated).toBeGreaterThan(Math.max(...seen));
    expect(await a.purge()).toBeGreaterThan(recreated);
    await a.close();
  });
});

describe('redis store when Redis fails', () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  let blackHole: Server;
  const sockets = new Set<Socket>();

  beforeAll(() => {
    process.on('unhandledRejection', onUnhandled);
  });

  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled);
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => blackHole?.close(resolve));
  });

  const failingClient = (port: number, options: RedisOptions = {}) => {
    const client = new Redis(port, '127.0.0.1', {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      lazyConnect: true,
      commandTimeout: 50,
      ...options,
    });
    clients.push(client);
    return client;
  };

  async function expectFastRejections(store: ResponseStore): Promise<void> {
    const scope = randomUUID();
    const calls = [
      () => store.lookup(scope, 'k'),
      // No lookup first: it would fail before the save is tried.
      () => store.save(scope, 'k', entry(['User:u1'], { seq: 0, epoch: 0 })),
      () => store.invalidate(scope, ['User:u1']),
      () => store.purge(),
      () => store.ping(),
    ];
    for (const call of calls) {
      const started = Date.now();
      await expect(call()).rejects.toBeInstanceOf(Error);
      expect(Date.now() - started).toBeLessThan(1_000);
    }
  }

  it('rejects quickly, without unhandled rejections, when nothing listens on the port', async () => {
    const errors: Error[] = [];
    const client = failingClient(await freePort());
    const store = createRedisStore({
      redis: client,
      prefix,
      schemaHash,
      onError: (error) => errors.push(error),
    });
    await expectFastRejections(store);
    await expectFastRejections(store);
    await sleep(100);
    expect(errors.length).toBeGreaterThan(0);
    expect(unhandled).toEqual([]);
    client.disconnect();
    await store.close();
  });

  it('rejects within the command timeout when Redis accepts but never answers', async () => {
    blackHole = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => blackHole.listen(0, '127.0.0.1', resolve));
    const address = blackHole.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    const client = failingClient(address.port, { enableReadyCheck: false });
    await client.connect();
    const store = createRedisStore({ redis: client, prefix, schemaHash });
    const started = Date.now();
    await expect(store.lookup(randomUUID(), 'k')).rejects.toThrow(/timed out/i);
    expect(Date.now() - started).toBeLessThan(1_000);
    await expectFastRejections(store);
    await sleep(100);
    expect(unhandled).toEqual([]);
    client.disconnect();
    await store.close();
  });
});

describe('memory store specifics', () => {
  it('expires markers after markerTtlMs and entries by the injected clock', async () => {
    let clock = 1_000;
    const store = createMemoryStore({ maxEntries: 100, markerTtlMs: 5_000, now: () => clock });
    const scope = randomUUID();
    const seen = await miss(store, scope, 'k');
    await store.invalidate(scope, ['Agenda:u1']);
    expect(await store.save(scope, 'k', entry(['Agenda:u1:2026-11-22'], seen))).toBe('stale');
    clock += 5_001;
    // The same save, seq from before the invalidation: accepted once the marker has expired.
    expect(
      await store.save(scope, 'k', entry(['Agenda:u1:2026-11-22'], seen, { ttlMs: 1_000 })),
    ).toBe('stored');
    clock += 400;
    expect(await store.lookup(scope, 'k')).toMatchObject({ hit: true, ttlMs: 600 });
    clock += 601;
    expect(await store.lookup(scope, 'k')).toMatchObject({ hit: false, seq: 1, epoch: 0 });
  });

  it('stays within maxEntries and keeps the tag index consistent with evictions', async () => {
    const store = createMemoryStore({ maxEntries: 3 });
    const scope = randomUUID();
    for (let i = 0; i < 5; i++) {
      expect(await lookupAndSave(store, scope, `k${i}`, [`Appointment:a${i}`])).toBe('stored');
    }
    expect((await store.info()).keys).toBe(3);
    // 'Appointment' plus the three entries still cached.
    expect(store.indexedTags()).toBe(4);
    expect((await store.lookup(scope, 'k0')).hit).toBe(false);
    expect(await store.invalidate(scope, ['Appointment:a0', 'Appointment:a1'])).toBe(0);
    expect(await store.invalidate(scope, ['Appointment'])).toBe(3);
    expect((await store.info()).keys).toBe(0);
    expect(store.indexedTags()).toBe(0);
  });
});

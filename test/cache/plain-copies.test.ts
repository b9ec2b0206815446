/**
 * Issue 19: a gzipped entry held in process (a memory store entry, a Redis store's near copy)
 * keeps its JSON once a client that doesn't take gzip asked for it, so the next such hit
 * inflates nothing; those bytes are counted in the structure's byte bound (CACHE_MAX_BYTES,
 * CACHE_NEAR_MAX_BYTES), which still holds. Redis hits without a copy still inflate.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inflationCount, prepareBody } from '../../src/cache/store/body.js';
import { createMemoryStore } from '../../src/cache/store/memory-store.js';
import { createRedisStore } from '../../src/cache/store/redis/redis-store.js';
import type { LookupResult, ResponseStore } from '../../src/cache/store/store.js';
import { sharedRedisUrl } from '../support/redis.js';
import { saveAfterMiss } from '../support/store.js';

const THRESHOLD = 1_024;
type Hit = Extract<LookupResult, { hit: true }>;

/** A compressible result of about `bytes` bytes, distinct per `seed`. */
const jsonOf = (seed: string, bytes: number) => {
  const rows = Array.from(
    { length: Math.ceil(bytes / 40) },
    (_, i) => `{"id":"${seed}-${i}","n":"Row ${i}"}`,
  );
  return `{"data":{"rows":[${rows.join(',')}]}}`;
};

/** Lookup (a miss), then save the JSON prepared gzipped, as a request does. */
async function put(store: ResponseStore, scope: string, key: string, json: string) {
  const prepared = await prepareBody(json, THRESHOLD);
  expect(prepared.encoding).toBe('gzip');
  await saveAfterMiss(store, scope, key, {
    body: json,
    prepared,
    tags: [`Report:${key}`],
    ttlMs: 60_000,
  });
  return prepared;
}

async function hit(store: ResponseStore, scope: string, key: string): Promise<Hit> {
  const found = await store.lookup(scope, key);
  if (!found.hit) throw new Error(`expected a hit for ${key}`);
  return found;
}

describe('memory store entries', () => {
  it('keep the JSON once asked for: the second plain hit inflates nothing', async () => {
    const store = createMemoryStore({ maxEntries: 100, maxBytes: 10_000_000 });
    const scope = randomUUID();
    const json = jsonOf('a', 50_000);
    await put(store, scope, 'a', json);
    const before = inflationCount();
    const first = (await hit(store, scope, 'a')).body.identity();
    const second = (await hit(store, scope, 'a')).body.identity();
    expect(first.toString('utf8')).toBe(json);
    expect(second).toBe(first);
    expect(inflationCount()).toBe(before + 1);
    // A gzip client still gets the stored bytes.
    expect((await hit(store, scope, 'a')).body.encoding).toBe('gzip');
  });

  it('count the kept JSON in their bytes', async () => {
    const store = createMemoryStore({ maxEntries: 100, maxBytes: 10_000_000 });
    const scope = randomUUID();
    const json = jsonOf('b', 50_000);
    await put(store, scope, 'b', json);
    const stored = store.bytes();
    (await hit(store, scope, 'b')).body.identity();
    expect(store.bytes()).toBe(stored + Buffer.byteLength(json));
    // Once: asking again adds nothing.
    (await hit(store, scope, 'b')).body.identity();
    expect(store.bytes()).toBe(stored + Buffer.byteLength(json));
  });

  it('stay within CACHE_MAX_BYTES: kept JSON pushes the least recently used out', async () => {
    let evicted = 0;
    // What one entry takes gzipped (S), and its JSON (J): room for six entries and one JSON,
    // for five and two, but not for six and two.
    const probe = createMemoryStore({ maxEntries: 100, maxBytes: 10_000_000 });
    await put(probe, randomUUID(), 'c0', jsonOf('c0', 40_000));
    const S = probe.bytes();
    const J = Buffer.byteLength(jsonOf('c0', 40_000));
    const maxBytes = 6 * S + 2 * J - Math.floor(S / 2);
    const store = createMemoryStore({ maxEntries: 100, maxBytes, onEvict: () => evicted++ });
    const scope = randomUUID();
    for (let i = 0; i < 6; i++) await put(store, scope, `c${i}`, jsonOf(`c${i}`, 40_000));
    expect(evicted).toBe(0);
    // Asked for in plain by the newest two: the oldest entries make room.
    (await hit(store, scope, 'c5')).body.identity();
    expect(evicted).toBe(0);
    expect(store.bytes()).toBeLessThanOrEqual(maxBytes);
    (await hit(store, scope, 'c4')).body.identity();
    expect(evicted).toBeGreaterThan(0);
    expect(store.bytes()).toBeLessThanOrEqual(maxBytes);
    expect((await store.lookup(scope, 'c0')).hit).toBe(false);
    // The two kept copies are served without inflating, their TTL and index intact.
    const before = inflationCount();
    const c5 = await hit(store, scope, 'c5');
    expect(c5.ttlMs).toBeGreaterThan(50_000);
    expect(c5.body.identity().toString('utf8')).toBe(jsonOf('c5', 40_000));
    (await hit(store, scope, 'c4')).body.identity();
    expect(inflationCount()).toBe(before);
    // Still indexed under its tag: an invalidation removes it.
    expect(await store.invalidate(scope, ['Report:c5'])).toBe(1);
    expect((await store.lookup(scope, 'c5')).hit).toBe(false);
  });

  it('decline the JSON when the entry would no longer fit on its own', async () => {
    const json = jsonOf('d', 40_000);
    const gzipped = (await prepareBody(json, THRESHOLD)).bytes.length;
    const store = createMemoryStore({ maxEntries: 100, maxBytes: gzipped + 5_000 });
    const scope = randomUUID();
    await put(store, scope, 'd', json);
    const stored = store.bytes();
    const before = inflationCount();
    expect((await hit(store, scope, 'd')).body.text()).toBe(json);
    expect((await hit(store, scope, 'd')).body.text()).toBe(json);
    // Served each time, inflated each time, the entry kept and its bytes unchanged.
    expect(inflationCount()).toBe(before + 2);
    expect(store.bytes()).toBe(stored);
  });
});

describe("the Redis store's near copies", () => {
  const prefix = `hp-plain-${randomUUID().slice(0, 8)}`;
  const clients: Redis[] = [];
  let raw: Redis;

  async function connect(): Promise<Redis> {
    const client = new Redis(sharedRedisUrl(), { lazyConnect: true, maxRetriesPerRequest: 1 });
    clients.push(client);
    await client.connect();
    return client;
  }

  beforeAll(async () => {
    raw = await connect();
  });

  afterAll(async () => {
    let cursor = '0';
    do {
      const [next, keys] = await raw.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await raw.del(...keys);
    } while (cursor !== '0');
    await Promise.all(clients.map((client) => client.quit()));
  });

  it('keep the JSON once asked for, counted in their bytes; Redis keeps the gzip', async () => {
    const store = createRedisStore({
      redis: await connect(),
      prefix,
      schemaHash: 'plain1',
      nearMaxBytes: 10_000_000,
    });
    const scope = randomUUID();
    const json = jsonOf('e', 50_000);
    const prepared = await put(store, scope, 'e', json);
    const before = inflationCount();
    // From Redis: the copy is made, and the JSON asked for is kept in it.
    const fromRedis = await hit(store, scope, 'e');
    expect(fromRedis.near).toBeFalsy();
    const bytesBefore = store.nearStats?.()?.bytes ?? 0;
    const first = fromRedis.body.identity();
    expect(store.nearStats?.()?.bytes).toBe(bytesBefore + Buffer.byteLength(json));
    const fromCopy = await hit(store, scope, 'e');
    expect(fromCopy.near).toBe(true);
    expect(fromCopy.body.identity()).toBe(first);
    expect(first.toString('utf8')).toBe(json);
    expect(inflationCount()).toBe(before + 1);
    // The Redis entry is the open gzip member as prepared.
    const [payload] = await raw.hmgetBuffer(
      (await raw.keys(`${prefix}:{t:${scope}}:*:r:e`))[0] as string,
      '.',
    );
    expect(payload?.subarray(payload.indexOf(0x0a) + 1).equals(prepared.bytes)).toBe(true);
    await store.close();
  });

  it('stay within CACHE_NEAR_MAX_BYTES when kept JSON grows them', async () => {
    const gzipped = (await prepareBody(jsonOf('f0', 40_000), THRESHOLD)).bytes.length;
    const nearMaxBytes = 4 * (gzipped + 1_000) + 45_000;
    const store = createRedisStore({
      redis: await connect(),
      prefix,
      schemaHash: 'plain2',
      nearMaxBytes,
    });
    const scope = randomUUID();
    for (let i = 0; i < 4; i++) await put(store, scope, `f${i}`, jsonOf(`f${i}`, 40_000));
    for (let i = 0; i < 4; i++) await hit(store, scope, `f${i}`); // copies made
    expect(store.nearStats?.()?.entries).toBe(4);
    (await hit(store, scope, 'f3')).body.identity();
    (await hit(store, scope, 'f2')).body.identity();
    const stats = store.nearStats?.();
    expect(stats?.bytes).toBeLessThanOrEqual(nearMaxBytes);
    expect(stats?.entries).toBeLessThan(4);
    // Without a copy (evicted), a plain hit inflates again: the Redis entry stays compressed.
    const before = inflationCount();
    const f0 = await hit(store, scope, 'f0');
    expect(f0.near).toBeFalsy();
    expect(f0.body.encoding).toBe('gzip');
    await store.close();
    expect(inflationCount()).toBe(before);
  });
});

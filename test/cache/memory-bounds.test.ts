import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { parse } from 'graphql';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPopularRequests } from '../../src/cache/popular.js';
import { ByteBudget } from '../../src/cache/stats/bounds.js';
import {
  clusterStatsKeys,
  createClusterStats,
  MAX_TOTALS_FIELDS,
} from '../../src/cache/stats/cluster-stats.js';
import { createCacheStats } from '../../src/cache/stats/stats.js';
import { OTHER_OPERATIONS } from '../../src/cache/stats/view.js';
import { createApqStore } from '../../src/cache/store/apq-store.js';
import { createMemoryStore } from '../../src/cache/store/memory-store.js';
import { createParseCache } from '../../src/yoga/parse-cache.js';
import { graphql } from '../gql/index.js';
import { buildTestApp, OPS_TOKEN, sharedRedisCache, type TestApp } from '../support/app.js';
import {
  LARGE_RENDERS,
  LARGE_TEMPLATE_BODY,
  largeRenderVariables,
} from '../support/large-bodies.js';
import { sharedRedisUrl } from '../support/redis.js';

// Issue 14, item 3: every structure that grows with what clients send is bounded in bytes, and
// /metrics shows what it holds (hotpath_memory_bytes{structure}) and what it pushed out or
// refused. These run on SQLite only: what they bound is process memory, not the database.

const KiB = 1_024;

const UPSERT_TEMPLATE = graphql(`
  mutation BoundsUpsertTemplate($i: UpsertTemplateInput!) { upsertTemplate(input: $i) { id } }
`);
/** A named read: byOperation lists it under "Real", and under no name a request makes up. */
const REAL = graphql(`
  query Real($u: ID!) { user(id: $u) { id } }
`);
const OPERATION_NAMES = graphql(`
  query BoundsOperationNames { cacheStats { byOperation { operationName } } }
`);
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** hotpath_memory_<metric>{structure="<structure>"} from /metrics (0 when absent). */
async function metric(app: TestApp, metricName: string, structure: string): Promise<number> {
  const scrape = await app.request('/metrics', {
    headers: { authorization: `Bearer ${OPS_TOKEN}` },
  });
  expect(scrape.status).toBe(200);
  const text = await scrape.text();
  const line = text
    .split('\n')
    .find((l) => l.startsWith(`hotpath_memory_${metricName}{structure="${structure}"}`));
  return line ? Number(line.split(' ').pop()) : 0;
}

const post = (app: TestApp, key: string, body: object) =>
  app.request('/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify(body),
  });

describe('in-memory structures bounded in bytes (an app on the memory store)', () => {
  let app: TestApp;
  let key: string;
  let userId: string;
  const bounds = {
    storeBytes: 2 * 1_048_576,
    parseCacheBytes: 256 * KiB,
    keyMemoBytes: 256 * KiB,
    apqBytes: 64 * KiB,
    dayRangeBytes: 4 * KiB,
    flightLingerBytes: 1 * KiB,
  };

  beforeAll(async () => {
    app = await buildTestApp('sqlite', { cache: { backend: 'MEMORY', bounds }, via: 'http' });
    const t = await app.createTenant('Bounds');
    key = t.key;
    userId = (await app.createUser(t.tenant.id)).id;
    const upsert = await app.execute(
      UPSERT_TEMPLATE,
      { i: { userId, type: 'WELCOME', name: 'Large', body: LARGE_TEMPLATE_BODY } },
      key,
    );
    expect(upsert.body.errors).toBeUndefined();
  });
  afterAll(() => app?.close());

  it('the memory store holds at most CACHE_MAX_BYTES, counting the bytes it stores', async () => {
    for (let i = 0; i < 10; i++) {
      // Each entry holds about 360 KB (gzipped): ten are more than the 2 MiB allowed here.
      const variables = largeRenderVariables(userId);
      const res = await post(app, key, { query: LARGE_RENDERS, variables });
      expect(res.status).toBe(200);
      expect(res.headers.get('x-cache')).toBe('MISS');
    }
    const held = await metric(app, 'bytes', 'memory_store');
    expect(held).toBeGreaterThan(1_048_576);
    expect(held).toBeLessThanOrEqual(bounds.storeBytes);
    expect(await metric(app, 'max_bytes', 'memory_store')).toBe(bounds.storeBytes);
    expect(await metric(app, 'evictions_total', 'memory_store')).toBeGreaterThan(0);
  });

  it("Yoga's parse cache keeps no text over PARSE_CACHE_MAX_TEXT_BYTES, within its bytes", async () => {
    const refusedBefore = await metric(app, 'refusals_total', 'parse_cache');
    // A 6 KB document (over the 4 KiB default): parsed, answered, not kept.
    const long = `query Long { ${Array.from({ length: 180 }, (_, i) => `fieldNumber${i}: __typename`).join(' ')} }`;
    expect(long.length).toBeGreaterThan(4 * KiB);
    expect((await post(app, key, { query: long })).status).toBe(200);
    expect(await metric(app, 'refusals_total', 'parse_cache')).toBe(refusedBefore + 1);
    // Many distinct short documents: the oldest go, the bytes stay within the bound.
    for (let i = 0; i < 80; i++) {
      const query = `query Q${i}($u: ID!) { user(id: $u) { id name plan services { id name } } }`;
      expect((await post(app, key, { query, variables: { u: userId } })).status).toBe(200);
    }
    const held = await metric(app, 'bytes', 'parse_cache');
    expect(held).toBeGreaterThan(0);
    expect(held).toBeLessThanOrEqual(bounds.parseCacheBytes);
    expect(await metric(app, 'evictions_total', 'parse_cache')).toBeGreaterThan(0);
  });

  it('the hit path remembers request bodies within CACHE_KEY_MEMO_BYTES', async () => {
    const filler = 'x'.repeat(2_000);
    // A body is remembered from its second time (memo.ts, admitOnRepeat).
    for (let i = 0; i < 150; i++) {
      for (let time = 0; time < 2; time++) {
        const res = await post(app, key, {
          query: `query Memo { user(id: "${userId}") { id } }`,
          variables: { filler: `${i}${filler}` },
        });
        expect(res.status).toBe(200);
      }
    }
    const held = await metric(app, 'bytes', 'key_memo');
    expect(held).toBeGreaterThan(0);
    expect(held).toBeLessThanOrEqual(bounds.keyMemoBytes);
    expect(await metric(app, 'evictions_total', 'key_memo')).toBeGreaterThan(0);
  });

  it('finished misses linger for identical ones within CACHE_FLIGHT_LINGER_BYTES', async () => {
    // About 2 KB of JSON: answered and stored, but past the 1 KiB its flight may keep.
    const fields = Array.from({ length: 30 }, (_, i) => `u${i}: user(id: $u) { id name }`);
    const query = `query Wide($u: ID!) { ${fields.join(' ')} }`;
    const res = await post(app, key, { query, variables: { u: userId } });
    expect(res.status).toBe(200);
    expect((await res.text()).length).toBeGreaterThan(KiB);
    expect(await metric(app, 'refusals_total', 'single_flight')).toBeGreaterThan(0);
    expect(await metric(app, 'bytes', 'single_flight')).toBeLessThanOrEqual(KiB);
    expect(await metric(app, 'max_bytes', 'single_flight')).toBe(KiB);
    // The next one is a hit: the entry was stored all the same.
    const again = await post(app, key, { query, variables: { u: userId } });
    expect(again.headers.get('x-cache')).toBe('HIT');
  });

  it('the days agendas asked for are remembered within DAY_RANGE_MEMO_BYTES', async () => {
    const agenda = `query Days($u: ID!, $d: Date!) { agenda(userId: $u, date: $d) { appointments { id } } }`;
    const from = Date.UTC(2026, 0, 1);
    // 60 days of about 190 bytes each: more than the 4 KiB allowed here.
    for (let i = 0; i < 60; i++) {
      const d = new Date(from + i * 86_400_000).toISOString().slice(0, 10);
      const res = await post(app, key, { query: agenda, variables: { u: userId, d } });
      expect(res.status).toBe(200);
    }
    const held = await metric(app, 'bytes', 'day_ranges');
    expect(held).toBeGreaterThan(bounds.dayRangeBytes / 2);
    expect(held).toBeLessThanOrEqual(bounds.dayRangeBytes);
    expect(await metric(app, 'max_bytes', 'day_ranges')).toBe(bounds.dayRangeBytes);
    expect(await metric(app, 'evictions_total', 'day_ranges')).toBeGreaterThan(0);
  });

  it('a document over APQ_MAX_DOCUMENT_BYTES runs but is not registered', async () => {
    // Few tokens (within LIMIT_TOKENS), many bytes: a long string argument.
    const large = `query LargeApq { user(id: "${'x'.repeat(17_000)}") { id } }`;
    expect(Buffer.byteLength(large)).toBeGreaterThan(16 * KiB);
    const hash = sha256(large);
    const extensions = { persistedQuery: { version: 1, sha256Hash: hash } };
    const registered = await post(app, key, { query: large, extensions });
    // It still runs (or meets the ordinary limits, as any request would): never a 5xx.
    expect(registered.status).toBeLessThan(500);
    const again = await post(app, key, { extensions });
    expect(((await again.json()) as any).errors?.[0]?.extensions?.code).toBe(
      'PERSISTED_QUERY_NOT_FOUND',
    );
    expect(await metric(app, 'refusals_total', 'apq')).toBeGreaterThan(0);
  });

  it('cacheStats.byOperation never lists an operationName its document lacks', async () => {
    // Sent as text on purpose: an operationName the document lacks is what is under test.
    for (let i = 0; i < 50; i++) {
      const res = await post(app, key, {
        query: String(REAL),
        operationName: `MadeUp${i}`,
        variables: { u: userId },
      });
      expect(res.status).toBeGreaterThanOrEqual(400);
    }
    expect((await app.execute(REAL, { u: userId }, key)).status).toBe(200);
    // A name that ran but is longer than 200 characters is counted, not under its name.
    const long = `Long${'N'.repeat(250)}`;
    const ran = await post(app, key, { query: `query ${long} { user(id: "${userId}") { id } }` });
    expect(ran.status).toBe(200);
    const stats = await app.execute(OPERATION_NAMES, {}, OPS_TOKEN);
    const names = stats.data.cacheStats.byOperation.map((o) => o.operationName);
    expect(names.filter((n) => n.startsWith('MadeUp'))).toEqual([]);
    expect(names).toContain('Real');
    expect(names).not.toContain(long);
    expect(names).toContain(OTHER_OPERATIONS);
  });
});

describe('the stores bounded in bytes, on their own', () => {
  it('the memory store refuses an entry over CACHE_MAX_BYTES and indexes nothing of it', async () => {
    const budget = new ByteBudget('memory_store', 64 * KiB);
    const store = createMemoryStore({
      maxEntries: 1_000,
      maxBytes: budget.maxBytes,
      onEvict: () => budget.evictions++,
      onRefuse: () => budget.refusals++,
    });
    const save = (key: string, bytes: number) =>
      store.save('t', key, {
        body: JSON.stringify({ data: { x: 'y'.repeat(bytes) } }),
        tags: [`User:${key}`],
        ttlMs: null,
        seenSeq: 0,
        seenEpoch: 0,
      });
    await save('huge', 100 * KiB);
    expect(budget.refusals).toBe(1);
    expect(store.indexedTags()).toBe(0);
    for (let i = 0; i < 20; i++) await save(`k${i}`, 10 * KiB);
    // Entries that never expire (rendered templates) are still pushed out by bytes.
    expect(store.bytes()).toBeLessThanOrEqual(budget.maxBytes);
    expect(budget.evictions).toBeGreaterThan(10);
    expect((await store.lookup('t', 'k0')).hit).toBe(false);
    expect((await store.lookup('t', 'k19')).hit).toBe(true);
    // The index shrinks with the entries: 2 tags (User, User:k) per entry kept, plus 'User'.
    expect(store.indexedTags()).toBeLessThanOrEqual(1 + 20 - budget.evictions);
  });

  it('the parse cache keeps no parse error, no long text, and sizes documents by tokens', () => {
    const budget = new ByteBudget('parse_cache', 200 * KiB);
    const cache = createParseCache({ maxBytes: budget.maxBytes, maxTextBytes: 4 * KiB, budget });
    const error = new Error('Syntax Error: Unexpected "}".');
    cache.errorCache.set('{ a }}', error);
    expect(cache.errorCache.get('{ a }}')).toBeUndefined();
    const long = `{ ${'a '.repeat(2_100)}}`;
    cache.documentCache.set(long, parse(long));
    expect(cache.documentCache.get(long)).toBeUndefined();
    expect(budget.refusals).toBe(1);
    for (let i = 0; i < 40; i++) {
      const text = `{ f${i} ${'a '.repeat(100)}}`;
      cache.documentCache.set(text, parse(text));
    }
    // About 51 KB each (105 tokens with the start and the end): three fit.
    expect(budget.bytes).toBeLessThanOrEqual(budget.maxBytes);
    expect(budget.bytes).toBeGreaterThan(140 * KiB);
    expect(budget.evictions).toBe(37);
  });

  it('the in-process APQ store holds at most APQ_MAX_BYTES', async () => {
    const budget = new ByteBudget('apq', 64 * KiB);
    const store = createApqStore({
      redis: null,
      prefix: 'x',
      ttlSeconds: 60,
      maxEntries: 1_000,
      maxBytes: budget.maxBytes,
      budget,
    });
    for (let i = 0; i < 50; i++) {
      const text = `query Q${i} { ${'__typename '.repeat(900)}}`;
      await store.set(sha256(text), text, 't');
    }
    expect(budget.bytes).toBeLessThanOrEqual(budget.maxBytes);
    expect(budget.bytes).toBeGreaterThan(budget.maxBytes / 2);
    expect(budget.evictions).toBeGreaterThan(30);
  });

  it('the popular list holds at most CACHE_WARM_MAX_BYTES', () => {
    const budget = new ByteBudget('popular', 32 * KiB);
    const popular = createPopularRequests({ max: 100, budget });
    const viewer = { kind: 'tenant' as const, tenantId: 't', timezone: 'UTC' };
    for (let i = 0; i < 100; i++) {
      popular.record(
        viewer,
        `key${i}`,
        { query: `query Q${i} { a }`, variables: { v: 'x'.repeat(2_000) } },
        true,
      );
    }
    expect(budget.bytes).toBeLessThanOrEqual(budget.maxBytes);
    expect(popular.size).toBeLessThan(20);
    expect(budget.evictions).toBeGreaterThan(0);
  });
});

describe('on the shared Redis', () => {
  const redis = new Redis(sharedRedisUrl(), { lazyConnect: false, maxRetriesPerRequest: 1 });
  const prefix = `hp-bounds-${randomBytes(4).toString('hex')}`;
  afterAll(async () => {
    let cursor = '0';
    do {
      const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1_000);
      cursor = next;
      if (found.length > 0) await Promise.all(found.map((k) => redis.del(k)));
    } while (cursor !== '0');
    redis.disconnect();
  });

  it('a tenant registers at most APQ_TENANT_QUOTA_BYTES of documents per APQ_TTL', async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    const doc = (i: number) => `query Q${100 + i} { ${'__typename '.repeat(180)}}`; // ~2 KB
    const budget = new ByteBudget('apq', 0);
    const store = createApqStore({
      redis,
      prefix,
      ttlSeconds: 600,
      maxEntries: 1_000,
      tenantQuotaBytes: Math.floor(4.5 * Buffer.byteLength(doc(0))),
      budget,
    });
    const hashes: string[] = [];
    for (let i = 0; i < 8; i++) {
      hashes.push(sha256(doc(i)));
      await store.set(sha256(doc(i)), doc(i), a);
    }
    const known = await Promise.all(hashes.map((h) => store.get(h)));
    expect(known.filter((text) => text !== null)).toHaveLength(4);
    expect(known.slice(4)).toEqual([null, null, null, null]);
    expect(budget.refusals).toBe(4);
    // The quota is the tenant's, in its slot, and lives as long as a registration.
    const quotaKey = `${prefix}:{t:${a}}:apq-quota`;
    expect(Number(await redis.get(quotaKey))).toBe(4 * Buffer.byteLength(doc(0)));
    expect(await redis.ttl(quotaKey)).toBeGreaterThan(500);
    // Another tenant is not affected; re-sending a known document costs nothing.
    await store.set(hashes[0], doc(0), b);
    await store.set(sha256(doc(100)), doc(100), b);
    expect(await store.get(sha256(doc(100)))).toBe(doc(100));
    expect(Number(await redis.get(`${prefix}:{t:${b}}:apq-quota`))).toBe(
      Buffer.byteLength(doc(100)),
    );
  });

  it('a tenant over its APQ quota is answered, and its hash stays unknown', async () => {
    const doc = (i: number) => `query Quota${i} { __typename }`;
    const quota = Math.floor(2.5 * Buffer.byteLength(doc(0)));
    const app = await buildTestApp('sqlite', {
      cache: sharedRedisCache({ bounds: { apqTenantQuotaBytes: quota } }),
    });
    try {
      const { key } = await app.createTenant('Quota');
      const other = await app.createTenant('Other');
      const extensions = (i: number) => ({
        persistedQuery: { version: 1, sha256Hash: sha256(doc(i)) },
      });
      for (let i = 0; i < 3; i++) {
        const res = await post(app, key, { query: doc(i), extensions: extensions(i) });
        expect(res.status).toBe(200); // the third is over quota: it runs all the same
      }
      const code = async (k: string, i: number) =>
        ((await (await post(app, k, { extensions: extensions(i) })).json()) as any).errors?.[0]
          ?.extensions?.code;
      expect(await code(key, 0)).toBeUndefined();
      expect(await code(key, 1)).toBeUndefined();
      expect(await code(key, 2)).toBe('PERSISTED_QUERY_NOT_FOUND');
      // Another tenant has its own quota; the documents are shared.
      expect(
        (await post(app, other.key, { query: doc(2), extensions: extensions(2) })).status,
      ).toBe(200);
      expect(await code(key, 2)).toBeUndefined();
      expect(await metric(app, 'refusals_total', 'apq')).toBe(1);
    } finally {
      await app.close();
    }
  });

  it('the cluster-wide operation list stays bounded across restarts', async () => {
    for (let restart = 0; restart < 3; restart++) {
      const stats = createCacheStats();
      const cluster = createClusterStats({ redis, prefix, stats, flushIntervalMs: 60_000 });
      for (let i = 0; i < 500; i++) stats.record('miss', `R${restart}Op${i}`, 0.001);
      await cluster.close();
    }
    const fields = await redis.hlen(clusterStatsKeys(prefix).totals);
    expect(fields).toBeLessThanOrEqual(MAX_TOTALS_FIELDS);
    const other = await redis.hget(clusterStatsKeys(prefix).totals, 'o:m:(other operations)');
    expect(Number(other)).toBeGreaterThan(0);
    // Every request is still counted.
    expect(Number(await redis.hget(clusterStatsKeys(prefix).totals, 'm'))).toBe(1_500);
  });
});

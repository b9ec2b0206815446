import { createHash, randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApqStore } from '../../src/cache/store/apq-store.js';
import { buildTestApp, OPS_TOKEN, sharedRedisCache, type TestApp } from '../support/app.js';
import { sharedRedisUrl, startRedisServer } from '../support/redis.js';

/**
 * Automatic persisted queries (Apollo's protocol) on both paths: this file runs in the `yoga`
 * project (in process) and in `hit-path` (a listening node:http server, vitest.config.ts).
 */

const QUERY = 'query Profile($u: ID!) { user(id: $u) { id name plan } }';
const OTHER = 'query Named($u: ID!) { user(id: $u) { name } }';
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const HASH = sha256(QUERY);

interface Body {
  data?: any;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

const persisted = (hash: string) => ({ persistedQuery: { version: 1, sha256Hash: hash } });

/** Requests in the shapes Apollo Client and urql send. */
function clientOf(app: TestApp) {
  const headersFor = (key: string | null, extra: Record<string, string> = {}) => ({
    'content-type': 'application/json',
    accept: 'application/graphql-response+json, application/json;q=0.9',
    ...(key ? { authorization: `Bearer ${key}` } : {}),
    ...extra,
  });
  const read = async (response: Response) => ({
    status: response.status,
    cache: response.headers.get('x-cache'),
    etag: response.headers.get('etag'),
    body: (response.status === 304 ? {} : await response.json()) as Body,
  });
  return {
    /** POST { operationName, variables, extensions }, with the text only when `query` is set. */
    async post(
      key: string | null,
      params: { query?: string; hash?: string; variables?: object; operationName?: string },
      extra: Record<string, string> = {},
    ) {
      const body = {
        ...(params.operationName ? { operationName: params.operationName } : {}),
        ...(params.query ? { query: params.query } : {}),
        variables: params.variables ?? {},
        ...(params.hash ? { extensions: persisted(params.hash) } : {}),
      };
      return read(
        await app.request('/graphql', {
          method: 'POST',
          headers: headersFor(key, extra),
          body: JSON.stringify(body),
        }),
      );
    },
    /** GET ?operationName&variables&extensions, as useGETForHashedQueries sends a hash. */
    async get(
      key: string | null,
      params: { hash: string; variables: object; operationName?: string },
      extra: Record<string, string> = {},
    ) {
      const search = new URLSearchParams({
        ...(params.operationName ? { operationName: params.operationName } : {}),
        variables: JSON.stringify(params.variables),
        extensions: JSON.stringify(persisted(params.hash)),
      });
      const headers = headersFor(key, extra);
      delete (headers as Record<string, string>)['content-type'];
      return read(await app.request(`/graphql?${search}`, { headers }));
    },
  };
}

/** Counts the APQ store's lookups: a hit on the hit path never needs the text. */
function countApqLookups(app: TestApp) {
  const store = app.app.cache.apq;
  const get = store.get.bind(store);
  const counts = { gets: 0 };
  store.get = (hash) => {
    counts.gets++;
    return get(hash);
  };
  return counts;
}

const codeOf = (body: Body) => body.errors?.[0]?.extensions?.code;

describe.each([
  ['memory', { backend: 'MEMORY' as const }],
  ['Redis', sharedRedisCache()],
])('persisted queries on %s', (name, cache) => {
  let app: TestApp;
  let client: ReturnType<typeof clientOf>;
  let tenantA: { key: string; userId: string };
  let tenantB: { key: string; userId: string };
  beforeAll(async () => {
    app = await buildTestApp('sqlite', { cache });
    client = clientOf(app);
    const a = await app.createTenant('A');
    const b = await app.createTenant('B');
    tenantA = { key: a.key, userId: (await app.createUser(a.tenant.id, 'Ana')).id };
    tenantB = { key: b.key, userId: (await app.createUser(b.tenant.id, 'Bia')).id };
  });
  afterAll(() => app.close());

  it('uses the store the cache uses', () => {
    expect(app.app.cache.apq.backend).toBe(name === 'Redis' ? 'REDIS' : 'MEMORY');
  });

  it('answers an unknown hash 404 PERSISTED_QUERY_NOT_FOUND, as Apollo Client and urql expect', async () => {
    const unknown = sha256(`${QUERY} # ${randomBytes(4).toString('hex')}`);
    const answer = await client.post(tenantA.key, {
      hash: unknown,
      variables: { u: tenantA.userId },
    });
    expect(answer.status).toBe(404);
    // Apollo's PersistedQueryLink looks for either; urql's persistedExchange for the message.
    expect(answer.body.errors?.[0]?.message).toBe('PersistedQueryNotFound');
    expect(codeOf(answer.body)).toBe('PERSISTED_QUERY_NOT_FOUND');
    const viaGet = await client.get(tenantA.key, {
      hash: unknown,
      variables: { u: tenantA.userId },
    });
    expect(viaGet.status).toBe(404);
    expect(codeOf(viaGet.body)).toBe('PERSISTED_QUERY_NOT_FOUND');
  });

  it('registers a text sent with its hash; the hash alone then runs it, then hits', async () => {
    const registered = await client.post(tenantA.key, {
      query: OTHER,
      hash: sha256(OTHER),
      variables: { u: tenantA.userId },
    });
    expect(registered.status).toBe(200);
    expect(registered.body.data.user.name).toBe('Ana');
    expect(registered.cache).toBe('MISS');
    // Other variables: a miss that Yoga resolves through the store.
    const resolved = await client.post(tenantB.key, {
      hash: sha256(OTHER),
      variables: { u: tenantB.userId },
    });
    expect(resolved.status).toBe(200);
    expect(resolved.cache).toBe('MISS');
    expect(resolved.body.data.user.name).toBe('Bia');
    const hit = await client.post(tenantB.key, {
      hash: sha256(OTHER),
      variables: { u: tenantB.userId },
    });
    expect(hit.cache).toBe('HIT');
    expect(hit.body).toEqual(resolved.body);
  });

  it('keys the text and its hash alike: a hash alone hits the entry the text stored', async () => {
    const first = await client.post(tenantA.key, {
      query: QUERY,
      variables: { u: tenantA.userId },
      operationName: 'Profile',
    });
    expect(first.cache).toBe('MISS');
    // Registered under other variables, so the entry of the first request stays the only one.
    await client.post(tenantA.key, { query: QUERY, hash: HASH, variables: { u: 'none' } });
    const lookups = countApqLookups(app);
    const hit = await client.post(tenantA.key, {
      hash: HASH,
      variables: { u: tenantA.userId },
      operationName: 'Profile',
    });
    expect(hit.status).toBe(200);
    expect(hit.cache).toBe('HIT');
    expect(hit.body).toEqual(first.body);
    expect(hit.etag).toBe(first.etag);
    // The hit path keys the hash itself; Yoga's path resolves the text first.
    expect(lookups.gets).toBe(app.via === 'http' ? 0 : 1);
  });

  it('answers a GET with the hash alone from the cache, with its ETag', async () => {
    const variables = { u: tenantA.userId };
    const first = await client.get(tenantA.key, {
      hash: HASH,
      variables,
      operationName: 'Profile',
    });
    expect(first.status).toBe(200);
    const hit = await client.get(tenantA.key, { hash: HASH, variables, operationName: 'Profile' });
    expect(hit.cache).toBe('HIT');
    expect(hit.body.data.user.name).toBe('Ana');
    expect(hit.etag).toMatch(/^"[\w-]{27}"$/);
    if (app.via !== 'http') return; // 304s are the hit path's
    const stats = async () =>
      (
        await app.execute(
          '{ cacheStats { hits byOperation { operationName hits } } }',
          {},
          OPS_TOKEN,
        )
      ).data.cacheStats;
    const before = await stats();
    const revalidated = await client.get(
      tenantA.key,
      { hash: HASH, variables, operationName: 'Profile' },
      { 'if-none-match': hit.etag as string },
    );
    expect(revalidated.status).toBe(304);
    const after = await stats();
    expect(after.hits).toBe(before.hits + 1);
    const profile = (s: typeof before) =>
      s.byOperation.find((o: { operationName: string }) => o.operationName === 'Profile')?.hits;
    expect(profile(after)).toBe(profile(before) + 1);
  });

  it('refuses a text with another text’s hash: 400 PERSISTED_QUERY_MISMATCH, even when cached', async () => {
    // The text alone is cached (previous tests); paired with a wrong hash it's never served.
    const answer = await client.post(tenantA.key, {
      query: QUERY,
      hash: sha256(OTHER),
      variables: { u: tenantA.userId },
    });
    expect(answer.status).toBe(400);
    expect(codeOf(answer.body)).toBe('PERSISTED_QUERY_MISMATCH');
    expect(answer.cache).not.toBe('HIT');
    // And the wrong hash was not registered for the text.
    const other = await client.post(tenantA.key, {
      hash: sha256(OTHER),
      variables: { u: tenantA.userId },
    });
    expect(Object.keys(other.body.data.user)).toEqual(['name']);
  });

  it('shares documents between tenants, never responses', async () => {
    // A's response for A's user is cached; B naming that user gets no entry of A's.
    const fromB = await client.post(tenantB.key, {
      hash: HASH,
      variables: { u: tenantA.userId },
      operationName: 'Profile',
    });
    expect(fromB.cache).not.toBe('HIT');
    expect(JSON.stringify(fromB.body)).not.toContain('Ana');
    expect(codeOf(fromB.body)).toBe('NOT_FOUND');
    const own = await client.post(tenantB.key, {
      hash: HASH,
      variables: { u: tenantB.userId },
      operationName: 'Profile',
    });
    expect(own.status).toBe(200);
    expect(own.body.data.user.name).toBe('Bia');
  });

  it('answers 401 before any lookup and registers nothing without a valid key', async () => {
    const text = `query Anonymous { __typename } # ${randomBytes(4).toString('hex')}`;
    for (const key of [null, 'hp_test_not_a_key']) {
      const anonymous = await client.post(key, { query: text, hash: sha256(text) });
      expect(anonymous.status).toBe(401);
      expect(codeOf(anonymous.body)).toBe('UNAUTHENTICATED');
      const hashOnly = await client.get(key, { hash: sha256(text), variables: {} });
      expect(hashOnly.status).toBe(401);
    }
    const later = await client.post(tenantA.key, { hash: sha256(text) });
    expect(codeOf(later.body)).toBe('PERSISTED_QUERY_NOT_FOUND');
  });

  it('registers no text over LIMIT_TOKENS; the limit answers it as any request', async () => {
    const text = `query Big { ${'__typename '.repeat(1_200)} }`;
    const answer = await client.post(tenantA.key, { query: text, hash: sha256(text) });
    expect(answer.status).toBe(400);
    expect(codeOf(answer.body)).toBe('LIMIT_EXCEEDED');
    const later = await client.post(tenantA.key, { hash: sha256(text) });
    expect(codeOf(later.body)).toBe('PERSISTED_QUERY_NOT_FOUND');
  });

  it('runs a document sent by its hash under every limit, as if its text had come', async () => {
    const aliases = Array.from({ length: 31 }, (_, i) => `a${i}: __typename`).join(' ');
    const text = `query Aliased { ${aliases} }`;
    const registered = await client.post(tenantA.key, { query: text, hash: sha256(text) });
    expect(registered.body.errors?.[0]?.extensions).toMatchObject({
      code: 'LIMIT_EXCEEDED',
      limit: 'aliases',
    });
    // It parses within LIMIT_TOKENS, so it was registered; by its hash it is refused the same.
    const byHash = await client.post(tenantA.key, { hash: sha256(text) });
    expect(byHash.status).toBe(registered.status);
    expect(byHash.body.errors?.[0]?.extensions).toMatchObject({
      code: 'LIMIT_EXCEEDED',
      limit: 'aliases',
    });
  });

  it('lets operators use persisted queries too, uncached', async () => {
    const text = `query Ops { __typename } # ${randomBytes(4).toString('hex')}`;
    await client.post(OPS_TOKEN, { query: text, hash: sha256(text) });
    for (let i = 0; i < 2; i++) {
      const answer = await client.post(OPS_TOKEN, { hash: sha256(text) });
      expect(answer.status).toBe(200);
      expect(answer.body.data).toEqual({ __typename: 'Query' });
      expect(answer.cache).toBe('BYPASS');
    }
  });
});

describe('persisted queries across instances sharing Redis', () => {
  const prefix = `hp-test-apq-${randomBytes(4).toString('hex')}`;
  let a: TestApp;
  let b: TestApp;
  let raw: Redis;
  beforeAll(async () => {
    a = await buildTestApp('sqlite', { cache: sharedRedisCache({ prefix, apqTtlSeconds: 600 }) });
    // One database, one Redis: two instances of one deployment.
    b = await buildTestApp('sqlite', { db: a.db, cache: sharedRedisCache({ prefix }) });
    raw = new Redis(sharedRedisUrl());
  });
  afterAll(async () => {
    await b.close();
    await a.close();
    let cursor = '0';
    do {
      const [next, keys] = await raw.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await raw.unlink(...keys);
    } while (cursor !== '0');
    raw.disconnect();
  });

  it('sees on one instance a hash registered on the other; the key expires', async () => {
    const text = `query Shared($u: ID!) { user(id: $u) { name } } # ${randomBytes(4).toString('hex')}`;
    const hash = sha256(text);
    const { tenant, key } = await a.createTenant();
    const user = await a.createUser(tenant.id, 'Duda');
    const registered = await clientOf(a).post(key, { query: text, hash, variables: { u: 'x' } });
    expect(codeOf(registered.body)).toBe('NOT_FOUND');
    const onB = await clientOf(b).post(key, { hash, variables: { u: user.id } });
    expect(onB.status).toBe(200);
    expect(onB.cache).toBe('MISS');
    expect(onB.body.data.user.name).toBe('Duda');
    // a's hash alone hits the entry b stored.
    const onA = await clientOf(a).post(key, { hash, variables: { u: user.id } });
    expect(onA.cache).toBe('HIT');
    expect(onA.body).toEqual(onB.body);
    // Under CACHE_PREFIX, its own Cluster hash tag, with the TTL (APQ_TTL) of the instance
    // that registered it.
    const stored = `${prefix}:apq:{${hash}}`;
    expect(await raw.get(stored)).toBe(text);
    const ttl = await raw.ttl(stored);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(600);
  });
});

describe('persisted queries when Redis fails', () => {
  it('answers PERSISTED_QUERY_NOT_FOUND, then serves the text the client sends', async () => {
    const redis = await startRedisServer();
    const app = await buildTestApp('sqlite', {
      cache: { backend: 'REDIS', redisUrl: redis.url, timeoutMs: 200 },
    });
    try {
      const client = clientOf(app);
      const { tenant, key } = await app.createTenant();
      const user = await app.createUser(tenant.id, 'Cris');
      const variables = { u: user.id };
      const registered = await client.post(key, { query: QUERY, hash: HASH, variables });
      expect(registered.body.data.user.name).toBe('Cris');
      await redis.stop();
      const hashOnly = await client.post(key, { hash: HASH, variables });
      expect(hashOnly.status).toBe(404);
      expect(codeOf(hashOnly.body)).toBe('PERSISTED_QUERY_NOT_FOUND');
      const retried = await client.post(key, { query: QUERY, hash: HASH, variables });
      expect(retried.status).toBe(200);
      expect(retried.body.data.user.name).toBe('Cris');
      expect(retried.cache).toBe('BYPASS');
    } finally {
      await app.close();
      await redis.stop();
    }
  });
});

describe('the in-process APQ store', () => {
  it('keeps at most APQ_MAX_ENTRIES documents, the most recently used', async () => {
    const store = createApqStore({ redis: null, prefix: 'x', ttlSeconds: 60, maxEntries: 2 });
    await store.set('a', 'query A { __typename }', 't');
    await store.set('b', 'query B { __typename }', 't');
    expect(await store.get('a')).toBe('query A { __typename }');
    await store.set('c', 'query C { __typename }', 't');
    expect(await store.get('b')).toBeNull();
    expect(await store.get('a')).not.toBeNull();
    expect(await store.get('c')).not.toBeNull();
  });
});

import { request as httpRequest } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryStore } from '../../src/cache/store/memory-store.js';
import type { ResponseStore } from '../../src/cache/store/store.js';
import { buildTestApp, OPS_TOKEN, sharedRedisCache, type TestApp } from '../support/app.js';
import { rawPost } from '../support/http.js';

/**
 * The node:http hit path (DESIGN §1, §10) answers exactly what Yoga's path answers for the same
 * hit, plus HTTP revalidation; the cache suites also run through it (vitest.config.ts).
 */

const QUERY = 'query Profile($u: ID!) { user(id: $u) { id name plan services { name } } }';

/** A memory store that counts lookups. */
function countingStore() {
  const store = createMemoryStore({ maxEntries: 1_000 });
  const counts = { lookups: 0 };
  const counted: ResponseStore = Object.create(store, {
    lookup: {
      value: (scope: string, key: string) => {
        counts.lookups++;
        return store.lookup(scope, key);
      },
    },
  });
  return { store: counted, counts };
}

const HEADERS = [
  'content-type',
  'etag',
  'cache-control',
  'vary',
  'x-cache',
  'access-control-allow-origin',
  'access-control-allow-credentials',
];
const headersOf = (response: Response) =>
  Object.fromEntries(HEADERS.map((h) => [h, response.headers.get(h)?.replace(/\s/g, '') ?? null]));

describe.each([
  ['memory', { backend: 'MEMORY' as const }],
  ['Redis', sharedRedisCache()],
])('the hit path on %s', (_name, cache) => {
  let app: TestApp;
  let key: string;
  let userId: string;
  beforeAll(async () => {
    app = await buildTestApp('sqlite', { cache, via: 'http' });
    const tenant = await app.createTenant();
    key = tenant.key;
    userId = (await app.createUser(tenant.tenant.id, 'Rita')).id;
  });
  afterAll(() => app.close());

  const post = (headers: Record<string, string> = {}, variables = { u: userId }) => ({
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, ...headers },
    body: JSON.stringify({ query: QUERY, variables }),
  });

  it.each([
    ['no Accept', {}],
    ['application/json', { accept: 'application/json' }],
    ['graphql-response+json', { accept: 'application/graphql-response+json' }],
    ['both', { accept: 'application/graphql-response+json, application/json;q=0.9' }],
    ['*/*', { accept: '*/*' }],
    ['an Origin', { origin: 'https://dash.example' }],
  ])('answers a hit with %s as Yoga does', async (_what, headers) => {
    // The key doesn't depend on these headers: the first of these cases stores the entry.
    const first = await app.request('/graphql', post(headers));
    const missBody = await first.text();
    const fast = await app.request('/graphql', post(headers));
    const slow = await app.yoga.fetch(
      new Request('http://hotpath.test/graphql', post(headers) as RequestInit),
    );
    expect(fast.status).toBe(200);
    expect(headersOf(fast)).toEqual(headersOf(slow));
    expect(fast.headers.get('x-cache')).toBe('HIT');
    expect(fast.headers.get('etag')).toBe(first.headers.get('etag'));
    expect(fast.headers.get('server-timing')).toMatch(/^cache;desc="HIT";dur=\d+\.\d+$/);
    const body = await fast.text();
    expect(body).toBe(await slow.text());
    expect(body).toBe(missBody);
  });

  it('answers GET ?query= from the cache too', async () => {
    const search = new URLSearchParams({
      query: QUERY,
      variables: JSON.stringify({ u: userId }),
    });
    const get = () =>
      app.request(`/graphql?${search}`, {
        headers: { authorization: `Bearer ${key}`, accept: 'application/json' },
      });
    await get();
    const hit = await get();
    expect(hit.headers.get('x-cache')).toBe('HIT');
    expect(((await hit.json()) as any).data.user.name).toBe('Rita');
  });

  it('answers If-None-Match with 304 and no body, counted as a hit', async () => {
    const first = await app.request('/graphql', post());
    const etag = first.headers.get('etag') as string;
    expect(etag).toMatch(/^"[\w-]{27}"$/);
    const stats = async () =>
      (await app.execute('{ cacheStats { hits } }', {}, OPS_TOKEN)).data.cacheStats.hits;
    const before = await stats();
    const revalidated = await app.request('/graphql', post({ 'if-none-match': etag }));
    expect(revalidated.status).toBe(304);
    expect(await revalidated.text()).toBe('');
    expect(revalidated.headers.get('etag')).toBe(etag);
    expect(await stats()).toBe(before + 1);
    const other = await app.request('/graphql', post({ 'if-none-match': '"not-it"' }));
    expect(other.status).toBe(200);
  });

  it('leaves 401s, operators and malformed requests to Yoga', async () => {
    const anonymous = await app.request('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: QUERY, variables: { u: userId } }),
    });
    expect(anonymous.status).toBe(401);
    const operator = await app.request('/graphql', post({ authorization: `Bearer ${OPS_TOKEN}` }));
    expect(operator.headers.get('x-cache')).toBe('BYPASS');
    const malformed = await app.request('/graphql', { ...post(), body: '{"query": ' });
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as any).errors[0].extensions.code).toBe('BAD_REQUEST');
  });

  it('refuses a body over LIMIT_BODY_BYTES with 413 before reading it', async () => {
    const big = await app.request('/graphql', {
      ...post(),
      body: JSON.stringify({ query: `{ ${'a: __typename '.repeat(100_000)} }` }),
    });
    expect(big.status).toBe(413);
    expect(((await big.json()) as any).errors[0].extensions).toMatchObject({
      code: 'LIMIT_EXCEEDED',
      limit: 'bodyBytes',
    });
  });
});

describe('the hit path hands its lookup over', () => {
  it('asks the store once per request, hit or miss', async () => {
    const { store, counts } = countingStore();
    const app = await buildTestApp('sqlite', { cache: { backend: 'MEMORY' }, store, via: 'http' });
    try {
      const { tenant, key } = await app.createTenant();
      const user = await app.createUser(tenant.id);
      counts.lookups = 0;
      const miss = await app.execute(QUERY, { u: user.id }, key);
      expect(miss.headers.get('x-cache')).toBe('MISS');
      expect(counts.lookups).toBe(1);
      const hit = await app.execute(QUERY, { u: user.id }, key);
      expect(hit.headers.get('x-cache')).toBe('HIT');
      expect(counts.lookups).toBe(2);
    } finally {
      await app.close();
    }
  });

  it('leaves a hit it fails to write to Yoga, once, for a POST and a GET', async () => {
    // The hit path's first lookup per request finds an entry whose body can't be read: its
    // answer throws after the lookup came back (the store's promise), and Yoga answers instead,
    // once, with the store's real answer.
    const store = createMemoryStore({ maxEntries: 1_000 });
    let broken = 0;
    const brokenBody = {
      get etag(): string {
        throw new Error('unreadable entry');
      },
    };
    let pending = false;
    const flaky: ResponseStore = Object.create(store, {
      lookup: {
        value: async (scope: string, key: string) => {
          if (pending) {
            pending = false;
            broken++;
            return { hit: true, body: brokenBody, tags: [], ttlMs: 1_000 };
          }
          return store.lookup(scope, key);
        },
      },
    });
    const app = await buildTestApp('sqlite', {
      cache: { backend: 'MEMORY' },
      store: flaky,
      via: 'http',
    });
    try {
      const { tenant, key } = await app.createTenant();
      const user = await app.createUser(tenant.id, 'Rita');
      await app.execute(QUERY, { u: user.id }, key);
      const body = JSON.stringify({ query: QUERY, variables: { u: user.id } });
      const auth = { authorization: `Bearer ${key}` };
      pending = true;
      const posted = await rawPost(app.baseUrl, body, auth);
      expect(broken).toBe(1);
      expect(posted.status).toBe(200);
      expect(JSON.parse(posted.body.toString('utf8')).data.user.name).toBe('Rita');
      const search = new URLSearchParams({
        query: QUERY,
        variables: JSON.stringify({ u: user.id }),
      });
      pending = true;
      const got = await fetch(`${app.baseUrl}/graphql?${search}`, {
        headers: { ...auth, accept: 'application/json' },
      });
      expect(broken).toBe(2);
      expect(got.status).toBe(200);
      expect(((await got.json()) as any).data.user.name).toBe('Rita');
    } finally {
      await app.close();
    }
  });

  it('refuses a chunked body once it passes the limit', async () => {
    const app = await buildTestApp('sqlite', {
      cache: { backend: 'MEMORY' },
      via: 'http',
      limits: { bodyBytes: 1_000 },
    });
    try {
      const { port } = new URL(app.baseUrl);
      const status = await new Promise<number>((resolve, reject) => {
        const req = httpRequest(
          {
            port,
            method: 'POST',
            path: '/graphql',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${OPS_TOKEN}` },
          },
          (res) => resolve(res.statusCode ?? 0),
        );
        req.on('error', reject);
        for (let i = 0; i < 10; i++) req.write(' '.repeat(500));
        req.end('{}');
      });
      expect(status).toBe(413);
    } finally {
      await app.close();
    }
  });

  it('adds extensions.cache to hits under CACHE_DEBUG, as the Yoga path does', async () => {
    const app = await buildTestApp('sqlite', {
      cache: { backend: 'MEMORY', debug: true },
      via: 'http',
    });
    try {
      const { tenant, key } = await app.createTenant();
      const user = await app.createUser(tenant.id);
      await app.execute(QUERY, { u: user.id }, key);
      const hit = await app.execute(QUERY, { u: user.id }, key);
      expect(hit.headers.get('x-cache')).toBe('HIT');
      expect((hit.body as any).extensions.cache).toMatchObject({
        hit: true,
        tags: expect.arrayContaining([`User:${user.id}`]),
      });
    } finally {
      await app.close();
    }
  });
});

describe.each([
  ['memory', { backend: 'MEMORY' as const }],
  ['Redis', sharedRedisCache()],
])('entries stored compressed on %s (CACHE_COMPRESS_MIN_BYTES)', (_name, cache) => {
  let app: TestApp;
  let body: string;
  let auth: Record<string, string>;
  beforeAll(async () => {
    // Small enough that this profile is stored gzipped.
    app = await buildTestApp('sqlite', { cache: { ...cache, compressMinBytes: 64 }, via: 'http' });
    const tenant = await app.createTenant();
    auth = { authorization: `Bearer ${tenant.key}` };
    const user = await app.createUser(tenant.tenant.id, 'Rita');
    // Repetitive, so that gzip makes it smaller (an incompressible body is stored as it is).
    const aliases = Array.from({ length: 8 }, (_, i) => `u${i}: user(id: $u) { id name plan }`);
    body = JSON.stringify({
      query: `query Profiles($u: ID!) { user(id: $u) { id name plan } ${aliases.join(' ')} }`,
      variables: { u: user.id },
    });
  });
  afterAll(() => app.close());

  it('serves the stored gzip to clients that accept it, and the JSON to the others', async () => {
    const miss = await rawPost(app.baseUrl, body, auth);
    expect(miss.headers['x-cache']).toBe('MISS');
    const json = miss.body.toString('utf8');
    expect(JSON.parse(json).data.user.name).toBe('Rita');

    const gzipped = await rawPost(app.baseUrl, body, { ...auth, 'accept-encoding': 'gzip, br' });
    expect(gzipped.headers).toMatchObject({
      'x-cache': 'HIT',
      'content-encoding': 'gzip',
      vary: 'Authorization, Accept-Encoding',
      etag: `${String(miss.headers.etag).slice(0, -1)}-gzip"`,
    });
    expect(Number(gzipped.headers['content-length'])).toBe(gzipped.body.length);
    expect(gunzipSync(gzipped.body).toString('utf8')).toBe(json);

    const refusals: Record<string, string>[] = [
      {},
      { 'accept-encoding': 'br' },
      { 'accept-encoding': 'gzip;q=0' },
    ];
    for (const refusing of refusals) {
      const plain = await rawPost(app.baseUrl, body, { ...auth, ...refusing });
      expect(plain.headers['x-cache']).toBe('HIT');
      expect(plain.headers['content-encoding']).toBeUndefined();
      expect(plain.headers.etag).toBe(miss.headers.etag);
      expect(plain.body.toString('utf8')).toBe(json);
    }
  });

  it('revalidates each representation against its own ETag', async () => {
    const first = await rawPost(app.baseUrl, body, { ...auth, 'accept-encoding': 'gzip' });
    const gzipTag = String(first.headers.etag);
    expect(gzipTag).toMatch(/-gzip"$/);
    const identityTag = `${gzipTag.slice(0, -'-gzip"'.length)}"`;
    const notModified = await rawPost(app.baseUrl, body, {
      ...auth,
      'accept-encoding': 'gzip',
      'if-none-match': `"other", W/${gzipTag}`,
    });
    expect(notModified.status).toBe(304);
    expect(notModified.body.length).toBe(0);
    // The identity tag names the other representation: the gzip one is sent in full.
    const full = await rawPost(app.baseUrl, body, {
      ...auth,
      'accept-encoding': 'gzip',
      'if-none-match': identityTag,
    });
    expect(full.status).toBe(200);
    expect(full.headers['content-encoding']).toBe('gzip');
    const identity = await rawPost(app.baseUrl, body, { ...auth, 'if-none-match': identityTag });
    expect(identity.status).toBe(304);
  });

  it("answers Yoga's path with the same JSON (inflated)", async () => {
    const hit = await app.yoga.fetch(
      new Request('http://hotpath.test/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...auth },
        body,
      }),
    );
    expect(hit.headers.get('x-cache')).toBe('HIT');
    expect(((await hit.json()) as any).data.user.name).toBe('Rita');
  });
});

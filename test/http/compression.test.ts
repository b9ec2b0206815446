import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CacheConfig } from '../../src/config.js';
import { buildTestApp, sharedRedisCache, type TestApp } from '../support/app.js';

/**
 * Compression, done once (issue 8): a body of CACHE_COMPRESS_MIN_BYTES or more is stored
 * gzipped; a hit sends it as stored to clients that take gzip and inflates it for the others.
 * test/http/hit-path.test.ts has the representations, their ETags and 304s; this file has how
 * Accept-Encoding is read and where the threshold stands. app.request goes through node:http
 * and adds no Accept-Encoding (fetch would, and inflate).
 */

const QUERY = 'query Profile($u: ID!) { user(id: $u) { id name plan services { name } } }';
const THRESHOLD = 512;

describe.each([
  ['memory', { backend: 'MEMORY' as const, compressMinBytes: THRESHOLD }],
  ['Redis', sharedRedisCache({ compressMinBytes: THRESHOLD })],
])('compressed entries on %s', (_name, cache) => {
  let app: TestApp;
  let key: string;
  /** A user whose profile is over the threshold, and one whose profile is under it. */
  let large: string;
  let small: string;
  /** What the MISS that stored the large profile answered: its JSON, and the JSON's ETag. */
  let json: Buffer;
  let etag: string;
  beforeAll(async () => {
    app = await buildTestApp('sqlite', { cache, via: 'http' });
    const tenant = await app.createTenant();
    key = tenant.key;
    large = (await app.createUser(tenant.tenant.id, 'Rita '.repeat(200).trim())).id;
    small = (await app.createUser(tenant.tenant.id, 'Ana')).id;
    const miss = await post(large);
    expect(miss.headers.get('x-cache')).toBe('MISS');
    json = await bytes(miss);
    expect(json.length).toBeGreaterThan(THRESHOLD);
    etag = miss.headers.get('etag') as string;
  });
  afterAll(() => app.close());

  const post = (userId: string, headers: Record<string, string> = {}) =>
    app.request('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, ...headers },
      body: JSON.stringify({ query: QUERY, variables: { u: userId } }),
    });
  const bytes = async (response: Response) => Buffer.from(await response.arrayBuffer());

  it.each([
    ['gzip', true],
    ['GZIP;q=0.5', true],
    ['x-gzip', true],
    ['*', true],
    ['br, *;q=0.1', true],
    ['*;q=0, gzip', true],
    ['gzip;q=0', false],
    ['gzip;q=0, *', false],
    ['identity', false],
    ['br, deflate', false],
  ])('reads Accept-Encoding: %s as taking gzip: %s', async (header, gzip) => {
    const hit = await post(large, { 'accept-encoding': header });
    expect(hit.headers.get('x-cache')).toBe('HIT');
    expect(hit.headers.get('content-encoding')).toBe(gzip ? 'gzip' : null);
    expect(hit.headers.get('etag')).toBe(gzip ? `${etag.slice(0, -1)}-gzip"` : etag);
    const body = await bytes(hit);
    expect((gzip ? gunzipSync(body) : body).equals(json)).toBe(true);
  });

  it('stores a body under the threshold as it is, whatever the client takes', async () => {
    const miss = await post(small, { 'accept-encoding': 'gzip' });
    expect(miss.headers.get('x-cache')).toBe('MISS');
    const text = await bytes(miss);
    expect(text.length).toBeLessThan(THRESHOLD);
    const hit = await post(small, { 'accept-encoding': 'gzip' });
    expect(hit.headers.get('x-cache')).toBe('HIT');
    expect(hit.headers.get('content-encoding')).toBeNull();
    expect((await bytes(hit)).equals(text)).toBe(true);
    expect(hit.headers.get('etag')).toBe(miss.headers.get('etag'));
    expect(hit.headers.get('vary')).toBe('Authorization');
  });
});

/**
 * A memory-cached app with these settings, one tenant and a user named `name`, and `post()`
 * asking for that user's profile with `Accept-Encoding: gzip`; closed after `run`.
 */
async function withProfile(
  cache: Partial<CacheConfig>,
  name: string,
  run: (post: () => Promise<Response>, userId: string) => Promise<void>,
) {
  const app = await buildTestApp('sqlite', { cache: { backend: 'MEMORY', ...cache }, via: 'http' });
  try {
    const { tenant, key } = await app.createTenant();
    const user = await app.createUser(tenant.id, name);
    const post = () =>
      app.request('/graphql', {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${key}`,
          'accept-encoding': 'gzip',
        },
        body: JSON.stringify({ query: QUERY, variables: { u: user.id } }),
      });
    await run(post, user.id);
  } finally {
    await app.close();
  }
}

describe('CACHE_COMPRESS_MIN_BYTES=0', () => {
  it('never compresses', () =>
    withProfile({ compressMinBytes: 0 }, 'Rita '.repeat(2_000).trim(), async (post) => {
      const miss = Buffer.from(await (await post()).arrayBuffer());
      expect(miss.length).toBeGreaterThan(8_192);
      const hit = await post();
      expect(hit.headers.get('x-cache')).toBe('HIT');
      expect(hit.headers.get('content-encoding')).toBeNull();
      expect(Buffer.from(await hit.arrayBuffer()).equals(miss)).toBe(true);
      expect(hit.headers.get('vary')).toBe('Authorization');
    }));
});

describe('CACHE_DEBUG with a compressed entry', () => {
  it('sends the JSON with extensions.cache and its own ETag, never the gzip tag', () =>
    withProfile(
      { compressMinBytes: THRESHOLD, debug: true },
      'Rita '.repeat(200).trim(),
      async (post, userId) => {
        const miss = await post();
        const etag = miss.headers.get('etag');
        await miss.arrayBuffer();
        const hit = await post();
        expect(hit.headers.get('x-cache')).toBe('HIT');
        expect(hit.headers.get('content-encoding')).toBeNull();
        expect(hit.headers.get('etag')).toBe(etag);
        const body = JSON.parse(Buffer.from(await hit.arrayBuffer()).toString('utf8'));
        expect(body.extensions.cache).toMatchObject({ hit: true });
        expect(body.data.user.id).toBe(userId);
      },
    ));
});

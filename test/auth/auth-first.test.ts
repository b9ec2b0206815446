import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashApiKey } from '../../src/db/api-keys.js';
import { buildTestApp, codes, OPS_TOKEN, type TestApp } from '../support/app.js';

// Issue 14, "Authenticate before anything else": a request without a valid key gets its 401
// before its body is parsed as GraphQL, validated, hashed or stored (APQ included), on both
// paths: the node:http front (`http`) and Yoga's own (`yoga`, in process).

const CACHE_HEADERS = ['x-cache', 'server-timing', 'etag', 'cache-control'];
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe.each(['yoga', 'http'] as const)('authentication first, via %s', (via) => {
  let app: TestApp;
  let key: string;

  beforeAll(async () => {
    app = await buildTestApp('sqlite', { via, cache: { backend: 'MEMORY' } });
    key = (await app.createTenant('Keyed')).key;
  });
  afterAll(() => app?.close());

  const post = (body: string, headers: Record<string, string> = {}) =>
    app.request('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });

  async function expectRefused(res: Response, message: string) {
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
    for (const header of CACHE_HEADERS) expect(res.headers.get(header), header).toBeNull();
    const body = (await res.json()) as {
      errors: { message: string; extensions?: { code?: string } }[];
    };
    expect(codes(body)).toEqual(['UNAUTHENTICATED']);
    expect(body.errors[0].message).toBe(message);
  }

  it('answers 401 before validation: no schema hints for strangers', async () => {
    const document = JSON.stringify({ query: '{ cacheStat }' });
    await expectRefused(await post(document), 'Send an API key: Authorization: Bearer <key>.');
    await expectRefused(
      await post(document, { authorization: 'Bearer hp_not_a_key' }),
      'Unknown API key.',
    );
    await expectRefused(await post(document, { authorization: 'Basic abc' }), 'Unknown API key.');
    // With a key the same document is judged: Yoga's validation answers.
    const keyed = await post(document, { authorization: `Bearer ${key}` });
    expect(keyed.status).not.toBe(401);
  });

  it('answers 401 before the parse: a body that is not even JSON, or not GraphQL', async () => {
    for (const body of ['{{{ not json', JSON.stringify({ query: '{{{' }), '[]', '"x"']) {
      await expectRefused(await post(body), 'Send an API key: Authorization: Bearer <key>.');
    }
    const search = new URLSearchParams({ query: '{ cacheStat }' });
    await expectRefused(
      await app.request(`/graphql?${search}`, { headers: { accept: 'application/json' } }),
      'Send an API key: Authorization: Bearer <key>.',
    );
  });

  it('answers 401 on every URL Yoga would serve GraphQL at, not only /graphql', async () => {
    const document = JSON.stringify({ query: '{ cacheStat }' });
    for (const path of ['//graphql', '/graphql/', '/x/graphql', '/nothing?next=/graphql']) {
      const res = await app.request(path, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: document,
      });
      expect(res.status, path).toBe(401);
      expect(codes(await res.json()), path).toEqual(['UNAUTHENTICATED']);
    }
  });

  it('registers no persisted query for a stranger', async () => {
    const query = `query StrangerOnly { stores { id } }`;
    const hash = sha256(query);
    const extensions = { persistedQuery: { version: 1, sha256Hash: hash } };
    await expectRefused(
      await post(JSON.stringify({ query, extensions })),
      'Send an API key: Authorization: Bearer <key>.',
    );
    const byHash = await post(JSON.stringify({ extensions }), { authorization: `Bearer ${key}` });
    expect(codes(await byHash.json())).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
  });

  it('answers an unknown key from memory the second time: no database query', async () => {
    const bad = `Bearer hp_flood_${via}_0123456789abcdef`;
    const keyQueries = () => app.counter.statements.filter((s) => /key_hash"?\s*=/.test(s)).length;
    app.counter.reset();
    await expectRefused(await post('{}', { authorization: bad }), 'Unknown API key.');
    expect(keyQueries()).toBe(1);
    for (let i = 0; i < 5; i++) {
      await expectRefused(await post('{}', { authorization: bad }), 'Unknown API key.');
    }
    expect(keyQueries()).toBe(1);
    // Both tables are measured (read from the registry: /metrics may want a token).
    const metrics = await app.app.cache.stats.registry.metrics();
    expect(metrics).toMatch(/^hotpath_auth_unknown_keys [1-9]\d*$/m);
    expect(metrics).toMatch(/^hotpath_auth_keys \d+$/m);
  });

  it('answers a known key from memory: no query for it, nor for its last use, on the way', async () => {
    const send = () =>
      post(JSON.stringify({ query: '{ stores { id } }' }), {
        authorization: `Bearer ${key}`,
      });
    await send();
    expect((await send()).headers.get('x-cache')).toBe('HIT');
    app.counter.reset();
    for (let i = 0; i < 5; i++) expect((await send()).headers.get('x-cache')).toBe('HIT');
    // The revocation poll reads api_keys in the background (counted apart); nothing else may.
    expect(app.counter.statements.filter((s) => s.includes('api_keys'))).toEqual([]);
  });

  it('never refuses a key created on this instance because it was tried before', async () => {
    const authenticate = app.app.auth.authenticate;
    const { tenant } = await app.createTenant('Later');
    const early = 'hp_tried_before_it_existed_000000';
    expect(await authenticate(`Bearer ${early}`)).toBeNull();
    await app.db.query(
      "INSERT INTO api_keys (id, tenant_id, key_hash, created_at) VALUES ('tried', ?, ?, 0)",
      [tenant.id, hashApiKey(early)],
    );
    // createApiKey tells the table (its keys are random; this one is planted to prove the hook).
    authenticate.created(hashApiKey(early));
    expect(await authenticate(`Bearer ${early}`)).toMatchObject({ tenantId: tenant.id });
  });

  it('answers 415 to a POST that is not JSON, once the key is known (401 before it)', async () => {
    const bodies: [string | undefined, string][] = [
      ['application/x-www-form-urlencoded', 'query=%7B__typename%7D'],
      ['multipart/form-data; boundary=x', '--x\r\n\r\n{}\r\n--x--'],
      ['text/plain', '{"query":"{ __typename }"}'],
      ['application/graphql', '{ __typename }'],
      [undefined, '{"query":"{ __typename }"}'],
    ];
    for (const [type, body] of bodies) {
      const headers: Record<string, string> = { authorization: `Bearer ${key}` };
      if (type) headers['content-type'] = type;
      const res = await app.request('/graphql', { method: 'POST', headers, body });
      expect(res.status, String(type)).toBe(415);
      expect(codes(await res.json())).toEqual(['UNSUPPORTED_MEDIA_TYPE']);
      for (const header of CACHE_HEADERS) expect(res.headers.get(header), header).toBeNull();
      const stranger = await app.request('/graphql', {
        method: 'POST',
        headers: type ? { 'content-type': type } : {},
        body,
      });
      expect(stranger.status, String(type)).toBe(401);
    }
    // JSON still works, with the charset and Yoga's own media type.
    for (const type of ['application/json; charset=utf-8', 'application/graphql+json']) {
      const res = await post(JSON.stringify({ query: '{ __typename }' }), {
        'content-type': type,
        authorization: `Bearer ${OPS_TOKEN}`,
      });
      expect(res.status, type).toBe(200);
    }
  });

  it("refuses a browser's request with CORS headers, so the page can read why", async () => {
    const res = await post('{}', { origin: 'https://app.example' });
    expect(res.status).toBe(401);
    expect(res.headers.get('access-control-allow-origin')).toBe('https://app.example');
  });

  it('lets CORS preflights and the other routes through without a key', async () => {
    const preflight = await app.request('/graphql', {
      method: 'OPTIONS',
      headers: {
        origin: 'https://app.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type',
      },
    });
    expect(preflight.status).toBeLessThan(300);
    for (const path of ['/livez', '/health', '/readyz']) {
      expect((await app.request(path)).status, path).toBe(200);
    }
  });

  it('serves no GraphiQL page where GraphiQL is off: a stranger gets 401', async () => {
    const res = await app.request('/graphql', { headers: { accept: 'text/html' } });
    expect(res.status).toBe(401);
  });

  it('serves the GraphiQL page without a key where GraphiQL is on (development)', async () => {
    const dev = await buildTestApp('sqlite', { via, graphiql: { defaultHeaders: {} } });
    try {
      const res = await dev.request('/graphql', { headers: { accept: 'text/html' } });
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('<html');
      // The page only: a query still needs a key.
      const query = await dev.request('/graphql?query=%7B__typename%7D', {
        headers: { accept: 'application/json' },
      });
      expect(query.status).toBe(401);
    } finally {
      await dev.close();
    }
  });
});

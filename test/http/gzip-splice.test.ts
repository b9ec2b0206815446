/**
 * Issue 17: with budgets on, a hit of a gzipped entry carries extensions.cost without being
 * inflated: the stored open gzip member is written as it is, then a stored deflate block with
 * the cost and `}`, then the gzip trailer. Every client decodes it: node's gunzip, curl
 * --compressed and Chromium. Issue 19: a client that doesn't take gzip is answered from the
 * JSON kept beside the in-process copy, inflated once. Hits go through the node:http hit path
 * (via 'http'); test/cache/body.test.ts has the format itself.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUDGET_DEFAULTS } from '../../src/budget/budgets.js';
import { inflationCount } from '../../src/cache/store/body.js';
import type { CacheConfig } from '../../src/config.js';
import { buildTestApp, OPS_TOKEN, sharedRedisCache, type TestApp } from '../support/app.js';
import { launchChromium } from '../support/browser.js';

const run = promisify(execFile);
const QUERY = 'query Profile($u: ID!) { user(id: $u) { id name plan services { name } } }';
const THRESHOLD = 512;
const NAME = 'Rita '.repeat(200).trim();

interface Body {
  data?: { user: { id: string; name: string } };
  extensions?: {
    cost?: { requestedQueryCost: number; actualQueryCost: number | null };
    cache?: { hit: boolean };
  };
}

const CASES: [string, Partial<CacheConfig>, boolean][] = [
  ['memory, budgets on', { backend: 'MEMORY', compressMinBytes: THRESHOLD }, true],
  ['Redis, budgets on', sharedRedisCache({ compressMinBytes: THRESHOLD }), true],
  ['memory, budgets off', { backend: 'MEMORY', compressMinBytes: THRESHOLD }, false],
  ['Redis, budgets off', sharedRedisCache({ compressMinBytes: THRESHOLD }), false],
];

describe.each(CASES)('a gzipped entry on %s', (_name, cache, budgets) => {
  let app: TestApp;
  let key: string;
  let userId: string;
  let browser: Browser;
  /** The JSON's ETag, from the MISS that stored it. */
  let etag: string;

  beforeAll(async () => {
    app = await buildTestApp('sqlite', {
      cache,
      via: 'http',
      ...(budgets ? { budget: BUDGET_DEFAULTS } : {}),
    });
    const tenant = await app.createTenant();
    key = tenant.key;
    userId = (await app.createUser(tenant.tenant.id, NAME)).id;
    const miss = await post();
    expect(miss.headers.get('x-cache')).toBe('MISS');
    const json = Buffer.from(await miss.arrayBuffer());
    expect(json.length).toBeGreaterThan(THRESHOLD);
    etag = miss.headers.get('etag') as string;
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  const body = () => JSON.stringify({ query: QUERY, variables: { u: userId } });
  const post = (headers: Record<string, string> = {}) =>
    app.request('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, ...headers },
      body: body(),
    });

  /** What a decoded answer must hold: the profile, and the cost exactly when budgets are on. */
  function expectAnswer(decoded: Body) {
    expect(decoded.data?.user).toMatchObject({ id: userId, name: NAME });
    if (budgets) {
      expect(decoded.extensions?.cost).toMatchObject({ requestedQueryCost: 1, actualQueryCost: 1 });
    } else {
      expect(decoded.extensions).toBeUndefined();
    }
  }

  it('sends the stored gzip closed by its tail, inflating nothing on the server', async () => {
    const before = inflationCount();
    for (let i = 0; i < 3; i++) {
      const hit = await post({ 'accept-encoding': 'gzip' });
      expect(hit.headers.get('x-cache')).toBe('HIT');
      expect(hit.headers.get('content-encoding')).toBe('gzip');
      expect(hit.headers.get('etag')).toBe(`${etag.slice(0, -1)}-gzip"`);
      expect(hit.headers.get('vary')).toContain('Accept-Encoding');
      const bytes = Buffer.from(await hit.arrayBuffer());
      expect(Number(hit.headers.get('content-length'))).toBe(bytes.length);
      expectAnswer(JSON.parse(gunzipSync(bytes).toString('utf8')));
    }
    expect(inflationCount()).toBe(before);
  });

  it('answers a revalidation of the gzip representation with a 304, no body', async () => {
    const notModified = await post({
      'accept-encoding': 'gzip',
      'if-none-match': `W/${etag.slice(0, -1)}-gzip"`,
    });
    expect(notModified.status).toBe(304);
    expect(notModified.body).toBeNull();
  });

  it('answers a client without gzip from the JSON kept in process, inflated once', async () => {
    // The first plain hit (on Redis: the copy made by the gzip hits above) inflates, once.
    const first = await post();
    expect(first.headers.get('x-cache')).toBe('HIT');
    expect(first.headers.get('content-encoding')).toBeNull();
    expect(first.headers.get('etag')).toBe(etag);
    expectAnswer(JSON.parse(Buffer.from(await first.arrayBuffer()).toString('utf8')));
    const before = inflationCount();
    for (let i = 0; i < 3; i++) {
      const hit = await post({ 'accept-encoding': 'br' });
      expect(hit.headers.get('content-encoding')).toBeNull();
      const bytes = Buffer.from(await hit.arrayBuffer());
      expect(Number(hit.headers.get('content-length'))).toBe(bytes.length);
      expectAnswer(JSON.parse(bytes.toString('utf8')));
    }
    expect(inflationCount()).toBe(before);
  });

  it('counts inflations in /metrics (hotpath_cache_inflations_total)', async () => {
    const scrape = await app.request('/metrics', {
      headers: { authorization: `Bearer ${OPS_TOKEN}` },
    });
    const line = (await scrape.text())
      .split('\n')
      .find((l) => l.startsWith('hotpath_cache_inflations_total '));
    expect(Number(line?.split(' ')[1])).toBe(inflationCount());
    expect(inflationCount()).toBeGreaterThan(0);
  });

  it('is decoded by curl --compressed', async () => {
    // --include: the headers, then the body curl decoded. (curl 7.88 crashes writing headers to
    // /dev/stderr when it is a pipe.)
    const { stdout } = await run('curl', [
      '--silent',
      '--show-error',
      '--fail',
      '--compressed',
      '--include',
      '-H',
      'content-type: application/json',
      '-H',
      `authorization: Bearer ${key}`,
      '--data-binary',
      body(),
      `${app.baseUrl}/graphql`,
    ]);
    const split = stdout.indexOf('\r\n\r\n');
    const headers = stdout.slice(0, split).toLowerCase();
    expect(headers).toContain('content-encoding: gzip');
    expect(headers).toContain('x-cache: hit');
    expectAnswer(JSON.parse(stdout.slice(split + 4)));
  });

  it('is decoded by Chromium', async () => {
    const page = await browser.newPage();
    try {
      // Same origin: /livez is Yoga's, and then fetch sends the browser's own Accept-Encoding.
      await page.goto(`${app.baseUrl}/livez`);
      const answered = await page.evaluate(
        async ({ key, body }) => {
          const response = await fetch('/graphql', {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
            body,
          });
          return {
            status: response.status,
            encoding: response.headers.get('content-encoding'),
            cache: response.headers.get('x-cache'),
            text: await response.text(),
          };
        },
        { key, body: body() },
      );
      expect(answered).toMatchObject({ status: 200, encoding: 'gzip', cache: 'HIT' });
      expectAnswer(JSON.parse(answered.text));
    } finally {
      await page.close();
    }
  });
});

describe('CACHE_DEBUG with budgets and a gzipped entry', () => {
  it('sends the JSON with extensions.cache and extensions.cost, no gzip', async () => {
    const app = await buildTestApp('sqlite', {
      cache: { backend: 'MEMORY', compressMinBytes: THRESHOLD, debug: true },
      via: 'http',
      budget: BUDGET_DEFAULTS,
    });
    try {
      const { tenant, key } = await app.createTenant();
      const user = await app.createUser(tenant.id, NAME);
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
      const miss = await post();
      const etag = miss.headers.get('etag');
      await miss.arrayBuffer();
      const hit = await post();
      expect(hit.headers.get('x-cache')).toBe('HIT');
      expect(hit.headers.get('content-encoding')).toBeNull();
      expect(hit.headers.get('etag')).toBe(etag);
      const decoded = JSON.parse(Buffer.from(await hit.arrayBuffer()).toString('utf8')) as Body;
      expect(decoded.data?.user.id).toBe(user.id);
      expect(decoded.extensions?.cache).toMatchObject({ hit: true });
      expect(decoded.extensions?.cost).toMatchObject({ requestedQueryCost: 1, actualQueryCost: 1 });
    } finally {
      await app.close();
    }
  });
});

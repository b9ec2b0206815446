import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startMain } from './support/process.js';

/**
 * Issue 14, production hardening, against real `src/main.ts` processes: what a scanner finds
 * in NODE_ENV=production, who may read /metrics (on the main port or on METRICS_PORT), and
 * clients that never finish their headers.
 */

const OPS_TOKEN = 'ops-token-for-the-hardening-test';
const METRICS_TOKEN = 'metrics-token-for-the-hardening-test';
const dir = mkdtempSync(join(tmpdir(), 'hotpath-hardening-'));
const started: ReturnType<typeof startMain>[] = [];
afterAll(() => {
  for (const app of started) app.child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

function start(env: Record<string, string>) {
  const app = startMain({
    SQLITE_PATH: join(dir, `${started.length}.sqlite`),
    PORT: '0',
    ...env,
  });
  started.push(app);
  return app;
}

interface Answer {
  status: number;
  body: {
    data?: any;
    errors?: { message: string; extensions?: { code?: string; limit?: string } }[];
  };
  headers: Headers;
}

async function post(url: string, token: string, query: string): Promise<Answer> {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json',
      authorization: `Bearer ${token}`,
    },
    body: JSON.stringify({ query }),
  });
  return { status: response.status, body: await response.json(), headers: response.headers };
}

const scrape = (url: string, authorization?: string) =>
  fetch(`${url}/metrics`, { headers: authorization ? { authorization } : {} });

describe('NODE_ENV=production', () => {
  const app = start({ NODE_ENV: 'production', OPS_TOKEN, METRICS_TOKEN });
  let url: string;
  let key: string;

  it('starts, and the operator creates a tenant key', { timeout: 90_000 }, async () => {
    [, url] = await app.printed(/listening on (http:\/\/\S+)\/graphql/);
    const tenant = await post(url, OPS_TOKEN, 'mutation { createTenant(name: "Scanned") { id } }');
    expect(tenant.body.errors).toBeUndefined();
    const created = await post(
      url,
      OPS_TOKEN,
      `mutation { createApiKey(tenantId: "${tenant.body.data.createTenant.id}") }`,
    );
    key = created.body.data.createApiKey;
    expect(key).toEqual(expect.any(String));
  });

  it('refuses introspection, to tenants and to the operator, every time', async () => {
    for (const token of [key, OPS_TOKEN]) {
      for (const query of [
        '{ __schema { queryType { name } } }',
        '{ __type(name: "Query") { fields { name } } }',
      ]) {
        // Three times: through the hit path in front of Yoga, a repeat is never a hit.
        for (let i = 0; i < 3; i++) {
          const answer = await post(url, token, query);
          expect(answer.status, query).toBe(400);
          expect(answer.body.data ?? null).toBeNull();
          expect(answer.body.errors?.[0]?.message).toMatch(/introspection/i);
          expect(answer.body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
          expect(answer.headers.get('x-cache')).not.toBe('HIT');
        }
      }
    }
    // What clients add to every selection still works (budgets are off by default: no cost).
    expect((await post(url, key, '{ __typename }')).body).toEqual({
      data: { __typename: 'Query' },
    });
  });

  it('suggests no names: `{ cacheStat }` answers without "Did you mean"', async () => {
    for (const token of [key, OPS_TOKEN]) {
      const answer = await post(url, token, '{ cacheStat }');
      expect(answer.status).toBe(400);
      expect(answer.body.errors?.map((e) => e.message)).toEqual([
        'Cannot query field "cacheStat" on type "Query".',
      ]);
    }
  });

  it('answers ten duplicated unknown directives with five errors', async () => {
    const answer = await post(url, key, `{ __typename ${'@aa '.repeat(10)}}`);
    expect(answer.status).toBe(400);
    expect(answer.body.errors).toHaveLength(5);
    expect(answer.body.errors?.[4]?.extensions).toMatchObject({
      code: 'LIMIT_EXCEEDED',
      limit: 'validationErrors',
    });
  });

  it('serves /metrics only for the operator token or METRICS_TOKEN', async () => {
    for (const authorization of [undefined, `Bearer ${key}`, 'Bearer not-the-token-at-all']) {
      const refused = await scrape(url, authorization);
      expect(refused.status, authorization).toBe(401);
      expect(refused.headers.get('www-authenticate')).toBe('Bearer');
      expect(await refused.text()).not.toContain('hotpath_');
    }
    for (const token of [OPS_TOKEN, METRICS_TOKEN]) {
      const scraped = await scrape(url, `Bearer ${token}`);
      expect(scraped.status).toBe(200);
      expect(await scraped.text()).toMatch(/^# TYPE hotpath_cache_requests_total counter$/m);
    }
  });
});

describe('METRICS_PORT', () => {
  const app = start({ NODE_ENV: 'production', OPS_TOKEN, METRICS_TOKEN, METRICS_PORT: '0' });

  it('serves /metrics there only, with METRICS_TOKEN or the operator token, and nothing else', {
    timeout: 90_000,
  }, async () => {
    const [, url] = await app.printed(/listening on (http:\/\/\S+)\/graphql/);
    const [, metricsUrl] = await app.printed(/Metrics on (http:\/\/\S+)\/metrics/);
    expect(metricsUrl).not.toBe(url);
    // Not on the main port, whatever the token.
    expect((await scrape(url, `Bearer ${METRICS_TOKEN}`)).status).toBe(404);
    expect((await scrape(metricsUrl)).status).toBe(401);
    for (const token of [METRICS_TOKEN, OPS_TOKEN]) {
      const scraped = await scrape(metricsUrl, `Bearer ${token}`);
      expect(scraped.status).toBe(200);
      expect(await scraped.text()).toMatch(/^# TYPE hotpath_cache_requests_total counter$/m);
    }
    // Nothing but /metrics on that port.
    for (const path of ['/graphql', '/health', '/ops']) {
      const other = await fetch(`${metricsUrl}${path}`, {
        headers: { authorization: `Bearer ${METRICS_TOKEN}` },
      });
      expect(other.status, path).toBe(404);
    }
  });
});

describe('slow clients', () => {
  const HEADERS_TIMEOUT_MS = 2_000;
  const CHECK_INTERVAL_MS = 250;
  // Two test files share two cores: the process may answer late, never early.
  const MARGIN_MS = 2_000;
  // Development (demo keys), METRICS_PORT without METRICS_TOKEN: open, for the private network.
  const app = start({
    HTTP_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
    HTTP_REQUEST_TIMEOUT_MS: '4000',
    HTTP_CHECK_INTERVAL_MS: String(CHECK_INTERVAL_MS),
    METRICS_PORT: '0',
  });

  /** A client that sends one more header line every second and never ends its headers. */
  function trickle(port: number) {
    const socket: Socket = connect(port, '127.0.0.1');
    const opened = performance.now();
    let received = '';
    socket.on('data', (chunk) => {
      received += chunk;
    });
    socket.on('error', () => {});
    socket.write('GET /livez HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    let n = 0;
    const timer = setInterval(() => socket.writable && socket.write(`X-Slow-${n++}: 1\r\n`), 1_000);
    const closed = new Promise<{ afterMs: number; received: string }>((resolve) =>
      socket.on('close', () => {
        clearInterval(timer);
        resolve({ afterMs: performance.now() - opened, received });
      }),
    );
    return { socket, closed };
  }

  // The process may still be starting (tsx compiles src/ on two busy cores).
  it('cuts off 50 clients that never finish their headers, and still serves the others', {
    timeout: 90_000,
  }, async () => {
    const [, url, port] = await app.printed(/listening on (http:\/\/\S+:(\d+))\/graphql/);
    const [, metricsUrl] = await app.printed(/Metrics on (http:\/\/\S+)\/metrics/);
    const [, key] = await app.printed(/Demo API key of .+: (hp_\S+)/);
    const clients = Array.from({ length: 50 }, () => trickle(Number(port)));
    try {
      // While they trickle, an ordinary client is answered.
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      const served = await post(url, key, '{ stores { id } }');
      expect(served.status).toBe(200);
      expect(served.body.errors).toBeUndefined();

      const results = await Promise.all(clients.map((c) => c.closed));
      const latest = Math.max(...results.map((r) => r.afterMs));
      const earliest = Math.min(...results.map((r) => r.afterMs));
      expect(latest).toBeLessThan(HEADERS_TIMEOUT_MS + CHECK_INTERVAL_MS + MARGIN_MS);
      // Not before the timeout: a slow client within it is not cut off.
      expect(earliest).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_MS - 100);
      for (const result of results) expect(result.received).toMatch(/^HTTP\/1\.1 408 /);
    } finally {
      for (const c of clients) c.socket.destroy();
    }

    // Counted, on the metrics port (open: no METRICS_TOKEN set).
    const metrics = await (await scrape(metricsUrl)).text();
    const cut = Number(/^hotpath_http_request_timeouts_total (\d+)/m.exec(metrics)?.[1]);
    expect(cut).toBeGreaterThanOrEqual(50);
    expect((await fetch(`${url}/livez`)).status).toBe(200);
  });
});

import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../support/app.js';
import { listen } from './support.js';

/**
 * The first POST made with a key the server has not seen yet. The front authenticates it
 * asynchronously (a database lookup) before it reads the body, so the body must wait in the
 * request's stream meanwhile: a listener that reads it alongside the front (support.ts's
 * listen() once did) set the stream flowing and the front found nothing left (400).
 */

const QUERY = '{ __typename }';

/** POSTs `body` with node:http in `parts` chunks, `gapMs` apart: a plain client, or a slow one. */
function post(url: string, key: string, body: string, parts = 1, gapMs = 0) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = httpRequest(
      url,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          authorization: `Bearer ${key}`,
        },
        agent: false,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    const size = Math.ceil(body.length / parts);
    const write = (at: number) => {
      if (at >= body.length) {
        req.end();
        return;
      }
      req.write(body.slice(at, at + size));
      setTimeout(() => write(at + size), gapMs);
    };
    write(0);
  });
}

describe('the first POST with a key the server has not seen yet', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await buildTestApp('sqlite', { cache: { backend: 'MEMORY' } });
  });
  afterAll(() => app.close());

  /** A key the server has never been sent: a tenant of its own, created by the operator. */
  const freshKey = async () => (await app.createTenant()).key;

  it("is answered through the test harness's listen(), which records what was sent", async () => {
    const server = await listen(app);
    try {
      const key = await freshKey();
      const answer = await post(server.url, key, JSON.stringify({ query: QUERY }));
      expect(answer).toEqual({ status: 200, body: '{"data":{"__typename":"Query"}}' });
      expect(server.take()).toMatchObject([{ method: 'POST', sentText: true, status: 200 }]);
    } finally {
      await server.close();
    }
  });

  it('is answered by the front on a plain listening server, sent at once or slowly', async () => {
    const server = createServer(app.app.http);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
    try {
      const body = JSON.stringify({ query: QUERY });
      for (const [parts, gapMs] of [
        [1, 0],
        [4, 20],
      ]) {
        const answer = await post(url, await freshKey(), body, parts, gapMs);
        expect(answer).toEqual({ status: 200, body: '{"data":{"__typename":"Query"}}' });
      }
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

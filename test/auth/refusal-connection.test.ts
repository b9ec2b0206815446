import { Agent, request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, OPS_TOKEN, type TestApp } from '../support/app.js';

// A stranger's 401 is written before the body is read: a large upload is answered at once, the
// rest is thrown away by node:http (never kept), and the connection stays usable.

describe('the 401 of a request whose body is still coming', () => {
  let app: TestApp;
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  beforeAll(async () => {
    app = await buildTestApp('sqlite', { via: 'http' });
  });
  afterAll(async () => {
    agent.destroy();
    await app?.close();
  });

  function send(
    headers: Record<string, string>,
    write: (req: ReturnType<typeof httpRequest>) => void,
  ) {
    const { port } = new URL(app.baseUrl);
    return new Promise<{ status: number; body: string; socket: unknown }>((resolve, reject) => {
      const req = httpRequest({ port, method: 'POST', path: '/graphql', agent, headers }, (res) => {
        let body = '';
        res.on('data', (chunk) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, socket: req.socket }));
      });
      req.on('error', reject);
      write(req);
    });
  }

  it('answers before the body has arrived, and the connection serves the next request', async () => {
    const declared = 5_000_000;
    let sent = 0;
    const refused = await send(
      { 'content-type': 'application/json', 'content-length': String(declared) },
      (req) => {
        // A first slice only: the answer must not wait for the other 4.9 MB.
        req.write(Buffer.alloc(64 * 1024, 0x20));
        sent += 64 * 1024;
        req.once('response', () => {
          // Then the rest, which the server reads and throws away.
          const chunk = Buffer.alloc(declared - sent, 0x20);
          req.end(chunk);
        });
      },
    );
    expect(refused.status).toBe(401);
    expect(JSON.parse(refused.body).errors[0].extensions.code).toBe('UNAUTHENTICATED');
    // The same keep-alive connection, once the rest was drained: the next request is answered.
    const next = await send(
      { 'content-type': 'application/json', authorization: `Bearer ${OPS_TOKEN}` },
      (req) => req.end(JSON.stringify({ query: '{ __typename }' })),
    );
    expect(next.status).toBe(200);
    expect(next.socket).toBe(refused.socket);
  });
});

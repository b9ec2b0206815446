import { AsyncLocalStorage } from 'node:async_hooks';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../support/app.js';
import { rawPost } from '../support/http.js';

/**
 * Issue 19: a memory hit is written in the turn its body arrived, with no promise between the
 * body's end and writeHead (each hop was a share of a hit's own work). A listener on the body's
 * `end` added after the front's own runs right after it, in the same emit: the answer's headers
 * are already sent there. A miss (Yoga's) and a Redis lookup (a round trip) are not.
 */

const QUERY = 'query Profile($u: ID!) { user(id: $u) { id name } }';

describe('a memory hit on node:http', () => {
  let app: TestApp;
  let server: Server;
  let url: string;
  let key: string;
  let userId: string;
  /** Whether the headers were sent when the body's `end` had been handled, per request. */
  const sentAtEnd: boolean[] = [];
  /** The request's own AsyncLocalStorage, as seen where its answer is written. */
  const requestId = new AsyncLocalStorage<number>();
  const seenAtWrite: (number | undefined)[] = [];
  let requests = 0;

  beforeAll(async () => {
    app = await buildTestApp('sqlite', { cache: { backend: 'MEMORY' }, via: 'yoga' });
    const tenant = await app.createTenant();
    key = tenant.key;
    userId = (await app.createUser(tenant.tenant.id, 'Rita')).id;
    server = createServer((req, res) => {
      const writeHead = res.writeHead;
      res.writeHead = ((...args: Parameters<typeof writeHead>) => {
        seenAtWrite.push(requestId.getStore());
        return writeHead.apply(res, args);
      }) as typeof writeHead;
      requestId.run(++requests, () => app.app.http(req, res));
      req.on('end', () => sentAtEnd.push(res.headersSent));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await app.close();
  });

  const post = async (variables: Record<string, string>) => {
    const answer = await rawPost(url, JSON.stringify({ query: QUERY, variables }), {
      authorization: `Bearer ${key}`,
    });
    const cache = answer.headers['x-cache'] as string | undefined;
    return { status: answer.status, cache, body: answer.body.toString('utf8') };
  };

  it('writes the hit before the turn that read its body ends; a miss goes on to Yoga', async () => {
    const miss = await post({ u: userId });
    expect(miss.cache).toBe('MISS');
    sentAtEnd.length = 0;
    const hit = await post({ u: userId });
    expect(hit.cache).toBe('HIT');
    expect(hit.body).toBe(miss.body);
    expect(sentAtEnd).toEqual([true]);
    // A miss: Yoga answers later.
    sentAtEnd.length = 0;
    const other = await post({ u: '00000000-0000-4000-8000-000000000000' });
    expect(other.status).toBe(200);
    expect(other.cache).not.toBe('HIT');
    expect(sentAtEnd).toEqual([false]);
  });

  it("keeps the request's async context where a hit or a miss is written", async () => {
    // The body's events run in the socket's context: the front runs the rest in the request's,
    // as the promise it replaced did (the trace's span, a bench's per-request counts).
    seenAtWrite.length = 0;
    await post({ u: userId }); // a hit
    const first = requests;
    await post({ u: '00000000-0000-4000-8000-000000000001' }); // a miss, answered by Yoga
    expect(seenAtWrite).toEqual([first, first + 1]);
  });
});

import { Socket } from 'node:net';
import type { QueryRunner } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, OPS_TOKEN, type TestApp } from '../support/app.js';
import { waitUntil } from '../support/wait.js';

// A client that goes away while its miss runs (a timeout, a page left): the miss is not
// abandoned half-way. It runs to its end (LIMIT_EXECUTION_MS bounds it), answers the identical
// requests that joined it meanwhile, and is stored for the next one. The miss is held on
// PostgreSQL by a lock on the table it reads, so that the client leaves while it runs, not
// before or after.

/** Sends a whole POST on a raw socket and returns the socket, without reading an answer. */
function sendAndKeep(baseUrl: string, body: string, key: string): Promise<Socket> {
  const { port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = new Socket();
    socket.on('error', () => {});
    socket.connect(Number(port), '127.0.0.1', () => {
      socket.write(
        [
          'POST /graphql HTTP/1.1',
          `Host: 127.0.0.1:${port}`,
          'Content-Type: application/json',
          `Authorization: Bearer ${key}`,
          `Content-Length: ${Buffer.byteLength(body)}`,
          '',
          body,
        ].join('\r\n'),
        (error) => (error ? reject(error) : resolve(socket)),
      );
    });
  });
}

/** hotpath_cache_requests_total{outcome} from /metrics. */
async function outcomes(app: TestApp): Promise<Record<string, number>> {
  const scrape = await app.request('/metrics', {
    headers: { authorization: `Bearer ${OPS_TOKEN}` },
  });
  const counts: Record<string, number> = {};
  for (const line of (await scrape.text()).split('\n')) {
    const found = /^hotpath_cache_requests_total\{outcome="(\w+)"\} (\d+)/.exec(line);
    if (found) counts[found[1]] = Number(found[2]);
  }
  return counts;
}

describe('a client that leaves while its miss runs (postgres, memory store, node:http)', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await buildTestApp('postgres', { via: 'http', cache: { backend: 'MEMORY' } });
  });
  afterAll(() => app?.close());

  it('the miss runs to its end: a request that joined it is answered, the next one hits', async () => {
    const { tenant, key } = await app.createTenant('Leaves');
    const user = await app.createUser(tenant.id, 'Left behind');
    const body = JSON.stringify({ query: `query Leaves { user(id: "${user.id}") { id name } }` });
    const expected = { data: { user: { id: user.id, name: 'Left behind' } } };
    const before = await outcomes(app);
    let lock: QueryRunner | null = app.db.createQueryRunner();
    let socket: Socket | null = null;
    try {
      await lock.connect();
      await lock.startTransaction();
      // The tests' own PostgreSQL schema: the table's qualified name.
      const users = app.db.getMetadata('User').tablePath;
      await lock.query(`LOCK TABLE ${users} IN ACCESS EXCLUSIVE MODE`);
      app.counter.reset();
      socket = await sendAndKeep(app.baseUrl, body, key);
      // The miss's SELECT waits for the lock: the request is being executed.
      await waitUntil(async () => {
        const [{ waiting }] = await app.db.query(
          `SELECT count(*)::int AS waiting FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
           WHERE c.relname = 'users' AND NOT l.granted`,
        );
        return waiting > 0;
      }, 10_000);
      // The client leaves before any answer (the lock holds the miss).
      let answered = false;
      socket.on('data', () => {
        answered = true;
      });
      socket.destroy();
      const post = () =>
        app.request('/graphql', {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
          body,
        });
      // An identical request meanwhile: it shares the running miss (single flight).
      const joined = post();
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(answered).toBe(false);
      await lock.rollbackTransaction();
      await lock.release();
      lock = null;
      const shared = await joined;
      expect(shared.status).toBe(200);
      expect(shared.headers.get('x-cache')).toBe('MISS');
      expect(await shared.json()).toEqual(expected);
      // One execution read the user for both (the lock and the pg_locks polls aside).
      const reads = app.counter.statements.filter((sql) => /FROM\s+"?\w*"?\.?"?users"?/i.test(sql));
      expect(reads).toHaveLength(1);
      // The first miss is counted, and its entry serves the next request.
      await waitUntil(
        async () => ((await outcomes(app)).miss ?? 0) >= (before.miss ?? 0) + 2,
        10_000,
      );
      const again = await post();
      expect(again.status).toBe(200);
      expect(again.headers.get('x-cache')).toBe('HIT');
      // The shared answer is the stored entry, byte for byte, and says so with its ETag.
      expect(again.headers.get('etag')).toMatch(/^"/);
      expect(shared.headers.get('etag')).toBe(again.headers.get('etag'));
      expect(await again.json()).toEqual(expected);
    } finally {
      socket?.destroy();
      if (lock) {
        await lock.rollbackTransaction().catch(() => {});
        await lock.release();
      }
    }
  }, 30_000);
});

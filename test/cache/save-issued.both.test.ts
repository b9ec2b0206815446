/**
 * Issue 19: a miss is answered once its entry has been handed to the store, not once the store
 * has acknowledged it. A Redis round trip spent waiting for the save's reply kept everything
 * the miss had allocated alive across it (bench:miss: about a sixth of a Redis miss's CPU). What
 * must hold all the same: the entry lands, this instance's next request for it is a hit (its
 * lookup goes out on the same connection behind the save, and Redis answers a connection's
 * commands in order), and a body stored gzipped is compressed before the answer goes.
 *
 * A private redis-server holds the save with CLIENT PAUSE … WRITE (reads still run, a write
 * waits, and the commands behind it on the same connection wait with it): the answer must
 * arrive while Redis still lacks the entry, before the pause ends.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WARM_DOCUMENTS } from '../../src/warming/warming.js';
import { buildTestApp, type TestApp } from '../support/app.js';
import { type RedisServer, startRedisServer } from '../support/redis.js';

const PAUSE_MS = 3_000;

let server: RedisServer;
let admin: Redis;
const apps: TestApp[] = [];

beforeAll(async () => {
  server = await startRedisServer();
  admin = new Redis(server.url, { maxRetriesPerRequest: 1 });
});

afterAll(async () => {
  await Promise.all(apps.map((app) => app.close()));
  admin?.disconnect();
  await server?.stop();
});

describe.each([
  ['stored as it is', 8_192],
  ['stored gzipped', 1],
])('a miss whose body is %s', (_name, compressMinBytes) => {
  it('is answered before Redis acknowledges its save; the next request of this instance hits', async () => {
    const app = await buildTestApp('sqlite', {
      cache: {
        backend: 'REDIS',
        redisUrl: server.url,
        compressMinBytes,
        // Longer than the pause: a lookup that waits behind the held save is not a timeout.
        timeoutMs: 10_000,
      },
    });
    apps.push(app);
    const { tenant, key } = await app.createTenant('Saves');
    const user = await app.createUser(tenant.id, 'Ana');
    const post = (date: string) =>
      app.request('/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify({
          query: WARM_DOCUMENTS.agenda,
          variables: { userId: user.id, date },
        }),
      });
    // A first miss and its save: the epoch and the tenant's keys exist before the pause, so
    // the miss below writes nothing but its save, and the save's script is proven on the
    // connection (until then a miss waits for its save's reply: NOSCRIPT).
    const warm = await post('2026-03-01');
    expect(warm.headers.get('x-cache')).toBe('MISS');
    await warm.text();
    let warmed = '';
    for (let i = 0; i < 5 && warmed !== 'HIT'; i++) {
      const again = await post('2026-03-01');
      warmed = again.headers.get('x-cache') ?? '';
      await again.text();
    }
    expect(warmed).toBe('HIT');

    await admin.call('CLIENT', 'PAUSE', String(PAUSE_MS), 'WRITE');
    const pauseEnds = Date.now() + PAUSE_MS;
    // Counted once writes are held: a write of this app or the other's (their stats flush
    // every 200 ms, into keys per time bucket) can land before the pause, none after it.
    const keysBefore = await admin.dbsize();
    const miss = await post('2026-03-02');
    const answeredAt = Date.now();
    const keysAtAnswer = await admin.dbsize();
    expect(miss.status).toBe(200);
    expect(miss.headers.get('x-cache')).toBe('MISS');
    const body = (await miss.json()) as { data?: { agenda?: { date?: string } } };
    expect(body.data?.agenda?.date).toBe('2026-03-02');
    // Answered while the save was held: nothing of the entry in Redis yet.
    expect(answeredAt).toBeLessThan(pauseEnds);
    expect(keysAtAnswer).toBe(keysBefore);

    // Sent while the save is still held: this instance's lookup waits behind it, and finds it.
    const repeat = await post('2026-03-02');
    expect(repeat.headers.get('x-cache')).toBe('HIT');
    expect(await repeat.json()).toEqual(body);
    expect(await admin.dbsize()).toBeGreaterThan(keysBefore);
  });
});

import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { createRedisCache } from '@envelop/response-cache-redis';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisStore } from '../../src/cache/store/redis/redis-store.js';
import { type RedisServer, startRedisServer } from '../support/redis.js';

const RESPONSES = 20_000;
const CHUNK = 500;
const TTL_MS = 1_000;

describe('memory left behind by 20,000 expired responses', () => {
  let server: RedisServer;
  let redis: Redis;

  beforeAll(async () => {
    server = await startRedisServer();
    redis = new Redis(server.url, { enableOfflineQueue: false, lazyConnect: true });
    await redis.connect();
  });

  afterAll(async () => {
    redis?.disconnect();
    await server?.stop();
  });

  async function writeAll(write: (i: number) => Promise<unknown>): Promise<void> {
    for (let start = 0; start < RESPONSES; start += CHUNK) {
      const chunk: Promise<unknown>[] = [];
      for (let i = start; i < Math.min(start + CHUNK, RESPONSES); i++) chunk.push(write(i));
      await Promise.all(chunk);
    }
  }

  /** DBSIZE once expired keys have had time to be reclaimed: stable, or at most `floor`. */
  async function keysLeft(floor: number): Promise<number> {
    await sleep(TTL_MS + 500);
    let last = await redis.dbsize();
    const deadline = Date.now() + 3_000;
    while (last > floor && Date.now() < deadline) {
      await sleep(250);
      const now = await redis.dbsize();
      if (now === last) break;
      last = now;
    }
    return last;
  }

  it('is next to nothing for the hotpath store, every entity set for the stock one', async () => {
    const scope = randomUUID();
    const store = createRedisStore({ redis, prefix: 'hotpath', schemaHash: 'leak' });
    await writeAll(async (i) => {
      const key = i.toString(16).padStart(8, '0');
      // As a request would: look up, then save with the seq and epoch the miss reported.
      const miss = await store.lookup(scope, key);
      if (miss.hit) throw new Error(`lookup ${i} hit`);
      const result = await store.save(scope, key, {
        body: JSON.stringify({ data: { appointment: { id: `a${i}` } } }),
        tags: [`Appointment:a${i}`, `Agenda:u${i % 50}:2026-11-22`],
        ttlMs: TTL_MS,
        seenSeq: miss.seq,
        seenEpoch: miss.epoch,
      });
      if (result !== 'stored') throw new Error(`save ${i} was ${result}`);
    });
    // The writes really landed (the earliest may already have expired on a loaded machine).
    expect((await store.lookup(scope, (RESPONSES - 1).toString(16).padStart(8, '0'))).hit).toBe(
      true,
    );
    const ours = await keysLeft(0);
    await store.close();

    await redis.flushdb();
    const stock = createRedisCache({ redis });
    await writeAll((i) =>
      Promise.resolve(
        stock.set(
          `op-${i}`,
          { data: { appointment: { id: `a${i}` } } },
          [
            { typename: 'Appointment', id: `a${i}` },
            { typename: 'Agenda', id: `u${i % 50}:2026-11-22` },
          ],
          TTL_MS,
        ),
      ),
    );
    const theirs = await keysLeft(RESPONSES);

    console.log(
      `leak: hotpath store left ${ours} keys, @envelop/response-cache-redis left ${theirs} keys`,
    );
    expect(ours).toBeLessThanOrEqual(5);
    expect(theirs).toBeGreaterThanOrEqual(RESPONSES);
  }, 180_000);

  it('holds no set above a few thousand members through 30,000 saves with a 1 s TTL', async () => {
    // 30 times the index cap (the store before issue 7 grew `Agenda` to 46,569 in 100,000).
    const SAVES = 30_000;
    const scope = randomUUID();
    const prefix = `leak-${randomUUID().slice(0, 8)}`;
    const store = createRedisStore({ redis, prefix, schemaHash: 'leak' });
    const slot = `${prefix}:{t:${scope}}:`;
    // The parent sets that grew with traffic before: every agenda, every user, the stats.
    const watched = ['Agenda', 'Agenda:u1', 'Appointment', 'MegaStats', 'MegaStats:t1'].map(
      (tag) => `${slot}i:${tag}`,
    );
    let largest = 0;
    let stored = 0;
    const started = performance.now();
    for (let start = 0; start < SAVES; start += CHUNK) {
      const chunk: Promise<unknown>[] = [];
      for (let i = start; i < Math.min(start + CHUNK, SAVES); i++) {
        chunk.push(
          (async () => {
            const key = i.toString(16).padStart(8, '0');
            const miss = await store.lookup(scope, key);
            if (miss.hit) throw new Error(`lookup ${i} hit`);
            const result = await store.save(scope, key, {
              body: JSON.stringify({ data: { agenda: { id: `a${i}` } } }),
              tags: [
                `Appointment:a${i}`,
                `Agenda:u${i % 5}:2026-11-${String((i % 28) + 1).padStart(2, '0')}`,
                'MegaStats:t1',
              ],
              ttlMs: TTL_MS,
              seenSeq: miss.seq,
              seenEpoch: miss.epoch,
            });
            if (result === 'stored') stored++;
          })(),
        );
      }
      await Promise.all(chunk);
      const sizes = await Promise.all(watched.map((key) => redis.zcard(key)));
      largest = Math.max(largest, ...sizes);
    }
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `${SAVES} saves in ${seconds.toFixed(1)} s (${stored} stored): largest index set ${largest} members`,
    );
    expect(stored).toBeGreaterThan(SAVES * 0.99);
    expect(largest).toBeGreaterThan(0);
    expect(largest).toBeLessThanOrEqual(1_000);
    // And once the TTL has run out, next to nothing is left of the scope.
    await sleep(TTL_MS + 1_500);
    let left = Number.POSITIVE_INFINITY;
    for (let tries = 0; tries < 20 && left > 5; tries++) {
      let cursor = '0';
      left = 0;
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${slot}*`, 'COUNT', 5000);
        cursor = next;
        // Touching each key makes Redis expire it if it is due.
        if (keys.length > 0) left += Number(await redis.exists(...keys));
      } while (cursor !== '0');
      if (left > 5) await sleep(250);
    }
    expect(left).toBeLessThanOrEqual(5);
    await store.close();
  }, 300_000);
});

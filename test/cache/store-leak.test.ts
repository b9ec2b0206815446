import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { createRedisCache } from '@envelop/response-cache-redis';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisStore } from '../../src/cache/redis-store.js';
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
  });
});

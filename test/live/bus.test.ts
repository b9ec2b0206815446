import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisClient } from '../../src/cache/store/redis/client.js';
import { createInvalidationBus, type InvalidationNotice } from '../../src/live/bus.js';
import { type RedisServer, startRedisServer } from '../support/redis.js';
import { waitUntil } from '../support/wait.js';

// The live bus's subscription across a Redis restart: it subscribes again itself, once, with its
// failure handled. ioredis's own resubscription sent a second SUBSCRIBE whose promise nobody
// held, and a connection cut right after 'ready' made it an unhandled rejection (seen in CI).

describe('the live invalidation bus across a Redis restart', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('subscribes again exactly once, and hears the other instances again', async () => {
    const logger = pino({ level: 'silent' });
    const heard: InvalidationNotice[] = [];
    let resyncs = 0;
    const redisA = createRedisClient(server.url, { timeoutMs: 1_000 });
    const redisB = createRedisClient(server.url, { timeoutMs: 1_000 });
    for (const r of [redisA, redisB]) r.on('error', () => {});
    const a = createInvalidationBus({
      redis: redisA,
      prefix: 'bus-test',
      logger,
      onNotice: (notice) => {
        heard.push(notice);
        return undefined;
      },
      onResync: () => {
        resyncs++;
      },
    });
    const b = createInvalidationBus({
      redis: redisB,
      prefix: 'bus-test',
      logger,
      onNotice: () => undefined,
      onResync: () => {},
    });
    const subscribes = async () => {
      const probe = new Redis(server.url, { maxRetriesPerRequest: 1 });
      try {
        const info = await probe.info('commandstats');
        return Number(/cmdstat_subscribe:calls=(\d+)/.exec(info)?.[1] ?? 0);
      } finally {
        probe.disconnect();
      }
    };
    try {
      // Two buses, one subscription each.
      await waitUntil(async () => (await subscribes()) === 2, 5_000);
      await server.restart(); // empty, its command counts at zero
      await waitUntil(() => resyncs === 1, 10_000);
      await waitUntil(async () => (await subscribes()) >= 2, 5_000);
      // Give a second, automatic SUBSCRIBE the time to show up: it came right after 'ready'.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(await subscribes()).toBe(2);
      await waitUntil(async () => {
        b.publish('t1', ['Agenda:u1:2026-12-06']);
        await new Promise((resolve) => setTimeout(resolve, 50));
        return heard.some((n) => n.tenantId === 't1');
      }, 5_000);
      expect(heard.find((n) => n.tenantId === 't1')?.tags).toEqual(['Agenda:u1:2026-12-06']);
    } finally {
      await a.close();
      await b.close();
      redisA.disconnect();
      redisB.disconnect();
    }
  });
});

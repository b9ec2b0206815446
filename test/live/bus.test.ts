import { Socket } from 'node:net';
import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createRedisClient } from '../../src/cache/store/redis/client.js';
import type { RedisConfig } from '../../src/config.js';
import { createInvalidationBus, type InvalidationNotice } from '../../src/live/bus.js';
import { type RedisServer, startRedisServer } from '../support/redis.js';
import { type RedisClusterHandle, startRedisCluster } from '../support/redis-topologies.js';
import { waitUntil } from '../support/wait.js';

// The live bus's subscription across a Redis restart: it subscribes again itself, once, with its
// failure handled. ioredis's own resubscription sent a second SUBSCRIBE whose promise nobody
// held, and a connection cut right after 'ready' made it an unhandled rejection (seen in CI).

/** Two instances' buses on `target`: A records what it hears and counts its resyncs. */
function twoBuses(target: RedisConfig, prefix: string, timeoutMs: number) {
  const logger = pino({ level: 'silent' });
  const heard: InvalidationNotice[] = [];
  const resyncs = { count: 0 };
  const redisA = createRedisClient(target, { timeoutMs });
  const redisB = createRedisClient(target, { timeoutMs });
  for (const r of [redisA, redisB]) r.on('error', () => {});
  const a = createInvalidationBus({
    redis: redisA,
    prefix,
    logger,
    onNotice: (notice) => {
      heard.push(notice);
      return undefined;
    },
    onResync: () => {
      resyncs.count++;
    },
  });
  const b = createInvalidationBus({
    redis: redisB,
    prefix,
    logger,
    onNotice: () => undefined,
    onResync: () => {},
  });
  return { heard, resyncs, redisA, redisB, a, b };
}

describe('the live invalidation bus across a Redis restart', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('subscribes again exactly once, and hears the other instances again', async () => {
    const { heard, resyncs, redisA, redisB, a, b } = twoBuses(
      { topology: { kind: 'standalone', url: server.url } },
      'bus-test',
      1_000,
    );
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
      await waitUntil(() => resyncs.count === 1, 10_000);
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

describe('the live bus on a Redis Cluster that dies whole', () => {
  let cluster: RedisClusterHandle;
  beforeAll(async () => {
    cluster = await startRedisCluster();
  }, 120_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  it('does not spin on connections to the dead nodes while the outage lasts', async () => {
    const { heard, redisA, redisB, a, b } = twoBuses(cluster.config, 'bus-cluster-test', 500);
    // The app's own client keeps asking (lookups, the breaker's probe): it notices the outage.
    const asking = setInterval(() => {
      redisA.ping().catch(() => {});
    }, 100);
    const connects = vi.spyOn(Socket.prototype, 'connect');
    try {
      // A hears B: A's subscription is up.
      await waitUntil(async () => {
        b.publish('t1', ['Service:1']);
        return heard.length > 0;
      }, 10_000);
      await cluster.stop();
      // The first second is the heartbeat's to notice; then count attempts for two seconds.
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      connects.mockClear();
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      // Reconnections with their backoff (at most 1 s) are a few a second for six nodes and
      // two clients; the subscriber's picking without a delay was thousands.
      expect(connects.mock.calls.length).toBeLessThan(200);
    } finally {
      clearInterval(asking);
      connects.mockRestore();
      await a.close();
      await b.close();
      redisA.disconnect();
      redisB.disconnect();
    }
  }, 60_000);
});

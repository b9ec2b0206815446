import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisClient, type RedisClient } from '../../src/cache/store/redis/client.js';
import { writeRecorder } from '../support/redis.js';
import { type RedisClusterHandle, startRedisCluster } from '../support/redis-topologies.js';

// While an operator moves a slot (MIGRATING on the old master, some keys already on the new
// one), reads of that slot issued together must each read their own key where it is. With
// ioredis's auto-pipelining, a batch that met an ASK redirection was sent again whole to the
// importing master: a key still on the old one read as missing (and the same retry can end in
// ioredis's uncaught "results[i] is not iterable", redis/ioredis#1931, which killed a CI run).
// The cache's cluster client sends each command on its own (src/cache/store/redis/client.ts).
describe('reads of a slot half-moved, issued together (Redis Cluster)', () => {
  let cluster: RedisClusterHandle;
  let client: RedisClient;
  const uncaught: unknown[] = [];
  const onUncaught = (error: unknown) => uncaught.push(error);
  beforeAll(async () => {
    cluster = await startRedisCluster();
    client = createRedisClient(cluster.config, { timeoutMs: 1_000 });
    await new Promise((resolve) => client.once('ready', resolve));
    process.on('uncaughtException', onUncaught);
  }, 120_000);
  afterAll(async () => {
    process.off('uncaughtException', onUncaught);
    client?.disconnect();
    await cluster?.stop();
  });

  it("writes a node's commands of one turn in one write, in the order sent", async () => {
    const keys = ['{turn}a', '{turn}b', '{turn}c'];
    await client.get(keys[0]);
    const port = await cluster.masterPortOf(keys[0]);
    const node = (client as import('ioredis').Cluster)
      .nodes('master')
      .find((n) => n.options.port === port) as Redis;
    const { writes, restore } = writeRecorder(node.stream);
    try {
      await Promise.all(keys.map((key) => client.get(key)));
      expect(writes).toHaveLength(1);
      expect(writes[0].map((chunk) => chunk.split('\r\n')[4])).toEqual(keys);
    } finally {
      restore();
    }
  });

  it('each read answers its own key, wherever it is during the move', async () => {
    const values = { '{ask}moved': 'moved', '{ask}stays': 'stays', '{ask}also-moved': 'also' };
    for (const [key, value] of Object.entries(values)) await client.set(key, value);
    const from = await cluster.masterPortOf('{ask}moved');
    const to = (await cluster.masterPorts()).find((port) => port !== from) as number;
    const source = new Redis({ host: '127.0.0.1', port: from });
    const target = new Redis({ host: '127.0.0.1', port: to });
    try {
      const slot = (await source.cluster('KEYSLOT', '{ask}moved')) as number;
      const [sourceId, targetId] = await Promise.all([
        source.cluster('MYID') as Promise<string>,
        target.cluster('MYID') as Promise<string>,
      ]);
      await target.cluster('SETSLOT', slot, 'IMPORTING', sourceId);
      await source.cluster('SETSLOT', slot, 'MIGRATING', targetId);
      await source.call(
        'MIGRATE',
        '127.0.0.1',
        to,
        '',
        0,
        5_000,
        'KEYS',
        '{ask}moved',
        '{ask}also-moved',
      );
      const keys = ['{ask}moved', '{ask}stays', '{ask}also-moved', '{ask}stays', '{ask}moved'];
      for (let round = 0; round < 10; round++) {
        // One tick: what auto-pipelining would send as one batch.
        const read = await Promise.all(keys.map((key) => client.get(key)));
        expect(read).toEqual(keys.map((key) => values[key as keyof typeof values]));
      }
      await source.cluster('SETSLOT', slot, 'STABLE');
      await target.cluster('SETSLOT', slot, 'STABLE');
    } finally {
      source.disconnect();
      target.disconnect();
    }
    expect(uncaught).toEqual([]);
  }, 60_000);
});

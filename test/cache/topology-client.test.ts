import { randomBytes } from 'node:crypto';
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createRedisClient,
  type RedisClient,
  whenReady,
} from '../../src/cache/store/redis/client.js';
import { createRedisStore } from '../../src/cache/store/redis/redis-store.js';
import { clusterInfo } from '../../src/cache/store/topology.js';
import type { RedisConfig } from '../../src/config.js';
import { writeRecorder } from '../support/redis.js';
import {
  type AclRedisHandle,
  type RedisClusterHandle,
  type SentinelHandle,
  startAclRedis,
  startAll,
  startRedisCluster,
  startSentinelSet,
  startTlsRedis,
  type TlsRedisHandle,
} from '../support/redis-topologies.js';
import { saveAfterMiss } from '../support/store.js';

// createRedisClient(config) on every topology the configuration accepts, against real servers.

let cluster: RedisClusterHandle;
let sentinel: SentinelHandle;
let tls: TlsRedisHandle;
let acl: AclRedisHandle;
/** For the TLS test of those two; started with the others (starting one is mostly waiting). */
let tlsCluster: RedisClusterHandle;
let tlsSentinel: SentinelHandle;
const clients: RedisClient[] = [];

beforeAll(async () => {
  [cluster, sentinel, tls, acl, tlsCluster, tlsSentinel] = await startAll(
    startRedisCluster,
    () => startSentinelSet(),
    startTlsRedis,
    startAclRedis,
    () => startRedisCluster({ tls: true }),
    () => startSentinelSet('hotpath', { tls: true }),
  );
}, 120_000);
afterAll(async () => {
  for (const client of clients) client.disconnect();
  await Promise.all(
    [cluster, sentinel, tls, acl, tlsCluster, tlsSentinel].map((topology) => topology?.stop()),
  );
});

/**
 * Whether `client` became ready within `ms`. A server that refuses it (a certificate, a login)
 * says so at once, in an 'error': from then on 300 ms tell as well as the rest of `ms` did,
 * which every such test used to wait out in full.
 */
async function readyWithin(client: RedisClient, ms: number): Promise<boolean> {
  const refused = new Promise<'refused'>((resolve) =>
    client.once('error', () => resolve('refused')),
  );
  const first = await Promise.race([whenReady(client, ms), refused]);
  return first === 'refused' ? whenReady(client, 300) : first;
}

async function connect(config: RedisConfig) {
  const client = createRedisClient(config, { timeoutMs: 2_000 });
  clients.push(client);
  client.on('error', () => {});
  expect(await whenReady(client, 10_000)).toBe(true);
  return client;
}

/** SET and GET through the client, then a pub/sub round trip over a duplicate() connection. */
async function roundTrip(client: RedisClient) {
  const key = `hp-topology-${randomBytes(4).toString('hex')}`;
  expect(await client.set(key, 'value', 'PX', 60_000)).toBe('OK');
  expect(await client.get(key)).toBe('value');

  const subscriber = client.duplicate() as RedisClient;
  clients.push(subscriber);
  subscriber.on('error', () => {});
  // No offline queue on the duplicate either: subscribe once it is connected, as the store does.
  expect(await whenReady(subscriber, 10_000)).toBe(true);
  const received = new Promise<string>((resolve) =>
    subscriber.on('message', (_channel: string, message: string) => resolve(message)),
  );
  await subscriber.subscribe(`${key}:events`);
  expect(await client.publish(`${key}:events`, 'hello')).toBeGreaterThanOrEqual(0);
  expect(await received).toBe('hello');
}

describe('createRedisClient', () => {
  it('cluster: a Cluster client reaches keys of every master, with pub/sub', async () => {
    const client = await connect(cluster.config);
    expect(client).toBeInstanceOf(Cluster);
    await roundTrip(client);
    // Keys whose slots land on each of the three masters.
    const owners = new Set<number>();
    for (let i = 0; owners.size < 3 && i < 100; i++) {
      const key = `hp-topology-spread-{${i}}`;
      await client.set(key, String(i), 'PX', 60_000);
      expect(await client.get(key)).toBe(String(i));
      owners.add(await cluster.masterPortOf(key));
    }
    expect(owners.size).toBe(3);
    const info = await clusterInfo(client as Cluster);
    expect(info.masters).toBe(3);
    // Summed over the masters: at least the keys just written, which no single master holds.
    expect(info.keys).toBeGreaterThanOrEqual(4);
    expect(info.usedMemoryBytes).toBeGreaterThan(0);
  });

  it("cluster: a lookup is judged by the script, never by TIME; a miss waits for its save's reply", async () => {
    const client = await connect(cluster.config);
    const store = createRedisStore({
      redis: client,
      prefix: 'hp-topology-judge',
      schemaHash: 'j1',
    });
    const scope = randomBytes(8).toString('hex');
    const tags = ['Agenda:u1:2026-11-22', 'Appointment:a1'];
    await saveAfterMiss(store, scope, 'agenda', { body: '{"data":{}}', tags, ttlMs: 60_000 });
    // Each node has a script cache of its own: a save may meet NOSCRIPT on any of them, so a
    // miss on Cluster always waits for its save's reply (response-save.ts, savesInOrder).
    expect(store.savesInOrder?.()).toBe(false);
    await saveAfterMiss(store, scope, 'other', { body: '{"data":{}}', tags, ttlMs: 60_000 });
    expect(store.savesInOrder?.()).toBe(false);
    const masters = (await cluster.masterPorts()).map((port) => new Redis({ port }));
    try {
      await Promise.all(masters.map((node) => node.config('RESETSTAT')));
      for (let i = 0; i < 3; i++) expect((await store.lookup(scope, 'agenda')).hit).toBe(true);
      const counted: Record<string, number> = {};
      for (const node of masters) {
        for (const line of (await node.info('commandstats')).split('\n')) {
          const match = /^cmdstat_(\w+):calls=(\d+)/.exec(line);
          if (match) counted[match[1]] = (counted[match[1]] ?? 0) + Number(match[2]);
        }
      }
      // One script call per lookup (the scope's clock read where the scope lives) and no TIME,
      // which could come from another node than the scope's: the lookup without the script is
      // a single-node shortcut (issue 19).
      expect(counted.evalsha).toBe(3);
      expect(counted.time).toBeUndefined();
    } finally {
      for (const node of masters) node.disconnect();
      await store.close();
    }
  });

  it('cluster: no offline queue; a command while not connected fails at once', async () => {
    const client = createRedisClient(cluster.config, { timeoutMs: 2_000 });
    clients.push(client);
    client.on('error', () => {});
    await expect(client.get('anything')).rejects.toThrow(/enableOfflineQueue/);
  });

  it('sentinel: the client asks the sentinels for the master', async () => {
    const client = await connect(sentinel.config);
    expect(client).toBeInstanceOf(Redis);
    await roundTrip(client);
    const role = (await (client as Redis).role()) as [string];
    expect(role[0]).toBe('master');
    const port = Number((await client.info('server')).match(/^tcp_port:(\d+)/m)?.[1]);
    expect(port).toBe(await sentinel.masterPort());
    expect(port).toBe(sentinel.master.port);
    // The master's commands of one turn go in one write, in order (holdTurns), as on a single
    // server (turn-writes.test.ts) and a cluster's nodes (cluster-ask.test.ts).
    const { writes, restore } = writeRecorder((client as Redis).stream);
    try {
      await Promise.all([client.get('turn:a'), client.get('turn:b'), client.get('turn:c')]);
      expect(writes).toHaveLength(1);
      expect(writes[0].map((chunk) => chunk.split('\r\n')[4])).toEqual([
        'turn:a',
        'turn:b',
        'turn:c',
      ]);
    } finally {
      restore();
    }
  });

  it('TLS: rediss:// with REDIS_TLS_CA connects; another CA is refused', async () => {
    const client = await connect(tls.config);
    await roundTrip(client);
    const untrusted = createRedisClient(
      { ...tls.config, tlsCaPath: tls.otherCaPath },
      { timeoutMs: 2_000 },
    );
    clients.push(untrusted);
    const errors: Error[] = [];
    untrusted.on('error', (error: Error) => errors.push(error));
    expect(await readyWithin(untrusted, 1_500)).toBe(false);
    expect(errors.map((e) => e.message).join('\n')).toMatch(/certificate/i);
  });

  it('TLS on a cluster and on Sentinel: every node and sentinel over TLS with REDIS_TLS_CA', async () => {
    try {
      const c = await connect(tlsCluster.config);
      expect(c).toBeInstanceOf(Cluster);
      await roundTrip(c);
      expect((await clusterInfo(c as Cluster)).masters).toBe(3);
      const s = await connect(tlsSentinel.config);
      await roundTrip(s);
      expect(((await (s as Redis).role()) as [string])[0]).toBe('master');
    } finally {
      // Closed first: a cluster client's idle subscriber left behind spins on the dead nodes
      // (the ioredis loop src/live/bus.ts works around), and warned of its close listeners.
      for (const client of clients.splice(0)) client.disconnect();
      await Promise.all([tlsCluster.stop(), tlsSentinel.stop()]);
    }
  }, 120_000);

  it('TLS: a missing CA file is named at start', () => {
    expect(() =>
      createRedisClient({ ...tls.config, tlsCaPath: '/nonexistent/ca.pem' }, { timeoutMs: 50 }),
    ).toThrow(/REDIS_TLS_CA: cannot read \/nonexistent\/ca.pem/);
  });

  it('ACL: REDIS_USERNAME / REDIS_PASSWORD log in; without them the server refuses', async () => {
    const client = await connect(acl.config);
    await roundTrip(client);
    expect(await (client as Redis).acl('WHOAMI')).toBe(acl.username);

    const anonymous = createRedisClient({ topology: acl.config.topology }, { timeoutMs: 2_000 });
    clients.push(anonymous);
    const errors: Error[] = [];
    anonymous.on('error', (error: Error) => errors.push(error));
    expect(await readyWithin(anonymous, 1_500)).toBe(false);
    const wrong = createRedisClient({ ...acl.config, password: 'wrong' }, { timeoutMs: 2_000 });
    clients.push(wrong);
    wrong.on('error', (error: Error) => errors.push(error));
    expect(await readyWithin(wrong, 1_500)).toBe(false);
    expect(errors.map((e) => e.message).join('\n')).toMatch(/WRONGPASS|NOAUTH|NOPERM/);
  });
});

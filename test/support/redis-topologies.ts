import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { Redis, type RedisOptions } from 'ioredis';
import type { RedisConfig, RedisNode } from '../../src/config.js';

// Real Redis topologies for tests, started from `redis-server` and `redis-cli` binaries and
// killed afterwards: a 3-master/3-replica cluster, a Sentinel set, a TLS server, an ACL user.

const run = promisify(execFile);
const HOST = '127.0.0.1';

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, HOST, () => server.close(() => resolve(true)));
  });
}

const taken = new Set<number>();
/**
 * A free port whose +10000 neighbour is free too (a cluster node's bus port), both below the
 * ephemeral range (Linux: from 32768), so that the bus port exists and no client connection
 * takes it between this check and the node's start. (Ports up to 32,000 put bus ports at up to
 * 42,000: CI once failed when a connection's own port was the bus port, 37750.)
 */
export async function freeClusterPort(): Promise<number> {
  for (let tries = 0; tries < 500; tries++) {
    const port = 10_000 + Math.floor(Math.random() * 12_000);
    if (taken.has(port) || taken.has(port + 10_000)) continue;
    if ((await portIsFree(port)) && (await portIsFree(port + 10_000))) {
      taken.add(port);
      taken.add(port + 10_000);
      return port;
    }
  }
  throw new Error('no free port pair found for a Redis Cluster node');
}

/** Fails with instructions when a binary the topology needs is missing. */
async function requireBinary(name: string, hint: string): Promise<void> {
  try {
    await run(name, [name === 'openssl' ? 'version' : '--version']);
  } catch {
    throw new Error(`${name} is needed by this test and was not found: ${hint}`);
  }
}

/**
 * Starts several topologies at once; when one fails, stops those that started and throws.
 */
export async function startAll<T extends readonly (() => Promise<{ stop(): Promise<void> }>)[]>(
  ...starters: T
): Promise<{ [K in keyof T]: Awaited<ReturnType<T[K]>> }> {
  const settled = await Promise.allSettled(starters.map((start) => start()));
  const failed = settled.find((s) => s.status === 'rejected');
  if (failed) {
    await Promise.all(settled.map((s) => (s.status === 'fulfilled' ? s.value.stop() : null)));
    throw (failed as PromiseRejectedResult).reason;
  }
  return settled.map((s) => (s as PromiseFulfilledResult<unknown>).value) as never;
}

export interface RedisProcess {
  port: number;
  child: ChildProcess;
  /** SIGKILL: a crash. Resolves once the process has exited. */
  kill(): Promise<void>;
  readonly alive: boolean;
}

const everyChild = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of everyChild) child.kill('SIGKILL');
});

function spawnRedis(args: string[], port: number, logFile: string): RedisProcess {
  const child = spawn('redis-server', [...args, '--logfile', logFile], { stdio: 'ignore' });
  everyChild.add(child);
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      everyChild.delete(child);
      resolve();
    });
  });
  return {
    port,
    child,
    get alive() {
      return child.exitCode === null && child.signalCode === null;
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Thrown by a check that can never succeed: `until` stops polling at once. */
class GiveUp extends Error {}

/** Polls `check` until it holds; throws with `what` after `timeoutMs`. */
export async function until(
  what: string,
  check: () => Promise<boolean> | boolean,
  timeoutMs = 20_000,
): Promise<number> {
  const started = Date.now();
  for (;;) {
    try {
      if (await check()) return Date.now() - started;
    } catch (error) {
      if (error instanceof GiveUp) throw error;
      // Not there yet.
    }
    if (Date.now() - started > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(50);
  }
}

async function withClient<T>(options: RedisOptions, work: (r: Redis) => Promise<T>): Promise<T> {
  const client = new Redis({
    host: HOST,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 1_000,
    ...options,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    return await work(client);
  } finally {
    client.disconnect();
  }
}

const answers = (options: RedisOptions) =>
  withClient(options, async (r) => (await r.ping()) === 'PONG');

/** PONG from that process; gives up when it has exited (a port taken meanwhile, say). */
function serves(p: RedisProcess, options: RedisOptions, logFile: string) {
  return async () => {
    if (!p.alive) {
      let log = '';
      try {
        log = readFileSync(logFile, 'utf8').split('\n').slice(-5).join('\n');
      } catch {}
      throw new GiveUp(`redis-server on port ${p.port} exited:\n${log}`);
    }
    return answers({ port: p.port, ...options });
  };
}

function baseArgs(port: number, dir: string): string[] {
  return [
    ...['--port', String(port), '--bind', HOST, '--dir', dir, '--save', '', '--appendonly', 'no'],
    // A replica's first sync starts at once: Redis 7 waits 5 s by default for more replicas to
    // share a diskless transfer, and every cluster and Sentinel set here has one per master.
    // That wait was most of a topology's start-up (6 s for the cluster, 7 s for Sentinel).
    ...['--repl-diskless-sync-delay', '0'],
  ];
}

/** Keys with their serialized values (DUMP) and remaining time to live. */
export type KeySnapshot = { key: string; value: Buffer; pttl: number }[];

/**
 * DUMPs every key matching `pattern` on the server at `port` (a test's own keys; SCAN is fine
 * here). With `restoreKeys` it gives a server back an older state of those keys: what a replica
 * that missed the last writes would hold when it is promoted.
 */
export function snapshotKeys(port: number, pattern: string): Promise<KeySnapshot> {
  return withClient({ port }, async (r) => {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await r.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      keys.push(...batch);
    } while (cursor !== '0');
    const out: KeySnapshot = [];
    for (const key of keys) {
      const [value, pttl] = await Promise.all([r.dumpBuffer(key), r.pttl(key)]);
      if (value) out.push({ key, value, pttl });
    }
    return out;
  });
}

export function restoreKeys(port: number, snapshot: KeySnapshot): Promise<void> {
  return withClient({ port }, async (r) => {
    for (const { key, value, pttl } of snapshot) {
      await r.restore(key, pttl > 0 ? pttl : 0, value, 'REPLACE');
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Cluster

export interface RedisClusterHandle {
  /** All six nodes, masters first as created. */
  processes: RedisProcess[];
  /** The seed nodes, as REDIS_CLUSTER_NODES lists them. */
  nodes: RedisNode[];
  config: RedisConfig;
  /** The port of the master that owns `key`'s slot now. */
  masterPortOf(key: string): Promise<number>;
  /** Ports of the current masters that answer. */
  masterPorts(): Promise<number[]>;
  /** Kills the node on that port (SIGKILL). */
  kill(port: number): Promise<void>;
  /** The port of the replica of the master on `masterPort`. */
  replicaPortOf(masterPort: number): Promise<number>;

  stop(): Promise<void>;
}

interface ClusterSlotRange {
  from: number;
  to: number;
  port: number;
}

/**
 * 3 masters and 3 replicas on loopback (`--cluster-enabled yes`, then `redis-cli --cluster
 * create … --cluster-replicas 1`), with a 1 s node timeout so that a killed master's replica
 * takes over within a few seconds.
 */
export async function startRedisCluster(
  options: { tls?: boolean } = {},
): Promise<RedisClusterHandle> {
  await requireBinary('redis-server', 'apt-get install redis-server');
  await requireBinary('redis-cli', 'apt-get install redis-tools');
  const dir = mkdtempSync(join(tmpdir(), 'hp-cluster-'));
  const certs = options.tls ? await makeTestCerts(dir) : null;
  const conn: RedisOptions = certs ? { tls: { ca: readFileSync(certs.caPath) } } : {};
  const ports: number[] = [];
  for (let i = 0; i < 6; i++) ports.push(await freeClusterPort());
  const processes = ports.map((port) => {
    const nodeDir = join(dir, String(port));
    mkdirSync(nodeDir);
    return spawnRedis(
      [
        ...baseArgs(port, nodeDir),
        ...(certs ? [...tlsArgs(port, certs), '--tls-cluster', 'yes'] : []),
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        `nodes-${port}.conf`,
        '--cluster-node-timeout',
        '1000',
        '--cluster-replica-validity-factor',
        '0',
        '--cluster-require-full-coverage',
        'no',
      ],
      port,
      join(dir, `redis-${port}.log`),
    );
  });
  const stop = async () => {
    await Promise.all(processes.map((p) => p.kill()));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const p of processes) {
      await until(
        `cluster node ${p.port} answers`,
        serves(p, conn, join(dir, `redis-${p.port}.log`)),
      );
    }
    await run('redis-cli', [
      ...(certs ? ['--tls', '--cacert', certs.caPath] : []),
      '--cluster',
      'create',
      ...ports.map((port) => `${HOST}:${port}`),
      '--cluster-replicas',
      '1',
      '--cluster-yes',
    ]);
    // Every node sees a complete cluster and every replica has synced with its master.
    await until(
      'cluster ready',
      async () => {
        for (const port of ports) {
          const [info, replication] = await withClient({ ...conn, port }, (r) =>
            Promise.all([r.cluster('INFO') as Promise<string>, r.info('replication')]),
          );
          if (!info.includes('cluster_state:ok') || !info.includes('cluster_known_nodes:6')) {
            return false;
          }
          if (replication.includes('role:slave') && !replication.includes('master_link_status:up'))
            return false;
        }
        return true;
      },
      30_000,
    );
  } catch (error) {
    await stop();
    throw error;
  }

  async function slotRanges(): Promise<ClusterSlotRange[]> {
    for (const p of processes) {
      if (!p.alive) continue;
      try {
        const slots = await withClient({ ...conn, port: p.port }, (r) => r.cluster('SLOTS'));
        return slots.map(([from, to, master]) => ({ from, to, port: Number(master?.[1]) }));
      } catch {}
    }
    throw new Error('no cluster node answers');
  }

  const nodes = ports.map((port) => ({ host: HOST, port }));
  return {
    processes,
    nodes,
    config: {
      topology: { kind: 'cluster', nodes },
      ...(certs ? { tlsCaPath: certs.caPath } : {}),
    },
    async masterPortOf(key) {
      const alive = processes.find((p) => p.alive);
      if (!alive) throw new Error('no cluster node is alive');
      const slot = (await withClient({ ...conn, port: alive.port }, (r) =>
        r.cluster('KEYSLOT', key),
      )) as number;
      const range = (await slotRanges()).find((r) => r.from <= slot && slot <= r.to);
      if (!range) throw new Error(`no master owns slot ${slot}`);
      return range.port;
    },
    async masterPorts() {
      return [...new Set((await slotRanges()).map((r) => r.port))];
    },
    async kill(port) {
      const target = processes.find((p) => p.port === port);
      if (!target) throw new Error(`no cluster node on port ${port}`);
      await target.kill();
    },
    async replicaPortOf(masterPort) {
      const info = await withClient({ ...conn, port: masterPort }, (r) => r.info('replication'));
      const port = info.match(/^slave0:.*port=(\d+)/m)?.[1];
      if (!port) throw new Error(`the master on ${masterPort} has no replica:\n${info}`);
      return Number(port);
    },
    stop,
  };
}

// ---------------------------------------------------------------------------------------------
// Sentinel

export interface SentinelHandle {
  name: string;
  master: RedisProcess;
  replica: RedisProcess;
  sentinels: RedisProcess[];
  config: RedisConfig;
  /** The master's port as the sentinels report it now. */
  masterPort(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * One master, one replica, three sentinels (quorum 2, down after 1 s), started with
 * `redis-server --sentinel`.
 */
export async function startSentinelSet(
  name = 'hotpath',
  options: { tls?: boolean } = {},
): Promise<SentinelHandle> {
  await requireBinary('redis-server', 'apt-get install redis-server');
  const dir = mkdtempSync(join(tmpdir(), 'hp-sentinel-'));
  const certs = options.tls ? await makeTestCerts(dir) : null;
  const conn: RedisOptions = certs ? { tls: { ca: readFileSync(certs.caPath) } } : {};
  const tls = (port: number) => (certs ? tlsArgs(port, certs) : []);
  const [masterPort, replicaPort, ...sentinelPorts] = await Promise.all(
    [0, 1, 2, 3, 4].map(() => freeClusterPort()),
  );
  const all: RedisProcess[] = [];
  const stop = async () => {
    await Promise.all(all.map((p) => p.kill()));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const sub of ['master', 'replica']) mkdirSync(join(dir, sub));
    const master = spawnRedis(
      [...baseArgs(masterPort, join(dir, 'master')), ...tls(masterPort)],
      masterPort,
      join(dir, 'master.log'),
    );
    all.push(master);
    await until('sentinel master answers', serves(master, conn, join(dir, 'master.log')));
    const replica = spawnRedis(
      [
        ...baseArgs(replicaPort, join(dir, 'replica')),
        ...tls(replicaPort),
        '--replicaof',
        HOST,
        String(masterPort),
      ],
      replicaPort,
      join(dir, 'replica.log'),
    );
    all.push(replica);
    await until('replica synced', () =>
      withClient({ ...conn, port: replicaPort }, async (r) =>
        (await r.info('replication')).includes('master_link_status:up'),
      ),
    );
    const sentinels = sentinelPorts.map((port) => {
      const conf = join(dir, `sentinel-${port}.conf`);
      writeFileSync(
        conf,
        [
          ...(certs
            ? [
                'port 0',
                `tls-port ${port}`,
                `tls-cert-file ${certs.certPath}`,
                `tls-key-file ${certs.keyPath}`,
                `tls-ca-cert-file ${certs.caPath}`,
                'tls-auth-clients no',
                'tls-replication yes',
              ]
            : [`port ${port}`]),
          `bind ${HOST}`,
          `dir ${dir}`,
          `sentinel monitor ${name} ${HOST} ${masterPort} 2`,
          `sentinel down-after-milliseconds ${name} 1000`,
          `sentinel failover-timeout ${name} 4000`,
          `sentinel parallel-syncs ${name} 1`,
          '',
        ].join('\n'),
      );
      return spawnRedis([conf, '--sentinel'], port, join(dir, `sentinel-${port}.log`));
    });
    all.push(...sentinels);
    // Each sentinel knows the replica and the two other sentinels.
    await until(
      'sentinels see each other and the replica',
      async () => {
        for (const port of sentinelPorts) {
          const ok = await withClient({ ...conn, port }, async (r) => {
            const peers = (await r.call('SENTINEL', 'SENTINELS', name)) as unknown[];
            const replicas = (await r.call('SENTINEL', 'REPLICAS', name)) as unknown[];
            return peers.length === 2 && replicas.length === 1;
          });
          if (!ok) return false;
        }
        return true;
      },
      30_000,
    );
    const sentinelNodes = sentinelPorts.map((port) => ({ host: HOST, port }));
    return {
      name,
      master,
      replica,
      sentinels,
      config: {
        topology: { kind: 'sentinel', sentinels: sentinelNodes, name },
        ...(certs ? { tlsCaPath: certs.caPath } : {}),
      },
      async masterPort() {
        for (const s of sentinels) {
          if (!s.alive) continue;
          const reply = (await withClient({ ...conn, port: s.port }, (r) =>
            r.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name),
          )) as [string, string];
          return Number(reply[1]);
        }
        throw new Error('no sentinel is alive');
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------
// TLS and ACL

export interface TlsRedisHandle {
  port: number;
  /** The CA that signed the server's certificate (PEM file). */
  caPath: string;
  /** A CA that signed nothing here: a client trusting only it must refuse the server. */
  otherCaPath: string;
  config: RedisConfig;
  stop(): Promise<void>;
}

async function makeCa(dir: string, stem: string): Promise<void> {
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    join(dir, `${stem}.key`),
    '-out',
    join(dir, `${stem}.crt`),
    '-days',
    '2',
    '-subj',
    `/CN=Hotpath test ${stem}`,
  ]);
}

export interface TestCerts {
  dir: string;
  /** The CA that signed the servers' certificate (PEM file). */
  caPath: string;
  /** A CA that signed nothing here: a client trusting only it must refuse the servers. */
  otherCaPath: string;
  certPath: string;
  keyPath: string;
}

/** A CA and a server certificate for 127.0.0.1 / localhost signed by it, made with openssl. */
export async function makeTestCerts(dir: string): Promise<TestCerts> {
  await requireBinary('openssl', 'apt-get install openssl');
  await makeCa(dir, 'ca');
  await makeCa(dir, 'other-ca');
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  await run('openssl', [
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    join(dir, 'redis.key'),
    '-out',
    join(dir, 'redis.csr'),
    '-subj',
    '/CN=localhost',
  ]);
  await run('openssl', [
    'x509',
    '-req',
    '-in',
    join(dir, 'redis.csr'),
    '-CA',
    join(dir, 'ca.crt'),
    '-CAkey',
    join(dir, 'ca.key'),
    '-CAcreateserial',
    '-out',
    join(dir, 'redis.crt'),
    '-days',
    '2',
    '-extfile',
    join(dir, 'san.ext'),
  ]);
  return {
    dir,
    caPath: join(dir, 'ca.crt'),
    otherCaPath: join(dir, 'other-ca.crt'),
    certPath: join(dir, 'redis.crt'),
    keyPath: join(dir, 'redis.key'),
  };
}

/** redis-server arguments: TLS only on `port` (no plain port), replication and bus over TLS. */
function tlsArgs(port: number, certs: TestCerts): string[] {
  return [
    '--port',
    '0',
    '--tls-port',
    String(port),
    '--tls-cert-file',
    certs.certPath,
    '--tls-key-file',
    certs.keyPath,
    '--tls-ca-cert-file',
    certs.caPath,
    '--tls-auth-clients',
    'no',
    '--tls-replication',
    'yes',
  ];
}

/** A redis-server with only a TLS port, its certificate signed by a CA made here with openssl. */
export async function startTlsRedis(): Promise<TlsRedisHandle> {
  await requireBinary('redis-server', 'apt-get install redis-server (built with TLS)');
  const dir = mkdtempSync(join(tmpdir(), 'hp-tls-'));
  await makeTestCerts(dir);
  const port = await freeClusterPort();
  const server = spawnRedis(
    [
      '--port',
      '0',
      '--tls-port',
      String(port),
      '--bind',
      HOST,
      '--dir',
      dir,
      '--save',
      '',
      '--appendonly',
      'no',
      '--tls-cert-file',
      join(dir, 'redis.crt'),
      '--tls-key-file',
      join(dir, 'redis.key'),
      '--tls-ca-cert-file',
      join(dir, 'ca.crt'),
      '--tls-auth-clients',
      'no',
    ],
    port,
    join(dir, 'redis.log'),
  );
  const caPath = join(dir, 'ca.crt');
  const stop = async () => {
    await server.kill();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await until(
      'TLS redis answers',
      serves(server, { tls: { ca: readFileSync(caPath) } }, join(dir, 'redis.log')),
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    port,
    caPath,
    otherCaPath: join(dir, 'other-ca.crt'),
    config: {
      topology: { kind: 'standalone', url: `rediss://${HOST}:${port}` },
      tlsCaPath: caPath,
    },
    stop,
  };
}

export interface AclRedisHandle {
  port: number;
  username: string;
  password: string;
  config: RedisConfig;
  stop(): Promise<void>;
}

/** A redis-server whose default user is off: only the ACL user `hotpath` gets in. */
export async function startAclRedis(): Promise<AclRedisHandle> {
  await requireBinary('redis-server', 'apt-get install redis-server');
  const dir = mkdtempSync(join(tmpdir(), 'hp-acl-'));
  const port = await freeClusterPort();
  const username = 'hotpath';
  const password = `pw-${Math.random().toString(36).slice(2)}`;
  const server = spawnRedis(
    [
      ...baseArgs(port, dir),
      // Command-line words become one config line: `user default off`.
      ...['--user', 'default', 'off'],
      ...['--user', username, 'on', `>${password}`, '~*', '&*', '+@all'],
    ],
    port,
    join(dir, 'redis.log'),
  );
  const stop = async () => {
    await server.kill();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await until(
      'ACL redis answers',
      serves(server, { username, password }, join(dir, 'redis.log')),
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    port,
    username,
    password,
    config: {
      topology: { kind: 'standalone', url: `redis://${HOST}:${port}` },
      username,
      password,
    },
    stop,
  };
}

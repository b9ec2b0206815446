import { readFileSync } from 'node:fs';
import { Socket } from 'node:net';
import { Cluster, Redis, type RedisOptions, SentinelConnector } from 'ioredis';
import type { RedisConfig } from '../../../redis-config.js';

/**
 * The one Redis client type of the app: a single server or a Sentinel-managed master (`Redis`),
 * or a Redis Cluster (`Cluster`). Every script of the store touches the keys of one hash slot.
 */
export type RedisClient = Redis | Cluster;

export interface RedisClientOptions {
  /** Every command is bounded by this (CACHE_TIMEOUT_MS). */
  timeoutMs: number;
}

const reconnect = (attempt: number) => Math.min(50 * 2 ** attempt, 1_000);

/**
 * The options every connection shares: no offline queue (a command while disconnected rejects
 * at once instead of waiting for a reconnect), auto-pipelining (but on a cluster: see below),
 * every command bounded by the cache timeout, no
 * retry of a failed command (the breaker decides), reconnection forever in the background, and
 * the ACL user, password and TLS CA of the configuration.
 */
function connectionOptions(config: RedisConfig, timeoutMs: number): RedisOptions {
  return {
    enableOfflineQueue: false,
    // Commands issued in the same tick go out in one write: concurrent hits share round trips.
    // (The copies' check is batched per event-loop turn already and sends its MGET at once:
    // near.ts, mgetAtOnce.)
    enableAutoPipelining: true,
    commandTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    connectTimeout: Math.max(1_000, timeoutMs * 20),
    retryStrategy: reconnect,
    ...(config.username !== undefined ? { username: config.username } : {}),
    ...(config.password !== undefined ? { password: config.password } : {}),
    ...(config.tlsCaPath !== undefined ? { tls: { ca: readCa(config.tlsCaPath) } } : {}),
  };
}

function readCa(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new Error(`REDIS_TLS_CA: cannot read ${path}: ${(error as Error).message}`);
  }
}

/**
 * The cache's Redis client for the configured topology, failing fast (see connectionOptions).
 * Cluster: the same options go to every node connection, the cluster itself has no offline
 * queue either and re-reads the slot map forever. Sentinel: the sentinels are asked for the
 * master at every (re)connection, so a failover is followed. `duplicate()` gives a second
 * connection of the same kind (for pub/sub) on both.
 */
export function createRedisClient(url: string, options: RedisClientOptions): Redis;
export function createRedisClient(config: RedisConfig, options: RedisClientOptions): RedisClient;
export function createRedisClient(
  target: RedisConfig | string,
  options: RedisClientOptions,
): RedisClient {
  // A URL alone is a single server (tests, tools); the app passes its whole configuration.
  const config: RedisConfig =
    typeof target === 'string' ? { topology: { kind: 'standalone', url: target } } : target;
  const common = connectionOptions(config, options.timeoutMs);
  const { topology } = config;
  switch (topology.kind) {
    case 'standalone':
      return new Redis(topology.url, common);
    case 'sentinel':
      return new Redis({
        ...common,
        // With a CA, the sentinels are spoken to over TLS as well as the master.
        ...(common.tls ? { enableTLSForSentinelMode: true, sentinelTLS: common.tls } : {}),
        sentinels: topology.sentinels,
        name: topology.name,
        role: 'master',
        sentinelRetryStrategy: reconnect,
        sentinelCommandTimeout: Math.max(1_000, options.timeoutMs * 20),
        // Listen to +switch-master instead of only learning of a failover by a broken socket.
        failoverDetector: true,
        Connector: ReconnectingSentinelConnector,
      });
    case 'cluster': {
      const { retryStrategy: _perNode, ...nodeOptions } = common;
      const redisOptions = { ...nodeOptions, enableAutoPipelining: false };
      return new Cluster(topology.nodes, {
        enableOfflineQueue: false,
        // Not on a cluster (ioredis 5.11): while a slot moves, an auto-pipelined batch that
        // meets an ASK redirection is sent again whole to the importing master, so a key still
        // on the old one reads as missing (test/cache/cluster-ask.test.ts), and that retry can
        // end in an uncaught TypeError in autoPipelining.js ("results[i] is not iterable",
        // redis/ioredis#1931), which ends the process (Vitest caught one in CI, during the
        // resharding test). Each command goes on its own and ioredis follows its redirection.
        enableAutoPipelining: false,
        // A node that went away is dropped from the pool; the cluster reconnects through the
        // others, forever.
        clusterRetryStrategy: reconnect,
        redisOptions,
        // Failovers move slots: retry a redirected command soon, and re-read the map often.
        retryDelayOnFailover: 50,
        retryDelayOnClusterDown: 50,
        retryDelayOnTryAgain: 50,
        retryDelayOnMoved: 0,
        maxRedirections: 4,
        slotsRefreshInterval: 1_000,
        slotsRefreshTimeout: Math.max(1_000, options.timeoutMs * 20),
      });
    }
  }
}

/**
 * ioredis's SentinelConnector, except that a connection attempt that fails is a connection that
 * closed. ioredis 5.11 ends a Sentinel client for good (status 'end', no retry) when its
 * failover detector hears +switch-master while the client is reconnecting and a sentinel has
 * not answered yet: the detector's disconnect makes that attempt throw "Connection is closed."
 * and Redis#_connect gives up. Handed a closed stream instead, the client runs its own close
 * handler, which reconnects (retryStrategy) unless the close was asked for (disconnect, quit).
 * test/cache/sentinel-reconnect.test.ts makes that moment certain.
 */
class ReconnectingSentinelConnector extends SentinelConnector {
  // ioredis's ConnectorConstructor takes `unknown`; it passes the client's options.
  constructor(options: unknown) {
    super(options as ConstructorParameters<typeof SentinelConnector>[0]);
  }

  override connect(...args: Parameters<SentinelConnector['connect']>) {
    return super.connect(...args).catch(() => {
      const closed = new Socket();
      closed.destroy();
      return closed;
    });
  }
}

/** Resolves true once the client is ready, false after `timeoutMs`. */
export function whenReady(client: RedisClient, timeoutMs: number): Promise<boolean> {
  if (client.status === 'ready') return Promise.resolve(true);
  return new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => {
      client.off('ready', onReady);
      resolve(false);
    }, timeoutMs);
    const onReady = () => {
      clearTimeout(timer);
      resolve(true);
    };
    client.once('ready', onReady);
  });
}

import { readFileSync } from 'node:fs';
import { Socket } from 'node:net';
import { Cluster, type Command, Redis, type RedisOptions, SentinelConnector } from 'ioredis';
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
 * at once instead of waiting for a reconnect), no auto-pipelining (holdTurns below sends a
 * turn's commands in one write instead), every command bounded by the cache timeout, no
 * retry of a failed command (the breaker decides), reconnection forever in the background, and
 * the ACL user, password and TLS CA of the configuration.
 */
function connectionOptions(config: RedisConfig, timeoutMs: number): RedisOptions {
  return {
    enableOfflineQueue: false,
    // Its Pipeline objects outlive their replies in V8's young collections (holdTurns).
    enableAutoPipelining: false,
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
/** `client`, holding its turn's commands for one write (holdTurns). */
function holding(client: Redis): Redis {
  holdTurns(client);
  return client;
}

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
      return holding(new Redis(topology.url, common));
    case 'sentinel':
      return holding(
        new Redis({
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
        }),
      );
    case 'cluster': {
      const { retryStrategy: _perNode, ...redisOptions } = common;
      const cluster = new Cluster(topology.nodes, {
        enableOfflineQueue: false,
        // Not on a cluster (ioredis 5.11): while a slot moves, an auto-pipelined batch that
        // meets an ASK redirection is sent again whole to the importing master, so a key still
        // on the old one reads as missing (test/cache/cluster-ask.test.ts), and that retry can
        // end in an uncaught TypeError in autoPipelining.js ("results[i] is not iterable",
        // redis/ioredis#1931), which ends the process (Vitest caught one in CI, during the
        // resharding test). Each command goes on its own and ioredis follows its redirection;
        // a node's commands of one turn share a write (holdTurns).
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
      // Each node's commands of a turn in one write (holdTurns); its first nodes connect after
      // this turn, so none is missed.
      cluster.on('+node', holdTurns);
      return cluster;
    }
  }
}

/**
 * Makes a connection write the commands sent in one event-loop turn in one write, after the
 * turn's I/O callbacks, in the order they were sent: what ioredis's auto-pipelining did, without
 * its Pipeline objects (issue 19). ioredis 5.11 defines an accessor with a closure of its own on
 * every Pipeline it makes (`length`), so each Pipeline gets a hidden class of its own, which
 * lives in the old generation and holds the Pipeline, its commands, their arguments and the
 * callbacks waiting for them: all of it survived V8's young collections until the next full
 * one. An agenda miss with Redis promoted about 900 KB per scavenge that way, against under
 * 1 KB with the cache off (test/api/young-garbage.test.ts).
 * A command is handed to ioredis when the turn's commands are written, as auto-pipelining did:
 * its timeout (CACHE_TIMEOUT_MS) runs from there, so an event loop that stalls after sending it
 * doesn't time it out before it was written (test/cache/breaker.test.ts). Each is handed over
 * on its own: on a cluster's node connection (which ioredis's cluster client, without
 * auto-pipelining, wrote one by one) each follows its own redirection (ASK, MOVED), and an
 * ASKING goes right before the command it is for. A command given its own stream (ioredis's
 * handshake, a Pipeline) or sent while not ready goes through at once.
 */
function holdTurns(client: Holding): void {
  client[HELD] = [];
  client.sendCommand = (command: Command, stream?: Parameters<Redis['sendCommand']>[1]) =>
    stream !== undefined || client.status !== 'ready'
      ? Redis.prototype.sendCommand.call(client, command, stream)
      : hold(client, command);
}

/** The commands a connection holds for its turn's write (holdTurns). */
const HELD = Symbol('hotpath.held');
type Holding = Redis & { [HELD]?: Command[] };

function hold(client: Holding, command: Command): unknown {
  const held = client[HELD] as Command[];
  held.push(command);
  if (held.length === 1) setImmediate(writeHeld, client);
  return command.promise;
}

function writeHeld(client: Holding): void {
  const held = client[HELD];
  if (!held || held.length === 0) return;
  client[HELD] = [];
  const socket = client.stream;
  socket?.cork();
  for (const command of held) Redis.prototype.sendCommand.call(client, command);
  socket?.uncork();
}

/**
 * Writes the commands a single server's (or Sentinel master's) client holds for this turn now,
 * instead of after the turn's I/O; nothing on a cluster.
 */
export function flushWrites(client: RedisClient): void {
  if (HELD in client) writeHeld(client as Holding);
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

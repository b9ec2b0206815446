import { Cluster, type Redis } from 'ioredis';
import type { RedisClient } from './redis/client.js';
import type { LookupOptions, ResponseStore, StoreInfo } from './store.js';

/** Store figures over the whole topology: keys and memory summed over every master. */
export interface TopologyStoreInfo extends StoreInfo {
  /** How many masters the figures are summed over: 1 for a single server or Sentinel. */
  masters: number;
}

function infoField(text: string, name: string): string | undefined {
  const match = text.match(new RegExp(`^${name}:(.*)$`, 'm'));
  return match?.[1]?.trim();
}

const numberOf = (value: string | undefined) =>
  value === undefined || !Number.isFinite(Number(value)) ? null : Number(value);

/**
 * Keys and used memory summed over every master of a cluster (a single node's INFO and DBSIZE
 * describe only its own slots), connected clients summed too, and the version of the first.
 */
export async function clusterInfo(cluster: Cluster): Promise<TopologyStoreInfo> {
  const masters = cluster.nodes('master');
  if (masters.length === 0) throw new Error('no Redis Cluster master is known yet');
  const perNode = await Promise.all(
    masters.map(async (node) => {
      const [text, keys] = await Promise.all([node.info(), node.dbsize()]);
      return { text, keys };
    }),
  );
  const sum = (pick: (n: (typeof perNode)[number]) => number | null) =>
    perNode.reduce<number | null>((total, n) => {
      const value = pick(n);
      return total === null || value === null ? null : total + value;
    }, 0);
  return {
    keys: sum((n) => n.keys),
    usedMemoryBytes: sum((n) => numberOf(infoField(n.text, 'used_memory'))),
    connectedClients: sum((n) => numberOf(infoField(n.text, 'connected_clients'))),
    version: infoField(perNode[0]?.text ?? '', 'redis_version') ?? null,
    masters: masters.length,
  };
}

/**
 * The hook between a store and the topology for `cacheStats`: the store's own info() on a
 * single server or Sentinel master (one master), the per-master sum on a cluster. Every other
 * member is the store's own, whatever the store grows (a Proxy, not a copy of today's methods).
 */
export function withTopologyInfo<S extends ResponseStore>(store: S, client: RedisClient): S {
  async function info(): Promise<TopologyStoreInfo> {
    if (client instanceof Cluster) return clusterInfo(client);
    return { ...(await store.info()), masters: 1 };
  }
  return overriding(store, { info });
}

/**
 * The store with `own` members in place of its own; every other member is the store's (bound
 * once), whatever the store grows: a Proxy, not a copy of today's methods.
 */
function overriding<S extends object>(store: S, own: Partial<Record<PropertyKey, unknown>>): S {
  const bound = new Map<PropertyKey, unknown>();
  return new Proxy(store, {
    get(target, property) {
      if (Object.hasOwn(own, property)) return own[property];
      const value = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      let fn = bound.get(property);
      if (fn === undefined) {
        fn = value.bind(target);
        bound.set(property, fn);
      }
      return fn;
    },
  });
}

export interface FailoverGuardOptions {
  /** How long to wait between two attempts to bump the epoch. */
  retryMs: number;
  /** Told when the master changed and the epoch was bumped. */
  onBump?: (epoch: number, reason: string) => void;
}

class MasterChanged extends Error {
  constructor() {
    super('the Redis master may have changed: serving from the database until the epoch is bumped');
  }
}

const addressOf = (node: Redis) => `${node.options.host}:${node.options.port}`;

/**
 * Replication is asynchronous: an invalidation the old master acknowledged may never have
 * reached the replica that replaces it, which then still holds the entries it removed. So when
 * the master may have changed, lookups fail (the request is served from the database) until the
 * epoch has been bumped on the new master, which makes every entry of before unreachable.
 *
 * - single server or Sentinel: a closed connection makes the master suspect; at the next
 *   'ready' the server's run_id says whether it is the same process (nothing to do) or another
 *   one (a promoted replica, or a restart): then the epoch is bumped.
 * - Cluster: losing the connection to a master makes it suspect; a slot map in which that
 *   address is no longer a master (its replica took over) bumps the epoch, and the node coming
 *   back as a master clears it.
 */
export function guardFailover<S extends ResponseStore>(
  store: S,
  client: RedisClient,
  options: FailoverGuardOptions,
): S {
  let suspect = false;
  let bumping: Promise<void> | null = null;
  let closed = false;

  function bump(reason: string): Promise<void> {
    bumping ??= (async () => {
      while (!closed) {
        try {
          const epoch = await store.purge();
          suspect = false;
          options.onBump?.(epoch, reason);
          return;
        } catch {
          await new Promise((resolve) => setTimeout(resolve, options.retryMs).unref());
        }
      }
    })().finally(() => {
      bumping = null;
    });
    return bumping;
  }

  if (client instanceof Cluster) {
    let masters: Set<string> | null = null;
    // Masters whose connection was lost, until they answer again or the epoch is bumped.
    const lost = new Set<string>();
    const current = () => new Set(client.nodes('master').map(addressOf));
    client.on('refresh', () => {
      const now = current();
      const gone = masters ? [...masters].filter((m) => !now.has(m)) : [];
      masters = now;
      if (gone.length > 0) {
        suspect = true;
        void bump(`master ${gone.join(', ')} replaced`).then(() => {
          if (!suspect) lost.clear();
        });
      }
    });
    // The cluster passes the node's connection only (no key): its address is the key.
    client.on('-node', (node: Redis) => {
      const key = addressOf(node);
      if (!masters?.has(key)) return;
      lost.add(key);
      suspect = true;
    });
    client.on('+node', (node: Redis) => {
      const key = addressOf(node);
      node.once('ready', () => {
        // A lost master answering again, still a master (a dropped connection): nothing was
        // lost with it. Any other node's answer says nothing about the lost ones.
        if (!lost.has(key) || bumping || !current().has(key) || !masters?.has(key)) return;
        lost.delete(key);
        if (lost.size === 0) suspect = false;
      });
    });
  } else {
    let runId: string | null = null;
    const identify = async () => {
      while (!closed && client.status === 'ready') {
        try {
          const id = infoField(await client.info('server'), 'run_id') ?? null;
          if (runId !== null && id !== runId) {
            runId = id;
            await bump('another Redis process answers');
          } else {
            runId = id;
            suspect = false;
          }
          return;
        } catch {
          await new Promise((resolve) => setTimeout(resolve, options.retryMs).unref());
        }
      }
    };
    client.on('close', () => {
      if (runId !== null) suspect = true;
    });
    client.on('ready', () => void identify());
    if (client.status === 'ready') void identify();
  }

  const own: Partial<Record<PropertyKey, unknown>> = {
    lookup: (scope: string, key: string, options?: LookupOptions) =>
      suspect ? Promise.reject(new MasterChanged()) : store.lookup(scope, key, options),
    close: () => {
      closed = true;
      return store.close();
    },
  };
  return overriding(store, own);
}

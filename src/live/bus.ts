import { randomUUID } from 'node:crypto';
import { Cluster } from 'ioredis';
import type { Logger } from 'pino';
import type { RedisClient } from '../cache/store/redis/client.js';

/** What an invalidation tells the live queries of every instance. */
export interface InvalidationNotice {
  /** The tenant whose tags were invalidated; null: everything (a purge). */
  tenantId: string | null;
  tags: string[];
  /** When it was applied (epoch ms), for the push-latency histogram. */
  at: number;
}

export interface InvalidationBusOptions {
  /** The cache's Redis: one connection publishes, a duplicate subscribes. null: one process. */
  redis: RedisClient | null;
  prefix: string;
  logger: Logger;
  /**
   * Every notice, this instance's own at once and the others' as they arrive. For its own, a
   * promise of the live results it re-executes: they are announced to the others once it
   * settles (at most LOCAL_FIRST_MS later), so that those hit what this instance stored.
   */
  onNotice: (notice: InvalidationNotice) => Promise<void> | undefined;
  /**
   * The subscription came back after a break: notices may have been lost meanwhile (the outbox
   * applied them in Redis, but this instance heard nothing), so every live result is checked.
   */
  onResync: () => void;
}

/**
 * The longest this instance's own re-executions delay the notice to the others: past it they
 * run on their own (and may miss, as it did).
 */
const LOCAL_FIRST_MS = 150;
/** How often the bus's subscriber on a Redis Cluster checks the cluster through its pool. */
const CLUSTER_HEARTBEAT_MS = 500;

/**
 * Tells every instance which tags were invalidated, over Redis pub/sub (one channel per
 * CACHE_PREFIX). The cache itself needs no such channel (a lookup checks versions in Redis);
 * live queries do, because nobody asks until something is pushed. Whoever applies an
 * invalidation in Redis publishes it, so a write whose instance was cut off is announced by
 * the instance whose outbox sweep applies it.
 */
export function createInvalidationBus(options: InvalidationBusOptions) {
  const self = randomUUID();
  const channel = `${options.prefix}:live:invalidated`;
  const log = options.logger.child({ component: 'live-bus' });
  const publisher = options.redis;
  // This bus subscribes again itself on every 'ready', with its failure handled. ioredis's
  // own resubscription (autoResubscribe) sends a second SUBSCRIBE whose promise nobody holds:
  // a connection cut right after 'ready' rejects it as an unhandled rejection.
  const subscriber = !publisher
    ? null
    : publisher instanceof Cluster
      ? publisher.duplicate(undefined, {
          redisOptions: { ...publisher.options.redisOptions, autoResubscribe: false },
        })
      : publisher.duplicate({ autoResubscribe: false });
  let broken = false;
  // ioredis 5.11 on a Redis Cluster: the duplicate's pub/sub connection, when it ends, picks
  // another node at once, with no delay, and does so again as each attempt fails. Its own pool
  // sends nothing else, so when every node is down it never learns that the cluster is gone,
  // and the picking went on as fast as connections were refused: a core of CPU for as long as
  // the outage lasted (test/live/bus.test.ts). A PING through the pool every half second makes
  // it notice, reconnect with the backoff of the rest, and stop the picking until it is back.
  const heartbeat =
    subscriber instanceof Cluster
      ? setInterval(() => {
          if (subscriber.status === 'ready') subscriber.ping().catch(() => {});
        }, CLUSTER_HEARTBEAT_MS)
      : null;
  heartbeat?.unref();
  if (subscriber) {
    subscriber.on('error', (err) => log.debug({ err }, 'live subscription error'));
    subscriber.on('close', () => {
      broken = true;
    });
    subscriber.on('ready', () => {
      // enableOfflineQueue is off: (re)subscribe once connected, never queued before.
      subscriber.subscribe(channel).then(
        () => {
          if (broken) options.onResync();
          broken = false;
        },
        (err) => log.warn({ err }, 'live subscription failed; retrying on reconnect'),
      );
    });
    subscriber.on('message', (from: string, message: string) => {
      if (from !== channel) return;
      let parsed: { i?: string; t?: string | null; g?: string[]; at?: number };
      try {
        parsed = JSON.parse(message);
      } catch {
        return;
      }
      if (parsed.i === self || !Array.isArray(parsed.g)) return;
      options.onNotice({
        tenantId: typeof parsed.t === 'string' ? parsed.t : null,
        tags: parsed.g.filter((tag): tag is string => typeof tag === 'string'),
        at: Math.min(Date.now(), typeof parsed.at === 'number' ? parsed.at : Date.now()),
      });
    });
  }

  return {
    /** Announces an invalidation applied here: to this instance now, to the others by Redis. */
    publish(tenantId: string | null, tags: string[]) {
      const at = Date.now();
      const local = options.onNotice({ tenantId, tags, at });
      if (!publisher) return;
      const message = JSON.stringify({ i: self, t: tenantId, g: tags, at });
      const send = () =>
        publisher.publish(channel, message).catch((err: unknown) => {
          // The others' subscriptions are cut as well, or will resync when they come back.
          log.debug({ err }, 'live notice not published');
        });
      if (!local) {
        void send();
        return;
      }
      // The fleet pays one execution: this instance runs (and stores) first, the others hit.
      let timer: NodeJS.Timeout | undefined;
      const waited = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, LOCAL_FIRST_MS);
      });
      void Promise.race([local.catch(() => {}), waited]).then(() => {
        clearTimeout(timer);
        return send();
      });
    },
    async close() {
      if (heartbeat) clearInterval(heartbeat);
      subscriber?.disconnect();
    },
  };
}

export type InvalidationBus = ReturnType<typeof createInvalidationBus>;

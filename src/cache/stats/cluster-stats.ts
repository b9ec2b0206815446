import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import type { CacheStats } from './stats.js';
import {
  BUCKET_MS,
  bucketOf,
  type Fields,
  HISTORY_MS,
  type InvalidationEvent,
  MAX_OPERATIONS,
  OTHER_OPERATIONS,
  RECENT_INVALIDATIONS,
  type StatsView,
  summarize,
} from './view.js';

/** The shared totals outlive the last instance that flushed by this long (7 days). */
export const IDLE_TTL_MS = 7 * 24 * 60 * 60_000;

/**
 * The most fields the shared totals hash holds: two per operation (hits, misses) for
 * MAX_OPERATIONS operations, plus the plain counters. Every instance, past and present, adds
 * to the same hash, so each process's own bound is not enough: a name the hash doesn't hold
 * once it is full is counted under OTHER_OPERATIONS.
 */
export const MAX_TOTALS_FIELDS = 2 * MAX_OPERATIONS + 16;

/** HINCRBY of each (field, by) in ARGV[2..]; a new field past ARGV[1] fields goes to OTHER. */
const ADD_OPERATIONS = `
local limit = tonumber(ARGV[1])
for i = 2, #ARGV, 2 do
  local field = ARGV[i]
  -- Two fields are kept for OTHER's hits and misses.
  if redis.call('HEXISTS', KEYS[1], field) == 0 and redis.call('HLEN', KEYS[1]) >= limit - 2 then
    field = string.sub(field, 1, 4) .. '${OTHER_OPERATIONS}'
  end
  redis.call('HINCRBY', KEYS[1], field, ARGV[i + 1])
end
return 1`;

export interface ClusterStatsOptions {
  /**
   * A connection of its own (fail-fast, bounded commands), so that a stats pipeline never
   * queues ahead of the cache's lookups. The caller closes it.
   */
  redis: Redis;
  /** CACHE_PREFIX. */
  prefix: string;
  stats: CacheStats;
  /** CACHE_STATS_FLUSH_MS: how often this process adds its counts to the shared ones. */
  flushIntervalMs: number;
  now?: () => number;
  onError?: (error: unknown) => void;
}

export interface ClusterView extends StatsView {
  /** Instances that flushed within the last few intervals, this one included. */
  instances: number;
  /** When the first instance began counting under this prefix. */
  since: Date;
  /** Newest first, from every instance. */
  recentInvalidations: InvalidationEvent[];
}

/**
 * Key names. Every stats key carries the hash tag `{stats}`: they live in one Redis Cluster
 * slot, so one MULTI can write all of them and one pipeline read them. Each metric hash is a
 * single key; no script spans slots.
 */
export function clusterStatsKeys(prefix: string) {
  return {
    totals: `${prefix}:{stats}:totals`,
    bucket: (start: number) => `${prefix}:{stats}:b:${start}`,
    instances: `${prefix}:{stats}:instances`,
    invalidations: `${prefix}:{stats}:invalidations`,
  };
}

/**
 * Cluster-wide totals kept in Redis: every `flushIntervalMs` each process drains what it counted
 * since the last flush and adds it with one MULTI of HINCRBYs (totals hash, one hash per
 * BUCKET_MS of history, expiring after an hour) plus its heartbeat; never a Redis write per
 * request. A flush Redis refuses is given back and retried with the next one.
 */
export function createClusterStats(options: ClusterStatsOptions) {
  const { redis, stats } = options;
  const now = options.now ?? Date.now;
  const keys = clusterStatsKeys(options.prefix);
  const instanceId = `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`;
  const onError = options.onError ?? (() => {});
  const activeWithinMs = Math.max(3 * options.flushIntervalMs, 5_000);
  let flushing: Promise<void> | null = null;
  // Buckets no instance will add to any more, kept from earlier reads: a read fetches the hour
  // once, then only the last few buckets.
  const settled = new Map<number, Fields>();
  const settleAfterMs = Math.max(3 * options.flushIntervalMs, 5_000);
  stats.shareWithCluster();

  async function writeDelta(): Promise<void> {
    const delta = stats.drain();
    if (!delta) return;
    const at = now();
    const tx = redis.multi();
    tx.hsetnx(keys.totals, 'since', String(stats.startedAt));
    const operations: (string | number)[] = [];
    for (const [name, by] of delta.totals) {
      // Per-operation reasons stay per instance: names × reasons, across instances, is no bound.
      if (name.startsWith('r:')) continue;
      if (name.startsWith('o:')) operations.push(name, by);
      else tx.hincrby(keys.totals, name, by);
    }
    if (operations.length > 0) {
      tx.eval(ADD_OPERATIONS, 1, keys.totals, MAX_TOTALS_FIELDS, ...operations);
    }
    for (const [start, fields] of delta.buckets) {
      const key = keys.bucket(start);
      for (const [name, by] of fields) tx.hincrby(key, name, by);
      tx.pexpireat(key, start + HISTORY_MS + BUCKET_MS);
    }
    if (delta.invalidations.length > 0) {
      // Oldest first, so that the newest ends up at the head of the list.
      tx.lpush(keys.invalidations, ...delta.invalidations.map((e) => JSON.stringify(e)));
      tx.ltrim(keys.invalidations, 0, RECENT_INVALIDATIONS - 1);
    }
    tx.hset(keys.instances, instanceId, String(at));
    // A prefix no instance uses any more cleans itself up.
    for (const key of [keys.totals, keys.instances, keys.invalidations])
      tx.pexpire(key, IDLE_TTL_MS);
    try {
      const results = await tx.exec();
      const failed = results?.find(([error]) => error);
      if (!results || failed) throw failed?.[0] ?? new Error('stats transaction discarded');
    } catch (error) {
      stats.giveBack(delta);
      onError(error);
    }
  }

  /** One flush at a time; a caller arriving during one waits for it and then runs its own. */
  async function flush(): Promise<void> {
    while (flushing) await flushing;
    flushing = writeDelta().finally(() => {
      flushing = null;
    });
    return flushing;
  }

  const timer = setInterval(() => void flush(), options.flushIntervalMs);
  timer.unref();

  return {
    instanceId,
    flush,
    /**
     * Flushes this process's counts (so they are current), then reads back the totals, the
     * heartbeats, the recent invalidations and the buckets not settled yet with one pipeline.
     * Rejects when Redis does not answer.
     */
    async read(): Promise<ClusterView> {
      await flush();
      const at = now();
      const last = bucketOf(at);
      const oldest = last - HISTORY_MS + BUCKET_MS;
      for (const start of settled.keys()) if (start < oldest) settled.delete(start);
      const wanted: number[] = [];
      for (let s = oldest; s <= last; s += BUCKET_MS) if (!settled.has(s)) wanted.push(s);
      const pipe = redis.pipeline();
      pipe.hgetall(keys.totals);
      pipe.hgetall(keys.instances);
      pipe.lrange(keys.invalidations, 0, RECENT_INVALIDATIONS - 1);
      for (const s of wanted) pipe.hgetall(keys.bucket(s));
      const results = await pipe.exec();
      if (!results) throw new Error('stats read discarded');
      for (const [error] of results) if (error) throw error;
      const value = (i: number) => results[i][1];

      const rawTotals = value(0) as Record<string, string>;
      const totals: Fields = new Map();
      for (const [name, v] of Object.entries(rawTotals)) {
        if (name !== 'since') totals.set(name, Number(v));
      }
      const since = Number(rawTotals.since ?? stats.startedAt);

      const seen = value(1) as Record<string, string>;
      const stale: string[] = [];
      let instances = 0;
      for (const [id, lastSeen] of Object.entries(seen)) {
        const age = at - Number(lastSeen);
        if (age <= activeWithinMs) instances++;
        else if (age > HISTORY_MS) stale.push(id);
      }
      if (stale.length > 0) redis.hdel(keys.instances, ...stale).catch(onError);

      const invalidations = (value(2) as string[]).map((s) => JSON.parse(s) as InvalidationEvent);

      const buckets = new Map<number, Fields>(settled);
      wanted.forEach((start, i) => {
        const fields: Fields = new Map();
        for (const [name, v] of Object.entries(value(3 + i) as Record<string, string>)) {
          fields.set(name, Number(v));
        }
        if (fields.size > 0) buckets.set(start, fields);
        // Every live instance has flushed since this bucket ended: it won't change any more.
        if (start + BUCKET_MS <= at - settleAfterMs) settled.set(start, fields);
      });

      return {
        ...summarize(totals, buckets, at, since),
        instances,
        since: new Date(since),
        recentInvalidations: invalidations,
      };
    },
    /** Stops the timer and hands in what is left. */
    async close() {
      clearInterval(timer);
      await flush();
    },
  };
}

export type ClusterStats = ReturnType<typeof createClusterStats>;

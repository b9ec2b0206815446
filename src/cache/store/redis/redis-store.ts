import type { Cluster } from 'ioredis';
import { identityBody } from '../body.js';
import type { RecentEntries } from '../recent-entries.js';
import {
  DEFAULT_INDEX_MAX,
  DEFAULT_MAX_TTL_MS,
  expandTags,
  graceMs,
  type LookupResult,
  type ResponseStore,
  type StoreInfo,
  storedTtlMs,
} from '../store.js';
import type { RedisClient } from './client.js';
import { redisKeys } from './keys.js';
import { createNearCopies, type NearEntry } from './near.js';
import { parsePayload, payloadOf, payloadText, tagsField, tagsOf } from './payload.js';
import { INIT_EPOCH, INVALIDATE, LOOKUP, PURGE, SAVE, type Script } from './scripts.js';

/** CACHE_LOG_MAX's default: the most tags a scope's invalidation log keeps. */
export const DEFAULT_LOG_MAX = 1_000;

export interface RedisStoreOptions {
  /**
   * The client, created and configured by the caller (enableOfflineQueue: false and a
   * commandTimeout, so that a dead Redis fails fast instead of queueing). Must not use
   * `keyPrefix`: the scripts compute their keys themselves. The store attaches an 'error'
   * listener to it and removes it on close(); it never closes the client.
   */
  redis: RedisClient;
  /** CACHE_PREFIX: the first segment of every key, e.g. 'hotpath'. */
  prefix: string;
  /** Hash of the printed schema; part of every entry key, so a schema change starts afresh. */
  schemaHash: string;
  /**
   * Expiry of entries saved with ttlMs null (default 7 days), so that entries left behind by a
   * purged epoch or an old schema can never hold memory forever. They still report ttlMs null.
   */
  maxTtlMs?: number;
  /** The most entry keys one tag's index set holds (default 1000): memory stays bounded. */
  indexMax?: number;
  /**
   * CACHE_LOG_MAX: the most tags a scope's invalidation log keeps (default 1000), the newest.
   * An entry (or copy) last proven valid before the oldest of them can't be proven any more
   * and reads as a miss; the bound keeps each scope's log, and the work of a lookup that has
   * to read it, bounded.
   */
  logMax?: number;
  /** Receives the errors the client emits (default: ignored). */
  onError?: (error: Error) => void;
  /**
   * CACHE_NEAR_MAX_BYTES: the in-process copies of entries read from Redis (0: none). A copy is
   * served only after one round trip shows that neither the epoch nor the scope's clock moved
   * since it was proven valid (DESIGN §6). When the clock moved, a second one reads the tags
   * the scope's log holds since then, and the copy stays (proven at the new clock) when none is
   * one of its tags; a purge, an invalidation of one of its tags, or a log that can't prove it
   * (lost, trimmed past it, missing an invalidation) sends the lookup back to Redis.
   */
  nearMaxBytes?: number;
  /** Clock in ms for the copies' TTLs (default performance.now), for tests. */
  now?: () => number;
  /**
   * What this process saved or read from Redis, to tell why a lookup found nothing (Redis
   * keeps no trace of a deleted key). An entry another instance saved and that expired reads
   * as `first` here.
   */
  recent?: RecentEntries | null;
}

function parseInfo(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split('\r\n')) {
    const at = line.indexOf(':');
    if (at > 0 && !line.startsWith('#')) fields.set(line.slice(0, at), line.slice(at + 1));
  }
  return fields;
}

function numberOrNull(value: string | undefined): number | null {
  if (value === undefined) return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : null;
}

/** The response store on Redis; works the same on Redis Cluster (one hash slot per scope). */
export function createRedisStore(options: RedisStoreOptions): ResponseStore {
  const { redis, schemaHash } = options;
  const maxTtlMs = options.maxTtlMs ?? DEFAULT_MAX_TTL_MS;
  const indexMax = options.indexMax ?? DEFAULT_INDEX_MAX;
  const logMax = options.logMax ?? DEFAULT_LOG_MAX;
  const onError = options.onError ?? (() => {});
  const now = options.now ?? (() => performance.now());
  const keys = redisKeys(options.prefix);
  const isCluster = (redis as Cluster).isCluster === true;
  redis.on('error', onError);
  // The last epoch a lookup read: each lookup sends it and reads the real one in the same round
  // trip; when they differ (a purge), the lookup is repeated with the new one.
  let epoch = '';
  const copies = createNearCopies({
    redis,
    keys,
    isCluster,
    maxBytes: options.nearMaxBytes ?? 0,
    now,
    run,
    onEpoch: (current) => {
      epoch = current;
    },
  });
  const near = copies.lru;

  async function run(s: Script, scriptKeys: string[], args: (string | number | Buffer)[]) {
    try {
      return await redis.evalsha(s.sha, scriptKeys.length, ...scriptKeys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return redis.eval(s.source, scriptKeys.length, ...scriptKeys, ...args);
    }
  }

  /**
   * Hit: [1, pttl, clock, validAt]; expired: [2, pttl, clock, generation]; miss: [0, clock,
   * generation, why] (scripts.ts LOOKUP).
   */
  type Reply = (string | number)[];
  const str = (value: string | number | undefined) => (value === undefined ? '' : String(value));

  /**
   * The lookup script, then a read of the entry's payload (and of its tags when `withTags`),
   * written together (one round trip, auto-pipelined like every command) so its bytes never
   * pass through Lua. Redis runs them in that order on this connection; a write of another
   * client between them can only make the payload newer than the one judged (a save, itself
   * proven fresh) or absent (a delete): a miss. The reverse order would not be safe, so a script
   * Redis lost sends both again.
   */
  async function judge(
    entryKey: string,
    scope: string,
    expected: string,
    source: boolean,
    withTags: boolean,
  ) {
    const args = [entryKey, keys.seq(scope), keys.log(scope), expected] as const;
    const [reply, read] = await Promise.all([
      source ? redis.eval(LOOKUP.source, 3, ...args) : redis.evalsha(LOOKUP.sha, 3, ...args),
      withTags ? redis.hmgetBuffer(entryKey, '.', '#') : redis.hgetBuffer(entryKey, '.'),
    ]);
    const [payload, tags] = Array.isArray(read) ? read : [read, null];
    return { reply: reply as Reply, payload, tags };
  }

  /**
   * A lookup without the script (issue 19: calling it was most of Redis's CPU per lookup): the
   * entry's PTTL, then its fields (the fixed three, the payload and, when `withTags`, the tags)
   * in one HMGET, the scope clock, Redis TIME and the epoch: five commands in that order in one
   * write (auto-pipelined: never MGET, which the client sends at once, ahead of the others),
   * answered as the script would answer.
   * - The entry was valid at the clock it records (`~`). When the clock read after it still has
   *   that value, no invalidation happened since (every one raises it): the script's O(1) case.
   *   The payload comes with `~` from one command, so it is the body that was proven. Between
   *   the PTTL and the HMGET a write of another client can only delete the entry (no fields: a
   *   miss) or save a newer one, proven fresh at its save (its payload with a TTL read before
   *   it, never longer than its own).
   * - A miss (no entry, another epoch, an expired one) notes max(TIME, clock), as the script's
   *   does: read before the miss executes, so any write its execution might not see is
   *   invalidated later, at a clock at least that great, and refuses its save.
   * Anything else (a clock that moved since the entry was proven: the log must be read; an
   * entry of the previous format): no reply, and the script judges. Not on Redis Cluster,
   * where TIME goes to any node: the script reads the clock of the node that holds the scope.
   */
  async function plainLookup(entryKey: string, scope: string, expected: string, withTags: boolean) {
    const [pttl, read, clock, time, current] = await Promise.all([
      redis.pttl(entryKey),
      withTags
        ? redis.hmgetBuffer(entryKey, ',', '@', '~', '.', '#')
        : redis.hmgetBuffer(entryKey, ',', '@', '~', '.'),
      redis.get(keys.seq(scope)),
      redis.time(),
      redis.get(keys.epoch),
    ]);
    const [grace, saved, validAt] = read.slice(0, 3).map((field) => field?.toString() ?? null);
    const payload = read[3] ?? null;
    const tags = withTags ? (read[4] ?? null) : null;
    const judged = (reply: Reply | null) => ({ current, reply, payload, tags });
    const now = Number(time[0]) * 1_000_000 + Number(time[1]);
    if (clock === null) {
      // An entry without its scope's clock: the script deletes it (it can't be proven).
      if (grace !== null) return judged(null);
      // A scope without a clock (new, or its clock was lost): started just below this lookup,
      // as the script does, so that any later write is above it. Not waited for: the save
      // goes out behind it on this connection, and refuses what it can't prove (a write that
      // started the clock first, or a clock that still isn't there).
      redis.set(keys.seq(scope), String(now - 1), 'NX').catch(onError);
      return judged([0, String(now), String(now - 1), '']);
    }
    const atMiss = String(Math.max(now, Number(clock)));
    const miss = (why: string) => judged([0, atMiss, clock, why]);
    if (grace === null) return miss('');
    if (saved !== expected) return miss('i');
    if (validAt !== clock) return judged(null);
    if (pttl > Number(grace)) return judged([1, pttl, clock, validAt]);
    if (pttl < 0) return miss('');
    return judged([2, pttl, atMiss, clock]);
  }

  async function lookupOnce(scope: string, key: string, withTags: boolean) {
    // The epoch the script compares with: `epoch` may change while this lookup is in flight.
    const expected = epoch;
    const entryKey = keys.entry(scope, schemaHash, key);
    const scripted = () =>
      judge(entryKey, scope, expected, false, withTags).catch((error: unknown) => {
        if (!(error instanceof Error) || !error.message.includes('NOSCRIPT')) throw error;
        return judge(entryKey, scope, expected, true, withTags);
      });
    if (isCluster) {
      // Sent together: on Redis Cluster they may go to two nodes, still at once.
      const [current, judged] = await Promise.all([redis.get(keys.epoch), scripted()]);
      return { current, ...judged, expected };
    }
    // One round trip, and a second one only when the script must judge (the epoch read in the
    // first is the one compared).
    const plain = await plainLookup(entryKey, scope, expected, withTags);
    if (plain.reply !== null) return { ...plain, reply: plain.reply, expected };
    return { current: plain.current, ...(await scripted()), expected };
  }

  return {
    backend: 'REDIS',

    async lookup(scope, key, lookupOptions): Promise<LookupResult> {
      const nearKey = `${scope}\0${key}`;
      if (near) {
        const copy = await copies.lookup(scope, nearKey);
        if (copy) return copy;
      }
      // The tags, when the caller wants them or a copy is to be made (its proof after a write
      // reads them); otherwise the lookup leaves them in Redis (issue 19).
      const withTags = near !== null || lookupOptions?.tags !== false;
      const startedAt = now();
      let found = await lookupOnce(scope, key, withTags);
      if (found.current !== null && found.current !== found.expected) {
        // A purge since this process last looked: look again under the new epoch.
        epoch = found.current;
        found = await lookupOnce(scope, key, withTags);
      }
      const { current, reply, payload: bytes, expected } = found;
      const code = Number(reply[0]);
      if (code !== 0 && (bytes === null || (withTags && found.tags === null))) {
        // Deleted between the script and the HGET (an invalidation, an eviction): a miss whose
        // save is refused (epoch -1), as this lookup saw no clock to save under.
        return { hit: false, seq: 0, epoch: -1, generation: '', stale: null };
      }
      const [clock, generation] =
        code === 0
          ? [str(reply[1]), str(reply[2])]
          : [str(reply[2]), code === 2 ? str(reply[3]) : ''];
      if (current === null || current !== expected) {
        // No epoch (never purged, evicted, a Redis that lost its data): create one. Entries
        // saved before recorded another, so none of them is served; the save that follows
        // goes under the new one. An epoch that changed again meanwhile: save nothing.
        const fresh = current === null;
        if (fresh) epoch = String(await run(INIT_EPOCH, [keys.epoch], [epoch || '0']));
        const seq = code === 1 ? 0 : Number(clock);
        return {
          hit: false,
          seq,
          epoch: fresh && code !== 1 ? Number(epoch) : -1,
          generation,
          stale: null,
        };
      }
      if (code === 0) {
        const reason =
          str(reply[3]) === 'i'
            ? ('invalidated' as const)
            : options.recent?.reasonOf(scope, key, `${current}.${generation}`);
        const miss = {
          hit: false as const,
          seq: Number(clock),
          epoch: Number(current),
          generation,
          stale: null,
        };
        return reason ? { ...miss, reason } : miss;
      }
      const payload = parsePayload(bytes as Buffer);
      const tags = found.tags ? tagsOf(found.tags) : null;
      const pttl = Number(reply[1]);
      if (code === 1) {
        const ttlMs = payload.neverExpires ? null : Math.max(0, pttl - payload.graceMs);
        if (near && clock !== '' && tags) {
          const copy: NearEntry = {
            body: payload.body,
            tags,
            expanded: new Set(expandTags(tags)),
            neverExpires: payload.neverExpires,
            // From before the round trip: the copy never outlives the entry.
            freshUntil: startedAt + (ttlMs ?? pttl),
            epoch: current,
            // The clock the script proved the entry valid at.
            clock: str(reply[3]),
          };
          near.set(nearKey, copy);
          // Its JSON, once a client that doesn't take gzip asked for it, counted in the bound:
          // the LRU measures only a new value (issue 19; memory-store.ts does the same).
          payload.body.keepPlain(
            () => near.peek(nearKey) === copy && copies.keepResized(nearKey, copy),
          );
        }
        options.recent?.remember(scope, key, ttlMs, `${current}.${clock}`);
        return { hit: true, body: payload.body, tags, ttlMs };
      }
      return {
        reason: 'expired',
        hit: false,
        seq: Number(clock),
        epoch: Number(current),
        generation,
        stale: {
          body: payload.body.text(),
          expiredMs: Math.max(0, payload.graceMs - pttl),
          swrMs: payload.swrMs,
        },
      };
    },

    async save(scope, key, entry) {
      if (entry.seenEpoch < 0) return 'stale';
      const grace = graceMs(entry);
      const px = storedTtlMs(entry.ttlMs, maxTtlMs) + grace;
      const neverExpires = entry.ttlMs === null || entry.ttlMs === Number.POSITIVE_INFINITY;
      const expanded = expandTags(entry.tags);
      const body = entry.prepared ?? identityBody(entry.body);
      const stored = {
        neverExpires,
        swrMs: neverExpires ? 0 : Math.ceil(entry.swrMs ?? 0),
        graceMs: grace,
        body,
      };
      // A body stored as it is goes as the text it is (its bytes are that text's UTF-8).
      const payload =
        body.encoding === 'identity' ? payloadText(stored, entry.body) : payloadOf(stored);
      const saved = await run(
        SAVE,
        [keys.entry(scope, schemaHash, key), keys.seq(scope), keys.log(scope)],
        [
          keys.index(scope, ''),
          payload,
          px,
          grace,
          entry.seenSeq,
          String(entry.seenEpoch),
          indexMax,
          tagsField(entry.tags),
          expanded.length,
          expanded.join('\0'),
        ],
      );
      if (saved === 0) return 'stale';
      options.recent?.remember(
        scope,
        key,
        neverExpires ? null : storedTtlMs(entry.ttlMs, maxTtlMs),
        `${entry.seenEpoch}.${String(saved)}`,
      );
      return 'stored';
    },

    async invalidate(scope, tags) {
      const unique = [...new Set(tags)].filter((tag) => tag !== '');
      if (unique.length === 0) return 0;
      return Number(
        await run(
          INVALIDATE,
          [keys.seq(scope), keys.log(scope)],
          [keys.index(scope, ''), logMax, keys.version(scope, ''), ...unique],
        ),
      );
    },

    async purge() {
      const value = String(await run(PURGE, [keys.epoch], []));
      epoch = value;
      near?.clear();
      return Number(value);
    },

    async info(): Promise<StoreInfo> {
      const [text, keyCount] = await Promise.all([redis.info(), redis.dbsize()]);
      const fields = parseInfo(text);
      return {
        keys: keyCount,
        usedMemoryBytes: numberOrNull(fields.get('used_memory')),
        version: fields.get('redis_version') ?? null,
        connectedClients: numberOrNull(fields.get('connected_clients')),
      };
    },

    nearStats: copies.stats,

    async ping() {
      await redis.ping();
    },

    async close() {
      near?.clear();
      redis.off('error', onError);
    },
  };
}

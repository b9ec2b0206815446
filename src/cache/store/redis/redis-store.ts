import type { Cluster } from 'ioredis';
import { identityBody } from '../body.js';
import type { RecentEntries } from '../recent-entries.js';
import {
  DEFAULT_INDEX_MAX,
  DEFAULT_MAX_TTL_MS,
  expandTags,
  graceMs,
  isTryAgain,
  type LookupOptions,
  type LookupResult,
  type ResponseStore,
  SlotMoving,
  type StoreInfo,
  storedTtlMs,
} from '../store.js';
import type { RedisClient } from './client.js';
import { createEntryReads, str } from './entry-reads.js';
import { redisKeys } from './keys.js';
import { createNearCopies, type NearEntry, nearKeyOf } from './near.js';
import { parsePayload, payloadOf, payloadText, tagsField, tagsOf } from './payload.js';
import { ADVANCE, INIT_EPOCH, INVALIDATE, PURGE, SAVE, type Script } from './scripts.js';

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
  // The greatest epoch this process has read or made: a purge goes above it even when Redis
  // lost the key (PURGE), as a lost epoch is created again above it (INIT_EPOCH).
  let greatestEpoch = '0';
  const known = (value: string) => {
    if (Number(value) > Number(greatestEpoch)) greatestEpoch = value;
  };
  const copies = createNearCopies({
    redis,
    keys,
    isCluster,
    maxBytes: options.nearMaxBytes ?? 0,
    now,
    run,
    onEpoch: (current) => {
      epoch = current;
      known(current);
    },
  });
  const near = copies.lru;
  // savesInOrder(): a save's EVALSHA goes out before any later command of this process, on the
  // same connection, and Redis answers a connection's commands in order; unless Redis refuses
  // it with NOSCRIPT (a new server, SCRIPT FLUSH): it is then sent again as EVAL after that
  // round trip, behind the commands sent meanwhile. So saves are in order once one was applied
  // on this connection (which leaves the script in the server's cache), until a NOSCRIPT or a
  // new connection (which may be to another server: a failover). Never on a cluster, whose
  // nodes each have a script cache of their own.
  let saveScriptProven = false;
  redis.on('ready', () => {
    saveScriptProven = false;
  });
  const reads = createEntryReads({ redis, keys, schemaHash, isCluster, onError });

  async function run(s: Script, scriptKeys: string[], args: (string | number | Buffer)[]) {
    try {
      const reply = await redis.evalsha(s.sha, scriptKeys.length, ...scriptKeys, ...args);
      if (s === SAVE) saveScriptProven = !isCluster;
      return reply;
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      if (s === SAVE) saveScriptProven = false;
      const reply = await redis.eval(s.source, scriptKeys.length, ...scriptKeys, ...args);
      // Loaded now: the next save's EVALSHA is answered in order.
      if (s === SAVE) saveScriptProven = !isCluster;
      return reply;
    }
  }

  /** A lookup in Redis: the entry's read, and a copy kept of what it served. */
  async function read(
    scope: string,
    key: string,
    lookupOptions: LookupOptions | undefined,
  ): Promise<LookupResult> {
    const nearKey = nearKeyOf(scope, key);
    // The tags, when the caller wants them or a copy is to be made (its proof after a write
    // reads them); otherwise the lookup leaves them in Redis (issue 19).
    const withTags = near !== null || lookupOptions?.tags !== false;
    const startedAt = now();
    // The epoch the lookup compares with: `epoch` may change while it is in flight.
    let found = await reads.read(scope, key, epoch, withTags);
    if (found.current !== null && found.current !== found.expected) {
      // A purge since this process last looked: look again under the new epoch.
      epoch = found.current;
      known(epoch);
      found = await reads.read(scope, key, epoch, withTags);
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
      if (fresh) {
        epoch = String(await run(INIT_EPOCH, [keys.epoch], [greatestEpoch]));
        known(epoch);
      }
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
  }

  return {
    backend: 'REDIS',

    lookup(scope, key, lookupOptions): Promise<LookupResult> {
      // A copy held: its check, then Redis if it fails, in one promise (issue 19).
      const checked = near && copies.lookup(scope, key, () => read(scope, key, lookupOptions));
      return checked || read(scope, key, lookupOptions);
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
      let removed: number;
      try {
        removed = Number(
          await run(
            INVALIDATE,
            [keys.seq(scope), keys.log(scope)],
            [keys.index(scope, ''), logMax, keys.version(scope, ''), ...unique],
          ),
        );
      } catch (error) {
        if (!isTryAgain(error)) throw error;
        // The clock and the log on both sides of a slot on the move (or the log not on the old
        // master): refused for as long as the move keeps them apart, while other instances'
        // copies, checked against the clock alone, would serve what this write made stale. The
        // clock alone can be raised: every entry of the scope misses from then on.
        await run(ADVANCE, [keys.seq(scope)], []);
        throw new SlotMoving();
      }
      if (removed < 0) throw new SlotMoving();
      return removed;
    },

    async purge() {
      const value = String(await run(PURGE, [keys.epoch], [greatestEpoch]));
      epoch = value;
      known(value);
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
    savesInOrder: () => saveScriptProven,

    async ping() {
      await redis.ping();
    },

    async close() {
      near?.clear();
      redis.off('error', onError);
    },
  };
}

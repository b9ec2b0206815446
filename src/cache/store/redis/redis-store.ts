import DataLoader from 'dataloader';
import type { Cluster } from 'ioredis';
import { LRUCache } from 'lru-cache';
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
import type { NearEntry } from './near.js';
import { parsePayload, payloadOf } from './payload.js';
import { CHANGES, INIT_EPOCH, INVALIDATE, LOOKUP, PURGE, SAVE, type Script } from './scripts.js';

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

/** What a scope's log holds since a clock (scripts.ts CHANGES); '' for a missing clock or marker. */
interface ScopeChanges {
  clock: string;
  marker: string;
  /** [tag, clock of its latest invalidation], oldest first. */
  changed: [string, number][];
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
  const nearMaxBytes = options.nearMaxBytes ?? 0;
  const near =
    nearMaxBytes > 0
      ? new LRUCache<string, NearEntry>({
          maxSize: nearMaxBytes,
          // What a copy holds: its body bytes, its key and tag strings, and about 500 bytes of
          // objects (the entry, StoredBody, Buffer and LRU slots; see memory-store.ts sizeOf).
          // The expanded tag set: about 50 bytes a member besides the string.
          sizeCalculation: (entry, key) => {
            let bytes = 512 + entry.body.bytes.length + key.length + entry.body.etag.length;
            bytes += entry.body.extraBytes(); // a gzipped body's closing and JSON (once asked for)
            for (const tag of entry.tags) bytes += 16 + tag.length;
            for (const tag of entry.expanded) bytes += 50 + tag.length;
            return bytes;
          },
        })
      : null;
  let nearHits = 0;
  let nearKept = 0;
  const keepResized = (nearKey: string, copy: NearEntry) =>
    near?.set(nearKey, { ...copy }).get(nearKey) !== undefined;

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
   * The lookup script, then an HGET of the entry's payload, written together (one round trip,
   * auto-pipelined like every command) so its bytes never pass through Lua. Redis runs them in
   * that order on this connection; a write of another client between them can only make the
   * payload newer than the one judged (a save, itself proven fresh) or absent (a delete): a
   * miss. The reverse order would not be safe, so a script Redis lost sends both again.
   */
  async function judge(entryKey: string, scope: string, expected: string, source: boolean) {
    const args = [entryKey, keys.seq(scope), keys.log(scope), expected] as const;
    const [reply, payload] = await Promise.all([
      source ? redis.eval(LOOKUP.source, 3, ...args) : redis.evalsha(LOOKUP.sha, 3, ...args),
      redis.hgetBuffer(entryKey, '.'),
    ]);
    return { reply: reply as Reply, payload };
  }

  async function lookupOnce(scope: string, key: string) {
    // The epoch the script compares with: `epoch` may change while this lookup is in flight.
    const expected = epoch;
    const entryKey = keys.entry(scope, schemaHash, key);
    const judged = judge(entryKey, scope, expected, false).catch((error: unknown) => {
      if (!(error instanceof Error) || !error.message.includes('NOSCRIPT')) throw error;
      return judge(entryKey, scope, expected, true);
    });
    // Sent together: one round trip. On Redis Cluster they may go to two nodes, still at once.
    const [current, { reply, payload }] = await Promise.all([redis.get(keys.epoch), judged]);
    return { current, reply, payload, expected };
  }

  /**
   * The epoch and the clocks of the scopes whose copies this event-loop turn wants checked,
   * in one command (DataLoader, flushed by setImmediate): concurrent hits share the round trip.
   * Each read still happens after every request it answers arrived, so none is answered by a
   * read older than itself. Not cached across turns.
   */
  const clocks = new DataLoader<string, [string | null, string | null]>(
    async (scopes) => {
      if (isCluster) {
        // The epoch and each scope live in their own slots: one GET each, sent at once.
        const [current, ...values] = await Promise.all([
          redis.get(keys.epoch),
          ...scopes.map((scope) => redis.get(keys.seq(scope))),
        ]);
        return values.map((value) => [current, value]);
      }
      const [current, ...values] = await redis.mget(keys.epoch, ...scopes.map(keys.seq));
      return values.map((value) => [current, value]);
    },
    { cache: false, maxBatchSize: 500, batchScheduleFn: (run) => setImmediate(run) },
  );

  /**
   * What the scopes' logs hold since the copies' clocks, for the copies whose scope clock moved
   * this event-loop turn: one script per scope (from the oldest clock asked), sent at once,
   * shared by every copy of the scope checked in the turn. Read after every request it answers
   * arrived, like the clocks.
   */
  const changes = new DataLoader<{ scope: string; since: string }, ScopeChanges>(
    async (asks) => {
      const since = new Map<string, string>();
      for (const ask of asks) {
        const known = since.get(ask.scope);
        if (known === undefined || Number(ask.since) < Number(known)) {
          since.set(ask.scope, ask.since);
        }
      }
      const read = new Map<string, Promise<ScopeChanges>>();
      for (const [scope, from] of since) {
        read.set(
          scope,
          run(CHANGES, [keys.seq(scope), keys.log(scope)], [from]).then((reply) => {
            const [clock, marker, ...flat] = (reply as string[]).map(String);
            const changed: [string, number][] = [];
            for (let i = 0; i + 1 < flat.length; i += 2)
              changed.push([flat[i], Number(flat[i + 1])]);
            return { clock, marker, changed };
          }),
        );
      }
      return Promise.all(asks.map((ask) => read.get(ask.scope) as Promise<ScopeChanges>));
    },
    { cache: false, maxBatchSize: 500, batchScheduleFn: (run) => setImmediate(run) },
  );

  /**
   * The clock the copy is proven valid at now, or null: the log covers its clock (marker),
   * holds the scope clock's latest invalidation, and none of the tags invalidated since is one
   * of the copy's (expanded) tags. The same proof as the lookup script's.
   */
  function provenAt(copy: NearEntry, read: ScopeChanges): string | null {
    if (read.clock === '' || read.marker === '') return null;
    const at = Number(copy.clock);
    // Already proven at this read's clock or later (by another hit this read answered, or a
    // newer one): nothing happened since that this read could show.
    if (Number(read.clock) <= at) return copy.clock;
    if (Number(read.marker) > at) return null;
    let newest = Number.NEGATIVE_INFINITY;
    for (const [tag, score] of read.changed) {
      if (score <= at) continue;
      if (copy.expanded.has(tag)) return null;
      newest = score;
    }
    if (newest < Number(read.clock)) return null;
    return Number(read.clock) > at ? read.clock : copy.clock;
  }

  /**
   * The in-process copy, when one round trip shows it is still what Redis would serve: no
   * purge (the epoch) and no invalidation in its scope (the clock, which every invalidation
   * raises and which a lost clock can't repeat) since it was proven valid; or, when the clock
   * moved, a second round trip shows that none of the invalidations since touched it.
   */
  async function nearLookup(scope: string, nearKey: string) {
    const copy = near?.get(nearKey);
    if (!copy) return null;
    const at = now();
    if (!copy.neverExpires && at >= copy.freshUntil) {
      near?.delete(nearKey);
      return null;
    }
    const [current, clock] = await clocks.load(scope);
    if (current === copy.epoch && clock !== null && clock !== copy.clock) {
      const proven = provenAt(copy, await changes.load({ scope, since: copy.clock }));
      if (proven !== null) {
        copy.clock = proven;
        nearKept++;
        return nearHit(nearKey, copy);
      }
    } else if (current === copy.epoch && clock === copy.clock) {
      return nearHit(nearKey, copy);
    }
    near?.delete(nearKey);
    if (current !== null && current !== epoch) epoch = current;
    return null;
  }

  function nearHit(nearKey: string, copy: NearEntry) {
    const left = copy.freshUntil - now();
    if (!copy.neverExpires && left <= 0) {
      near?.delete(nearKey);
      return null;
    }
    nearHits++;
    return {
      hit: true as const,
      body: copy.body,
      tags: copy.tags,
      ttlMs: copy.neverExpires ? null : Math.ceil(left),
      near: true,
    };
  }

  return {
    backend: 'REDIS',

    async lookup(scope, key): Promise<LookupResult> {
      const nearKey = `${scope}\0${key}`;
      if (near) {
        const copy = await nearLookup(scope, nearKey);
        if (copy) return copy;
      }
      const startedAt = now();
      let { current, reply, payload: bytes, expected } = await lookupOnce(scope, key);
      if (current !== null && current !== expected) {
        // A purge since this process last looked: look again under the new epoch.
        epoch = current;
        ({ current, reply, payload: bytes, expected } = await lookupOnce(scope, key));
      }
      const code = Number(reply[0]);
      if (code !== 0 && bytes === null) {
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
      const pttl = Number(reply[1]);
      if (code === 1) {
        const ttlMs = payload.neverExpires ? null : Math.max(0, pttl - payload.graceMs);
        if (near && clock !== '') {
          const copy: NearEntry = {
            body: payload.body,
            tags: payload.tags,
            expanded: new Set(expandTags(payload.tags)),
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
          payload.body.keepPlain(() => near.peek(nearKey) === copy && keepResized(nearKey, copy));
        }
        options.recent?.remember(scope, key, ttlMs, `${current}.${clock}`);
        return { hit: true, body: payload.body, tags: payload.tags, ttlMs };
      }
      return {
        reason: 'expired',
        hit: false,
        seq: Number(clock),
        epoch: Number(current),
        generation,
        stale: {
          body: payload.body.text(),
          tags: payload.tags,
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
      const payload = payloadOf({
        neverExpires,
        swrMs: neverExpires ? 0 : Math.ceil(entry.swrMs ?? 0),
        graceMs: grace,
        tags: entry.tags,
        body: entry.prepared ?? identityBody(entry.body),
      });
      const stored = await run(
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
          ...expanded,
        ],
      );
      if (stored === 0) return 'stale';
      options.recent?.remember(
        scope,
        key,
        neverExpires ? null : storedTtlMs(entry.ttlMs, maxTtlMs),
        `${entry.seenEpoch}.${String(stored)}`,
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

    nearStats: () =>
      near && {
        hits: nearHits,
        kept: nearKept,
        entries: near.size,
        bytes: near.calculatedSize ?? 0,
      },

    async ping() {
      await redis.ping();
    },

    async close() {
      near?.clear();
      redis.off('error', onError);
    },
  };
}

import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import {
  DEFAULT_MARKER_TTL_MS,
  DEFAULT_MAX_TTL_MS,
  expandTags,
  type LookupResult,
  type ResponseStore,
  type StoreInfo,
  storedTtlMs,
} from './store.js';

export interface RedisStoreOptions {
  /**
   * The client, created and configured by the caller (enableOfflineQueue: false and a
   * commandTimeout, so that a dead Redis fails fast instead of queueing). Must not use
   * `keyPrefix`: the scripts compute their keys themselves. The store attaches an 'error'
   * listener to it and removes it on close(); it never closes the client.
   */
  redis: Redis;
  /** CACHE_PREFIX: the first segment of every key and of the pub/sub channel, e.g. 'hotpath'. */
  prefix: string;
  /** Hash of the printed schema; part of every entry key, so a schema change starts afresh. */
  schemaHash: string;
  /**
   * Expiry of entries saved with ttlMs null (default 7 days), so that entries left behind by a
   * purged epoch or an old schema can never hold memory forever. They still report ttlMs null.
   */
  maxTtlMs?: number;
  /**
   * How long an invalidation marker lives (default 120 s): a save whose execution started more
   * than this long before a competing invalidation is no longer refused.
   */
  markerTtlMs?: number;
  /** How often the epoch is re-read from Redis, besides pub/sub (default 1000 ms). */
  epochRefreshMs?: number;
  /** Receives the errors the client and the subscriber connection emit (default: ignored). */
  onError?: (error: Error) => void;
}

/** Key names; see the layout in store.ts. Every per-scope key starts with `slot(scope)`. */
export function redisKeys(prefix: string) {
  const slot = (scope: string): string => {
    if (scope === '' || /[{}]/.test(scope)) throw new TypeError(`Invalid cache scope: ${scope}`);
    return `${prefix}:{t:${scope}}:`;
  };
  return {
    epoch: `${prefix}:epoch`,
    events: `${prefix}:events`,
    slot,
    entry: (scope: string, schemaHash: string, epoch: number, key: string) =>
      `${slot(scope)}${schemaHash}:${epoch}:r:${key}`,
    tagSet: (scope: string, tag: string) => `${slot(scope)}tag:${tag}`,
    seq: (scope: string) => `${slot(scope)}seq`,
    marker: (scope: string, tag: string) => `${slot(scope)}inv:${tag}`,
  };
}

interface Script {
  source: string;
  sha: string;
}

function script(source: string): Script {
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

// KEYS: entry, seq. Hit: {1, value, pttl}; miss: {0, seq}.
const LOOKUP = script(`
local value = redis.call('GET', KEYS[1])
if value then
  return {1, value, redis.call('PTTL', KEYS[1])}
end
return {0, tonumber(redis.call('GET', KEYS[2]) or '0')}
`);

// KEYS: entry, seq, tag sets (n), markers (n). ARGV: value, px, seenSeq. 1 stored, 0 stale.
// A seq below seenSeq means Redis lost its data since the lookup (a restart without
// persistence): the markers that would refuse this save may be gone too, so refuse it.
const SAVE = script(`
local n = (#KEYS - 2) / 2
local seen = tonumber(ARGV[3])
if tonumber(redis.call('GET', KEYS[2]) or '0') < seen then
  return 0
end
for i = n + 3, 2 * n + 2 do
  local marker = redis.call('GET', KEYS[i])
  if marker and tonumber(marker) > seen then
    return 0
  end
end
local px = tonumber(ARGV[2])
redis.call('SET', KEYS[1], ARGV[1], 'PX', px)
for i = 3, n + 2 do
  redis.call('SADD', KEYS[i], KEYS[1])
  if redis.call('PTTL', KEYS[i]) < px then
    redis.call('PEXPIRE', KEYS[i], px)
  end
end
return 1
`);

// KEYS: seq, tag sets (n), markers (n). ARGV: markerTtlMs. Returns the number of entries removed.
// The entry keys read from the sets are not declared in KEYS; they are built with the same
// {t:<scope>} hash tag, so they live in the same slot as the declared keys.
const INVALIDATE = script(`
local seq = redis.call('INCR', KEYS[1])
local n = (#KEYS - 1) / 2
local removed = 0
for i = 2, n + 1 do
  local members = redis.call('SMEMBERS', KEYS[i])
  for j = 1, #members, 1000 do
    removed = removed + redis.call('DEL', unpack(members, j, math.min(j + 999, #members)))
  end
  redis.call('DEL', KEYS[i])
  redis.call('SET', KEYS[n + i], seq, 'PX', ARGV[1])
end
return removed
`);

// KEYS: epoch. ARGV: channel. Returns the new epoch.
const PURGE = script(`
local epoch = redis.call('INCR', KEYS[1])
redis.call('PUBLISH', ARGV[1], epoch)
return epoch
`);

function parseEpoch(value: string | null): number {
  const epoch = value === null ? 0 : Number(value);
  if (!Number.isSafeInteger(epoch)) throw new Error(`Invalid cache epoch in Redis: ${value}`);
  return epoch;
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
  const markerTtlMs = options.markerTtlMs ?? DEFAULT_MARKER_TTL_MS;
  const epochRefreshMs = options.epochRefreshMs ?? 1000;
  const onError = options.onError ?? (() => {});
  const keys = redisKeys(options.prefix);
  redis.on('error', onError);

  let epoch: number | null = null;
  // Bumped on every change of `epoch`: a periodic read that started before a change is dropped.
  let epochVersion = 0;
  let loading: Promise<number> | null = null;
  let timer: NodeJS.Timeout | null = null;
  let subscriber: Redis | null = null;
  let closed = false;

  const setEpoch = (value: number) => {
    epoch = value;
    epochVersion++;
  };

  async function run(s: Script, scriptKeys: string[], args: (string | number)[]): Promise<unknown> {
    try {
      return await redis.evalsha(s.sha, scriptKeys.length, ...scriptKeys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return redis.eval(s.source, scriptKeys.length, ...scriptKeys, ...args);
    }
  }

  function refreshEpoch(): void {
    const version = epochVersion;
    redis
      .get(keys.epoch)
      .then((value) => {
        const fresh = parseEpoch(value);
        // A lower value is taken too: Redis may have lost its data and started over.
        if (!closed && version === epochVersion && fresh !== epoch) setEpoch(fresh);
      })
      .catch(() => {});
  }

  function watchEpoch(): void {
    if (closed || timer !== null) return;
    timer = setInterval(refreshEpoch, epochRefreshMs);
    timer.unref();
    const sub = redis.duplicate({ lazyConnect: false, autoResubscribe: false });
    subscriber = sub;
    sub.on('error', onError);
    sub.on('ready', () => {
      // Subscribing on every (re)connection; a purge missed while disconnected is read back.
      sub.subscribe(keys.events).catch(onError);
      refreshEpoch();
    });
    sub.on('message', (channel: string, message: string) => {
      const published = Number(message);
      if (channel !== keys.events || !Number.isSafeInteger(published)) return;
      if (epoch === null || published > epoch) setEpoch(published);
    });
  }

  async function loadEpoch(): Promise<number> {
    loading ??= (async () => {
      try {
        const version = epochVersion;
        const value = parseEpoch(await redis.get(keys.epoch));
        if (version === epochVersion) setEpoch(value);
        watchEpoch();
        return epoch as number;
      } finally {
        loading = null;
      }
    })();
    return loading;
  }

  return {
    backend: 'REDIS',

    async lookup(scope, key): Promise<LookupResult> {
      const seqKey = keys.seq(scope);
      const current = epoch ?? (await loadEpoch());
      const reply = (await run(
        LOOKUP,
        [keys.entry(scope, schemaHash, current, key), seqKey],
        [],
      )) as [number, string | number, number?];
      if (reply[0] !== 1) return { hit: false, seq: Number(reply[1]), epoch: current };
      const value = reply[1] as string;
      const newline = value.indexOf('\n');
      const pttl = Number(reply[2]);
      return {
        hit: true,
        body: value.slice(newline + 1),
        tags: JSON.parse(value.slice(1, newline)) as string[],
        ttlMs: value[0] === 'n' || pttl < 0 ? null : pttl,
      };
    },

    async save(scope, key, entry) {
      const px = storedTtlMs(entry.ttlMs, maxTtlMs);
      const neverExpires = entry.ttlMs === null || entry.ttlMs === Number.POSITIVE_INFINITY;
      const expanded = expandTags(entry.tags);
      const scriptKeys = [
        keys.entry(scope, schemaHash, entry.seenEpoch, key),
        keys.seq(scope),
        ...expanded.map((tag) => keys.tagSet(scope, tag)),
        ...expanded.map((tag) => keys.marker(scope, tag)),
      ];
      const value = `${neverExpires ? 'n' : 'e'}${JSON.stringify(entry.tags)}\n${entry.body}`;
      const stored = await run(SAVE, scriptKeys, [value, px, entry.seenSeq]);
      return stored === 1 ? 'stored' : 'stale';
    },

    async invalidate(scope, tags) {
      const unique = [...new Set(tags)].filter((tag) => tag !== '');
      const seqKey = keys.seq(scope);
      if (unique.length === 0) return 0;
      const scriptKeys = [
        seqKey,
        ...unique.map((tag) => keys.tagSet(scope, tag)),
        ...unique.map((tag) => keys.marker(scope, tag)),
      ];
      return Number(await run(INVALIDATE, scriptKeys, [markerTtlMs]));
    },

    async purge() {
      const value = Number(await run(PURGE, [keys.epoch], [keys.events]));
      setEpoch(value);
      watchEpoch();
      return value;
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

    async ping() {
      await redis.ping();
    },

    async close() {
      closed = true;
      if (timer !== null) clearInterval(timer);
      subscriber?.disconnect();
      subscriber = null;
      redis.off('error', onError);
    },
  };
}

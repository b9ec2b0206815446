import { createHash } from 'node:crypto';
import DataLoader from 'dataloader';
import type { Cluster, Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import { type BodyEncoding, identityBody, StoredBody } from '../body.js';
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

/** A single Redis or a Redis Cluster: every script touches the keys of one hash slot only. */
export type RedisClient = Redis | Cluster;

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
  /** Receives the errors the client emits (default: ignored). */
  onError?: (error: Error) => void;
  /**
   * CACHE_NEAR_MAX_BYTES: the in-process copies of entries read from Redis (0: none). A copy is
   * served only after one round trip shows that neither the epoch nor the scope's clock moved
   * since Redis served it (DESIGN §6): an invalidation or a purge by any instance, or a Redis
   * that lost the clock, sends the lookup back to Redis.
   */
  nearMaxBytes?: number;
  /** Clock in ms for the copies' TTLs (default performance.now), for tests. */
  now?: () => number;
}

/** Key names; see the layout in store.ts. Every per-scope key starts with `slot(scope)`. */
export function redisKeys(prefix: string) {
  const slot = (scope: string): string => {
    if (scope === '' || /[{}]/.test(scope)) throw new TypeError(`Invalid cache scope: ${scope}`);
    return `${prefix}:{t:${scope}}:`;
  };
  return {
    epoch: `${prefix}:epoch`,
    slot,
    entry: (scope: string, schemaHash: string, key: string) =>
      `${slot(scope)}${schemaHash}:r:${key}`,
    version: (scope: string, tag: string) => `${slot(scope)}v:${tag}`,
    index: (scope: string, tag: string) => `${slot(scope)}i:${tag}`,
    seq: (scope: string) => `${slot(scope)}seq`,
  };
}

interface Script {
  source: string;
  sha: string;
}

function script(source: string): Script {
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

// Redis TIME in µs (1.7e15 < 2^53: exact in Lua's doubles), and a formatter that never falls
// back to exponent notation.
const CLOCK = `
local function now_us()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000000 + tonumber(t[2])
end
local function fmt(n) return string.format('%.0f', n) end
`;

// KEYS: entry, seq. ARGV: version key prefix, expected epoch.
// Hit: {1, payload, pttl, clock} (clock: the scope clock as it is, '' when missing). Expired but valid: {2, payload, pttl, clock, generation}.
// Miss: {0, clock, generation}. `clock` is the scope clock (max of TIME and seq): any later
// invalidation gets a greater value. The entry is valid when it was saved under the expected
// epoch and every tag version it recorded is still the current one (a missing one is not).
const LOOKUP = script(`${CLOCK}
local function miss(code, payload, pttl)
  local s = redis.call('GET', KEYS[2])
  local c = now_us()
  if not s then
    -- A scope without a clock (new, or its clock was lost): start it just below this lookup,
    -- so that the save that follows can create versions, and any later write is above it.
    s = fmt(c - 1)
    redis.call('SET', KEYS[2], s)
  end
  if tonumber(s) > c then c = tonumber(s) end
  if code == 0 then return {0, fmt(c), s or ''} end
  return {2, payload, pttl, fmt(c), s or ''}
end
local h = redis.call('HGETALL', KEYS[1])
if #h == 0 then return miss(0) end
local payload, grace, epoch
local vkeys, vers = {}, {}
for i = 1, #h, 2 do
  local f = h[i]
  if f == '.' then payload = h[i + 1]
  elseif f == ',' then grace = tonumber(h[i + 1])
  elseif f == '@' then epoch = h[i + 1]
  else
    vkeys[#vkeys + 1] = ARGV[1] .. f
    vers[#vers + 1] = h[i + 1]
  end
end
if payload == nil or epoch ~= ARGV[2] then return miss(0) end
for j = 1, #vkeys, 500 do
  local last = math.min(j + 499, #vkeys)
  local current = redis.call('MGET', unpack(vkeys, j, last))
  for i = 1, #current do
    if current[i] ~= vers[j + i - 1] then return miss(0) end
  end
end
local pttl = redis.call('PTTL', KEYS[1])
if pttl > (grace or 0) then return {1, payload, pttl, redis.call('GET', KEYS[2]) or ''} end
if pttl < 0 then return miss(0) end
return miss(2, payload, pttl)
`);

// KEYS: entry, seq. ARGV: version prefix, index prefix, payload, px, grace, seenSeq, epoch,
// indexMax, tags (expanded)... Returns 1 stored, 0 refused.
// A version older than the lookup existed then and was not invalidated since (invalidation
// deletes it). A missing version, or one created after the lookup, is trusted only when the
// scope clock shows no invalidation since the lookup ("quiet"); a missing clock shows nothing.
const SAVE = script(`${CLOCK}
local seen = tonumber(ARGV[6])
local px = tonumber(ARGV[4])
local n = #ARGV - 8
local s = redis.call('GET', KEYS[2])
local quiet = s ~= false and tonumber(s) < seen
local vers, missing = {}, false
for i = 1, n do
  local v = redis.call('GET', ARGV[1] .. ARGV[8 + i])
  if (not v or tonumber(v) >= seen) and not quiet then return 0 end
  if v then vers[i] = v else missing = true end
end
local now = now_us()
if missing then
  -- Created above every value the scope has handed out, so it repeats no earlier version.
  local c = now
  if tonumber(s) + 1 > c then c = tonumber(s) + 1 end
  local cs = fmt(c)
  for i = 1, n do
    if not vers[i] then
      redis.call('SET', ARGV[1] .. ARGV[8 + i], cs, 'PX', px)
      vers[i] = cs
    end
  end
end
redis.call('DEL', KEYS[1])
local fields = {'.', ARGV[3], ',', ARGV[5], '@', ARGV[7]}
for i = 1, n do
  fields[#fields + 1] = ARGV[8 + i]
  fields[#fields + 1] = vers[i]
end
redis.call('HSET', KEYS[1], unpack(fields))
redis.call('PEXPIRE', KEYS[1], px)
local now_ms = math.floor(now / 1000)
local max = tonumber(ARGV[8])
for i = 1, n do
  local vk = ARGV[1] .. ARGV[8 + i]
  if redis.call('PTTL', vk) < px then redis.call('PEXPIRE', vk, px) end
  local ik = ARGV[2] .. ARGV[8 + i]
  redis.call('ZADD', ik, now_ms + px, KEYS[1])
  redis.call('ZREMRANGEBYSCORE', ik, '-inf', now_ms)
  local extra = redis.call('ZCARD', ik) - max
  if extra > 0 then redis.call('ZREMRANGEBYRANK', ik, 0, extra - 1) end
  if redis.call('PTTL', ik) < px then redis.call('PEXPIRE', ik, px) end
end
return 1
`);

// KEYS: seq. ARGV: version prefix, index prefix, tags... Advances the scope clock, sets the
// tags' versions to it (every entry that recorded an older one is a miss from now on; a save
// that looked up before it sees a version newer than its lookup), and frees the
// entries the index still lists. Returns how many entries it deleted. The entry keys read from
// the index are not declared in KEYS; they carry the same {t:<scope>} hash tag, so they live in
// the same slot as the declared key.
const INVALIDATE = script(`${CLOCK}
local now = now_us()
local s = redis.call('GET', KEYS[1])
local c = now
if s and tonumber(s) + 1 > c then c = tonumber(s) + 1 end
redis.call('SET', KEYS[1], fmt(c))
local now_ms = math.floor(now / 1000)
local removed = 0
local cs = fmt(c)
for i = 3, #ARGV do
  local vk = ARGV[1] .. ARGV[i]
  if redis.call('EXISTS', vk) == 1 then redis.call('SET', vk, cs, 'KEEPTTL') end
  local ik = ARGV[2] .. ARGV[i]
  local members = redis.call('ZRANGEBYSCORE', ik, now_ms, '+inf')
  for j = 1, #members, 1000 do
    removed = removed + redis.call('DEL', unpack(members, j, math.min(j + 999, #members)))
  end
  redis.call('DEL', ik)
end
return removed
`);

// Epochs are seconds since 2025-01-01 by Redis TIME (the API reports them as a 32-bit Int),
// raised above the current value: an epoch lost and created again repeats no earlier one
// (unless purges ran faster than one a second just before the loss; the creating process also
// raises it above the last epoch it knew).
const EPOCH_CLOCK = `
local function now_s() return tonumber(redis.call('TIME')[1]) - 1735689600 end
local function fmt(n) return string.format('%.0f', n) end
`;

// KEYS: epoch. Sets it to a value it never had.
const PURGE = script(`${EPOCH_CLOCK}
local c = now_s()
local e = tonumber(redis.call('GET', KEYS[1]) or '0')
if e + 1 > c then c = e + 1 end
redis.call('SET', KEYS[1], fmt(c))
return fmt(c)
`);

// KEYS: epoch. ARGV: the last epoch this process knew. Creates it when it was lost (evicted,
// or a Redis that lost its data).
const INIT_EPOCH = script(`${EPOCH_CLOCK}
local c = now_s()
local last = tonumber(ARGV[1])
if last and last + 1 > c then c = last + 1 end
redis.call('SET', KEYS[1], fmt(c), 'NX')
return redis.call('GET', KEYS[1])
`);

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

const NEWLINE = 0x0a;

/**
 * `<flag><swrMs>,<graceMs> <encoding> <etag> <tags JSON>\n<body bytes>`; flag 'n': saved with
 * ttlMs null; encoding 'i' (identity) or 'g' (gzip). The body's bytes are kept as they came
 * (a slice of the reply, no copy, no decoding).
 */
function payloadOf(entry: {
  neverExpires: boolean;
  swrMs: number;
  graceMs: number;
  tags: string[];
  body: StoredBody;
}): Buffer {
  const { body } = entry;
  const header =
    `${entry.neverExpires ? 'n' : 'e'}${entry.swrMs},${entry.graceMs} ` +
    `${body.encoding === 'gzip' ? 'g' : 'i'} ${body.etag} ${JSON.stringify(entry.tags)}\n`;
  return Buffer.concat([Buffer.from(header, 'utf8'), body.bytes]);
}

function parsePayload(payload: Buffer) {
  const newline = payload.indexOf(NEWLINE);
  const header = payload.toString('utf8', 0, newline);
  const comma = header.indexOf(',');
  const space = header.indexOf(' ', comma);
  const encodingAt = space + 1;
  const etagEnd = header.indexOf(' ', encodingAt + 2);
  const encoding: BodyEncoding = header[encodingAt] === 'g' ? 'gzip' : 'identity';
  return {
    neverExpires: header[0] === 'n',
    swrMs: Number(header.slice(1, comma)),
    graceMs: Number(header.slice(comma + 1, space)),
    tags: JSON.parse(header.slice(etagEnd + 1)) as string[],
    body: new StoredBody(
      payload.subarray(newline + 1),
      encoding,
      header.slice(encodingAt + 2, etagEnd),
    ),
  };
}

/** An entry Redis served, kept in process; valid while the epoch and scope clock stay. */
interface NearEntry {
  body: StoredBody;
  tags: string[];
  neverExpires: boolean;
  /** When its TTL runs out (clock ms). */
  freshUntil: number;
  epoch: string;
  clock: string;
}

/** The response store on Redis; works the same on Redis Cluster (one hash slot per scope). */
export function createRedisStore(options: RedisStoreOptions): ResponseStore {
  const { redis, schemaHash } = options;
  const maxTtlMs = options.maxTtlMs ?? DEFAULT_MAX_TTL_MS;
  const indexMax = options.indexMax ?? DEFAULT_INDEX_MAX;
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
          sizeCalculation: (entry, key) => {
            let bytes = 512 + entry.body.bytes.length + key.length + entry.body.etag.length;
            for (const tag of entry.tags) bytes += 16 + tag.length;
            return bytes;
          },
        })
      : null;
  let nearHits = 0;

  async function run(s: Script, scriptKeys: string[], args: (string | number | Buffer)[]) {
    try {
      return await redis.evalsha(s.sha, scriptKeys.length, ...scriptKeys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return redis.eval(s.source, scriptKeys.length, ...scriptKeys, ...args);
    }
  }

  // ioredis has the Buffer variants of EVAL and EVALSHA (on Cluster too) but doesn't type them.
  const buffers = redis as unknown as {
    evalshaBuffer(...args: (string | number)[]): Promise<unknown>;
    evalBuffer(...args: (string | number)[]): Promise<unknown>;
  };

  /** The same with every string of the reply as a Buffer (the payload is bytes). */
  async function runBuffer(s: Script, scriptKeys: string[], args: string[]) {
    try {
      return await buffers.evalshaBuffer(s.sha, scriptKeys.length, ...scriptKeys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return buffers.evalBuffer(s.source, scriptKeys.length, ...scriptKeys, ...args);
    }
  }

  /**
   * Hit: [1, payload, pttl, clock]; expired: [2, payload, pttl, clock, generation];
   * miss: [0, clock, generation]. Strings arrive as Buffers, integers as numbers.
   */
  type Reply = (Buffer | number)[];
  const str = (value: Buffer | number | undefined) => (value === undefined ? '' : String(value));

  async function lookupOnce(scope: string, key: string) {
    // The epoch the script compares with: `epoch` may change while this lookup is in flight.
    const expected = epoch;
    // Sent together: one round trip. On Redis Cluster they may go to two nodes, still at once.
    const [current, reply] = await Promise.all([
      redis.get(keys.epoch),
      runBuffer(
        LOOKUP,
        [keys.entry(scope, schemaHash, key), keys.seq(scope)],
        [keys.version(scope, ''), expected],
      ) as Promise<Reply>,
    ]);
    return { current, reply, expected };
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
   * The in-process copy, when one round trip shows it is still what Redis would serve: no
   * purge (the epoch) and no invalidation in its scope (the clock, which every invalidation
   * raises and which a lost clock can't repeat) since Redis served it.
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
    if (current === copy.epoch && clock === copy.clock) {
      const left = copy.freshUntil - now();
      if (copy.neverExpires || left > 0) {
        nearHits++;
        return {
          hit: true as const,
          body: copy.body,
          tags: copy.tags,
          ttlMs: copy.neverExpires ? null : Math.ceil(left),
          near: true,
        };
      }
    }
    near?.delete(nearKey);
    if (current !== null && current !== epoch) epoch = current;
    return null;
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
      let { current, reply, expected } = await lookupOnce(scope, key);
      if (current !== null && current !== expected) {
        // A purge since this process last looked: look again under the new epoch.
        epoch = current;
        ({ current, reply, expected } = await lookupOnce(scope, key));
      }
      const code = Number(reply[0]);
      const [clock, generation] =
        code === 0 ? [str(reply[1]), str(reply[2])] : [str(reply[3]), str(reply[4])];
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
        return { hit: false, seq: Number(clock), epoch: Number(current), generation, stale: null };
      }
      const payload = parsePayload(reply[1] as Buffer);
      const pttl = Number(reply[2]);
      if (code === 1) {
        const ttlMs = payload.neverExpires ? null : Math.max(0, pttl - payload.graceMs);
        if (near && clock !== '') {
          near.set(nearKey, {
            body: payload.body,
            tags: payload.tags,
            neverExpires: payload.neverExpires,
            // From before the round trip: the copy never outlives the entry.
            freshUntil: startedAt + (ttlMs ?? pttl),
            epoch: current,
            clock,
          });
        }
        return { hit: true, body: payload.body, tags: payload.tags, ttlMs };
      }
      return {
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
        [keys.entry(scope, schemaHash, key), keys.seq(scope)],
        [
          keys.version(scope, ''),
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
      return stored === 1 ? 'stored' : 'stale';
    },

    async invalidate(scope, tags) {
      const unique = [...new Set(tags)].filter((tag) => tag !== '');
      if (unique.length === 0) return 0;
      return Number(
        await run(
          INVALIDATE,
          [keys.seq(scope)],
          [keys.version(scope, ''), keys.index(scope, ''), ...unique],
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
      near && { hits: nearHits, entries: near.size, bytes: near.calculatedSize ?? 0 },

    async ping() {
      await redis.ping();
    },

    async close() {
      near?.clear();
      redis.off('error', onError);
    },
  };
}

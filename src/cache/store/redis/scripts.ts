import { createHash } from 'node:crypto';

/**
 * The store's Lua scripts, each sent by its SHA-1 (EVALSHA, EVAL when Redis lost it). Every
 * script touches the keys of one hash slot only, so they run on Redis Cluster too, and while
 * that slot moves to another master (HERE below; test/cache/reshard.both.test.ts).
 */
export interface Script {
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

// The scope's undeclared keys (its tag index and entries, the previous format's versions: they
// carry the scope's {t:<scope>} hash tag, so they live in the slot of the declared keys). While
// an operator moves that slot to another master (CLUSTER SETSLOT MIGRATING / IMPORTING), a key
// already moved, or not there, is refused as "non local" (Redis can't redirect a key a script
// didn't declare): \`here\` answers nil then, and raises any other error.
const HERE = `
local function here(...)
  local r = redis.pcall(...)
  if type(r) == 'table' and r.err then
    if string.find(r.err, 'non local key', 1, true) then return nil end
    error(r)
  end
  return r
end
`;

// The scope's log (a ZSET): member a tag as it was invalidated, score the scope clock of its
// latest invalidation; the member '' (no tag is empty) is the marker: the log holds every
// invalidation whose clock is above the marker's score. A log created afresh (by a save, when
// it was missing: new scope, expired, evicted) starts its marker at the clock as it is then,
// so it proves nothing about earlier time; losing the key loses both.
//
// `proven(entry, v, s, log)`: whether no invalidation after clock v touched the entry, s being
// the scope clock now: the log covers v (marker <= v), it holds the clock's latest invalidation
// (its newest score is s: an invalidation that wasn't logged, by a process of the previous
// format, or a clock lost and created again, proves nothing), and none of the tags it holds
// above v is one of the entry's fields (one per expanded tag, so invalidating a prefix reaches
// it). O(invalidations since v), whatever the number of the entry's tags.
const PROOF = `
local function proven(entry, v, s, log)
  if not s then return false end
  local m = redis.call('ZSCORE', log, '')
  if not m or tonumber(m) > tonumber(v) then return false end
  local changed = redis.call('ZRANGEBYSCORE', log, '(' .. v, '+inf', 'WITHSCORES')
  if #changed == 0 or tonumber(changed[#changed]) < tonumber(s) then return false end
  for i = 1, #changed, 2 do
    if redis.call('HEXISTS', entry, changed[i]) == 1 then return false end
  end
  return true
end
`;

// KEYS: entry, seq, log. ARGV: expected epoch.
// Hit: {1, pttl, clock, validAt} (clock: the scope clock as it is, '' when missing; validAt:
// the clock up to which the entry is proven valid). Expired but valid: {2, pttl, clock,
// generation}. Miss: {0, clock, generation, why} (why: 'i' the entry is there but the epoch
// moved on, a tag was invalidated, or the log can't prove it wasn't; '' no entry).
// `clock` on a miss is max(TIME, seq): any later invalidation gets a value at least as great.
// The entry was valid at the clock it records (`~`): when the scope clock still has that value,
// no invalidation happened since (every one raises it), O(1); otherwise the log decides, and a
// proof moves `~` up to the clock, so the next lookup is O(1) again; an entry that can't be
// proven never will be (its clock stays, the marker only rises): deleted. Never HGETALL, and
// never the payload: the fixed fields only, whatever the number of tags and the size of the
// body. The store sends an HGET of the payload right behind it on the same connection (see
// judge() in redis-store.ts), so its bytes never pass through Lua (which costs Redis several
// times what sending them does).
export const LOOKUP = script(`${CLOCK}${PROOF}
local function miss(code, pttl, why)
  local s = redis.call('GET', KEYS[2])
  local c = now_us()
  if not s then
    -- A scope without a clock (new, or its clock was lost): start it just below this lookup,
    -- so that any later write is above it.
    s = fmt(c - 1)
    redis.call('SET', KEYS[2], s)
  end
  if tonumber(s) > c then c = tonumber(s) end
  if code == 0 then return {0, fmt(c), s or '', why or ''} end
  return {2, pttl, fmt(c), s or ''}
end
local h = redis.call('HMGET', KEYS[1], ',', '@', '~')
local grace, epoch, v = tonumber(h[1]), h[2], h[3]
if not grace then return miss(0) end
if epoch ~= ARGV[1] then return miss(0, nil, 'i') end
local s = redis.call('GET', KEYS[2])
if s ~= v then
  if not v or not proven(KEYS[1], v, s, KEYS[3]) then
    redis.call('DEL', KEYS[1])
    return miss(0, nil, 'i')
  end
  if s and tonumber(s) > tonumber(v) then
    redis.call('HSET', KEYS[1], '~', s)
    v = s
  end
end
local pttl = redis.call('PTTL', KEYS[1])
if pttl > grace then return {1, pttl, s or '', v} end
if pttl < 0 then return miss(0) end
return miss(2, pttl)
`);

// KEYS: scope clock, log. ARGV: since. The in-process copies' question: {clock, marker, tag,
// score, tag, score, ...} with the tags invalidated after `since` ('' for a missing clock or
// marker). A copy valid at v <= since stays valid when marker <= v and none of the tags above v
// is one of its (expanded) tags; the process checks that itself.
export const CHANGES = script(`
local s = redis.call('GET', KEYS[1]) or ''
local m = redis.call('ZSCORE', KEYS[2], '') or ''
local out = {s, m}
if m ~= '' then
  local changed = redis.call('ZRANGEBYSCORE', KEYS[2], '(' .. ARGV[1], '+inf', 'WITHSCORES')
  for i = 1, #changed do out[#out + 1] = changed[i] end
end
return out
`);

// KEYS: entry, seq, log. ARGV: index prefix, payload, px, grace, seenSeq, epoch, indexMax,
// tags JSON (the `#` field), how many tags (expanded), those tags joined by NUL (one argument
// instead of one each: every argument costs the client its encoding, issue 19). No tag holds a
// NUL (memory-store.ts relies on it too); one that did would split into more tags than
// counted, and the save is refused: a miss, never an entry missing one of its tags. Returns
// the scope's generation (its seq as it was) when stored, 0 when refused. Refused when a tag
// (or a prefix of one: the tags are expanded) was invalidated at or after the lookup's clock,
// or when nothing proves it wasn't: the clock moved and the log is missing, doesn't reach back
// to the lookup or lacks the clock's latest invalidation. A clock still below the lookup's
// shows that no invalidation happened since ("quiet"); a missing clock shows nothing.
// The entry records the clock it is valid at (`~`); the log is created here when missing (its
// marker at that clock) and lives as long as the longest-lived entry of the scope.
export const SAVE = script(`${CLOCK}${HERE}
local seen = tonumber(ARGV[5])
local px = tonumber(ARGV[3])
local n = tonumber(ARGV[9])
local tags = {}
if n > 0 then
  local joined, at = ARGV[10], 1
  while true do
    local z = string.find(joined, '\\0', at, true)
    if not z then
      tags[#tags + 1] = string.sub(joined, at)
      break
    end
    tags[#tags + 1] = string.sub(joined, at, z - 1)
    at = z + 1
  end
end
if #tags ~= n then return 0 end
local s = redis.call('GET', KEYS[2])
if not (s and tonumber(s) < seen) then
  if not s then return 0 end
  local m = redis.call('ZSCORE', KEYS[3], '')
  if not m or tonumber(m) >= seen then return 0 end
  local changed = redis.call('ZRANGEBYSCORE', KEYS[3], ARGV[5], '+inf', 'WITHSCORES')
  if #changed == 0 or tonumber(changed[#changed]) < tonumber(s) then return 0 end
  local mine = {}
  for i = 1, n do mine[tags[i]] = true end
  for i = 1, #changed, 2 do
    if mine[changed[i]] then return 0 end
  end
end
local now = now_us()
local generation = s or ''
if not s then
  s = fmt(now - 1)
  redis.call('SET', KEYS[2], s)
end
if redis.call('EXISTS', KEYS[3]) == 0 then redis.call('ZADD', KEYS[3], s, '') end
if redis.call('PTTL', KEYS[3]) < px then redis.call('PEXPIRE', KEYS[3], px) end
redis.call('DEL', KEYS[1])
local fields = {'.', ARGV[2], '#', ARGV[8], ',', ARGV[4], '@', ARGV[6], '~', s}
for i = 1, n do
  local tag = tags[i]
  -- A tag named like a fixed field is left out: HEXISTS finds the field anyway, so its
  -- invalidation still reaches the entry.
  if tag ~= '.' and tag ~= '#' and tag ~= ',' and tag ~= '@' and tag ~= '~' then
    fields[#fields + 1] = tag
    fields[#fields + 1] = ''
  end
end
redis.call('HSET', KEYS[1], unpack(fields))
redis.call('PEXPIRE', KEYS[1], px)
local now_ms = math.floor(now / 1000)
local max = tonumber(ARGV[7])
-- The index only frees memory (an invalidation deletes what it lists): while the slot moves,
-- the entry is left out of what is not here (it expires with its TTL).
for i = 1, n do
  local ik = ARGV[1] .. tags[i]
  if not here('ZADD', ik, now_ms + px, KEYS[1]) then break end
  redis.call('ZREMRANGEBYSCORE', ik, '-inf', now_ms)
  local extra = redis.call('ZCARD', ik) - max
  if extra > 0 then redis.call('ZREMRANGEBYRANK', ik, 0, extra - 1) end
  if redis.call('PTTL', ik) < px then redis.call('PEXPIRE', ik, px) end
end
return generation
`);

// KEYS: seq, log. ARGV: index prefix, log bound, version prefix, tags... Advances the scope
// clock, records each tag at it in the log (when there is one: without a log, no entry can
// prove anything past its clock anyway), trims the log to its newest `bound` tags, raising the
// marker to the newest clock it dropped, and frees the entries the index still lists. A log
// whose newest clock is below the clock as it was missed an invalidation: it starts again at
// that clock. Returns how many entries it deleted. The entry keys read from the index are not
// declared in KEYS; they carry the same {t:<scope>} hash tag, so they live in the same slot as
// the declared keys. While that slot moves to another master, -1 once one of them is not here:
// the clock and the log are written (every entry of those tags already misses), but the
// previous format's versions and the frees are not all done, so the caller applies it again
// once the slot has moved (SlotMoving, store.ts).
export const INVALIDATE = script(`${CLOCK}${HERE}
local now = now_us()
local s = redis.call('GET', KEYS[1])
local c = now
if s and tonumber(s) + 1 > c then c = tonumber(s) + 1 end
local cs = fmt(c)
redis.call('SET', KEYS[1], cs)
if redis.call('ZSCORE', KEYS[2], '') then
  local newest = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
  if s and tonumber(newest[2]) < tonumber(s) then
    -- The clock moved without the log (an invalidation by a process of the previous format, or
    -- a clock lost and made again): the log proves nothing up to the clock as it is. Started
    -- again there, with its life kept.
    local ttl = redis.call('PTTL', KEYS[2])
    redis.call('DEL', KEYS[2])
    redis.call('ZADD', KEYS[2], s, '')
    if ttl > 0 then redis.call('PEXPIRE', KEYS[2], ttl) end
  end
  local added = {}
  for i = 4, #ARGV do
    added[#added + 1] = cs
    added[#added + 1] = ARGV[i]
  end
  for j = 1, #added, 1000 do
    redis.call('ZADD', KEYS[2], unpack(added, j, math.min(j + 999, #added)))
  end
  -- Rank 0 is the marker: its score is the lowest, and '' sorts first among equal scores.
  local extra = redis.call('ZCARD', KEYS[2]) - 1 - tonumber(ARGV[2])
  if extra > 0 then
    local last = redis.call('ZRANGE', KEYS[2], extra, extra, 'WITHSCORES')
    redis.call('ZREMRANGEBYRANK', KEYS[2], 0, extra)
    redis.call('ZADD', KEYS[2], last[2], '')
  end
else
  -- A log without its marker proves nothing: drop it (a save starts a new one).
  redis.call('DEL', KEYS[2])
end
local now_ms = math.floor(now / 1000)
local removed = 0
for i = 4, #ARGV do
  -- The previous format's per-tag versions, still read by its processes during a rolling
  -- deploy: raised as before while they exist (they expire with the entries that use them).
  local vk = ARGV[3] .. ARGV[i]
  local exists = here('EXISTS', vk)
  if exists == nil then return -1 end
  if exists == 1 then redis.call('SET', vk, cs, 'KEEPTTL') end
  local ik = ARGV[1] .. ARGV[i]
  local members = here('ZRANGEBYSCORE', ik, now_ms, '+inf')
  if members == nil then return -1 end
  for j = 1, #members, 1000 do
    local deleted = here('DEL', unpack(members, j, math.min(j + 999, #members)))
    if deleted == nil then return -1 end
    removed = removed + deleted
  end
  redis.call('DEL', ik)
end
return removed
`);

// KEYS: seq. The clock alone, raised as INVALIDATE raises it, for when INVALIDATE can't run:
// its declared keys on both sides of a slot on the move (TRYAGAIN, as long as the move keeps
// them apart). One key, so Redis runs it wherever the key is (redirecting with ASK). The log
// then lacks the clock's latest invalidation, so it proves no entry of the scope valid past its
// clock: every entry of the scope misses, and no save is taken, until INVALIDATE applies (it
// starts the log again at this clock). Returns the clock.
export const ADVANCE = script(`${CLOCK}
local s = redis.call('GET', KEYS[1])
local c = now_us()
if s and tonumber(s) + 1 > c then c = tonumber(s) + 1 end
redis.call('SET', KEYS[1], fmt(c))
return fmt(c)
`);

// Epochs are seconds since 2025-01-01 by Redis TIME (the API reports them as a 32-bit Int),
// raised above the current value: an epoch lost and created again repeats no earlier one
// (unless purges ran faster than one a second just before the loss; the creating process also
// raises it above the last epoch it knew).
const EPOCH_CLOCK = `
local function now_s() return tonumber(redis.call('TIME')[1]) - 1735689600 end
local function fmt(n) return string.format('%.0f', n) end
`;

// KEYS: epoch. ARGV: the greatest epoch this process knew. Sets it to a value it never had:
// above the current one and, when the key was lost (evicted), above the last one this process
// knew. Without that, purges faster than one a second run the epoch ahead of TIME, and a purge
// after an eviction went back to TIME: an epoch of seconds before, whose entries (a purge
// moves no scope clock) were served again (a stale hit in the chaos suite, allkeys-lru).
export const PURGE = script(`${EPOCH_CLOCK}
local c = now_s()
local e = tonumber(redis.call('GET', KEYS[1]) or '0')
local last = tonumber(ARGV[1])
if last and last > e then e = last end
if e + 1 > c then c = e + 1 end
redis.call('SET', KEYS[1], fmt(c))
return fmt(c)
`);

// KEYS: epoch. ARGV: the last epoch this process knew. Creates it when it was lost (evicted,
// or a Redis that lost its data).
export const INIT_EPOCH = script(`${EPOCH_CLOCK}
local c = now_s()
local last = tonumber(ARGV[1])
if last and last + 1 > c then c = last + 1 end
redis.call('SET', KEYS[1], fmt(c), 'NX')
return redis.call('GET', KEYS[1])
`);

import { createHash } from 'node:crypto';

/**
 * The store's Lua scripts, each sent by its SHA-1 (EVALSHA, EVAL when Redis lost it). Every
 * script touches the keys of one hash slot only, so they run on Redis Cluster too.
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

// KEYS: entry, seq. ARGV: version key prefix, expected epoch.
// Hit: {1, payload, pttl, clock} (clock: the scope clock as it is, '' when missing). Expired but valid: {2, payload, pttl, clock, generation}.
// Miss: {0, clock, generation, why} (why: 'i' the entry is there but a tag or the epoch moved
// on, '' no entry). `clock` is the scope clock (max of TIME and seq): any later
// invalidation gets a greater value. The entry is valid when it was saved under the expected
// epoch and every tag version it recorded is still the current one (a missing one is not).
export const LOOKUP = script(`${CLOCK}
local function miss(code, payload, pttl, why)
  local s = redis.call('GET', KEYS[2])
  local c = now_us()
  if not s then
    -- A scope without a clock (new, or its clock was lost): start it just below this lookup,
    -- so that the save that follows can create versions, and any later write is above it.
    s = fmt(c - 1)
    redis.call('SET', KEYS[2], s)
  end
  if tonumber(s) > c then c = tonumber(s) end
  if code == 0 then return {0, fmt(c), s or '', why or ''} end
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
if payload == nil then return miss(0) end
if epoch ~= ARGV[2] then return miss(0, nil, nil, 'i') end
for j = 1, #vkeys, 500 do
  local last = math.min(j + 499, #vkeys)
  local current = redis.call('MGET', unpack(vkeys, j, last))
  for i = 1, #current do
    if current[i] ~= vers[j + i - 1] then return miss(0, nil, nil, 'i') end
  end
end
local pttl = redis.call('PTTL', KEYS[1])
if pttl > (grace or 0) then return {1, payload, pttl, redis.call('GET', KEYS[2]) or ''} end
if pttl < 0 then return miss(0) end
return miss(2, payload, pttl)
`);

// KEYS: entry, seq. ARGV: version prefix, index prefix, payload, px, grace, seenSeq, epoch,
// indexMax, tags (expanded)... Returns the scope's generation (its seq as it was, '' when
// missing) when stored, 0 when refused.
// A version older than the lookup existed then and was not invalidated since (invalidation
// deletes it). A missing version, or one created after the lookup, is trusted only when the
// scope clock shows no invalidation since the lookup ("quiet"); a missing clock shows nothing.
export const SAVE = script(`${CLOCK}
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
return s or ''
`);

// KEYS: seq. ARGV: version prefix, index prefix, tags... Advances the scope clock, sets the
// tags' versions to it (every entry that recorded an older one is a miss from now on; a save
// that looked up before it sees a version newer than its lookup), and frees the
// entries the index still lists. Returns how many entries it deleted. The entry keys read from
// the index are not declared in KEYS; they carry the same {t:<scope>} hash tag, so they live in
// the same slot as the declared key.
export const INVALIDATE = script(`${CLOCK}
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
export const PURGE = script(`${EPOCH_CLOCK}
local c = now_s()
local e = tonumber(redis.call('GET', KEYS[1]) or '0')
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

import type { RedisClient } from '../cache/store/redis/client.js';

/**
 * Whose bucket a charge goes to: one API key of a tenant (DESIGN §15). The plan is the
 * tenant's; each of its keys has a bucket of that plan. The key is named by its id, never by
 * the key or its hash. A payer without a key id (a viewer the server made) has one bucket per
 * tenant.
 */
export interface Payer {
  tenantId: string;
  keyId?: string;
}

/**
 * A bucket's id in this process's maps: the key's id (unique across tenants: the primary key of
 * api_keys), else the tenant's. No string is built for a key, so a hit pays no allocation.
 */
export const bucketIdOf = (payer: Payer): string => payer.keyId ?? `\0${payer.tenantId}`;

/** A leaky bucket of cost points, as a tenant's plan sets it (Shopify's terms, DESIGN §15). */
export interface Plan {
  /** The bucket's size: what a key may spend at once. */
  maximumAvailable: number;
  /** Points that come back per second. */
  restoreRate: number;
}

export interface ThrottleStatus {
  maximumAvailable: number;
  currentlyAvailable: number;
  restoreRate: number;
}

/** The bucket after a charge: whether it was taken, and what is left. */
export interface Taken {
  allowed: boolean;
  /** Points left after the charge (before it, when refused). */
  available: number;
}

/**
 * Where buckets live. `take` removes `cost` points when that many are available; `force` takes
 * them whatever is left (a hit already served, a settlement; negative refunds), never below 0
 * nor above the bucket's size.
 */
export interface BucketBackend {
  take(payer: Payer, cost: number, plan: Plan, force: boolean): Promise<Taken>;
}

interface Level {
  available: number;
  /** When `available` was computed (ms on this backend's clock). */
  at: number;
}

/** What is left once the bucket has leaked back for `elapsedMs`. */
export function refilled(level: Level, plan: Plan, now: number): number {
  const back = (Math.max(0, now - level.at) * plan.restoreRate) / 1000;
  return Math.min(plan.maximumAvailable, level.available + back);
}

/**
 * Buckets in this process: with no Redis, and as the fallback while Redis is away. At most
 * `maxBuckets` buckets (keys) are kept; the oldest touched goes first (it then starts full
 * again, which is what a bucket idle long enough is anyway).
 */
export function createMemoryBuckets(
  maxBuckets: number,
  clock: () => number = () => performance.now(),
) {
  const levels = new Map<string, Level>();
  const backend: BucketBackend & {
    size(): number;
    /**
     * Like `take`; a bucket this process doesn't hold starts at `seed` (never above the plan's
     * size) instead of full: the fallback carries on from what the shared bucket last had.
     */
    takeFrom(payer: Payer, cost: number, plan: Plan, force: boolean, seed: number): Taken;
    /** Lets a bucket go: the next take of it starts full, or from its seed. */
    forget(payer: Payer): void;
  } = {
    take(payer, cost, plan, force) {
      return Promise.resolve(backend.takeFrom(payer, cost, plan, force, plan.maximumAvailable));
    },
    takeFrom(payer, cost, plan, force, seed) {
      const now = clock();
      const id = bucketIdOf(payer);
      const level = levels.get(id);
      const available = level
        ? refilled(level, plan, now)
        : Math.min(plan.maximumAvailable, Math.max(0, seed));
      const allowed = force || cost <= available;
      const left = allowed
        ? Math.min(plan.maximumAvailable, Math.max(0, available - cost))
        : available;
      // Re-inserted so the Map's order is the order of use.
      levels.delete(id);
      levels.set(id, { available: left, at: now });
      if (levels.size > maxBuckets) {
        const oldest = levels.keys().next().value;
        if (oldest !== undefined) levels.delete(oldest);
      }
      return { allowed, available: left };
    },
    forget(payer) {
      levels.delete(bucketIdOf(payer));
    },
    size: () => levels.size,
  };
  return backend;
}

/**
 * One call per charge, atomic, on one Redis key per API key, in its tenant's hash slot
 * (`{t:<tenantId>}`, as the store's keys): the same on one server, Sentinel and Cluster.
 * Redis's own clock (TIME) is the bucket's, so instances whose clocks disagree still share one
 * bucket. The level is returned as a string: Lua numbers become integers on the way out. The
 * key expires once the bucket would be full again, so idle keys leave nothing behind.
 */
export const TAKE_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local cost = tonumber(ARGV[1])
local max = tonumber(ARGV[2])
local rate = tonumber(ARGV[3])
local level = redis.call('HMGET', KEYS[1], 'a', 't')
local available = tonumber(level[1])
local at = tonumber(level[2])
if available == nil or at == nil then
  available = max
else
  available = math.min(max, available + math.max(0, now - at) * rate / 1000)
end
local allowed = 0
if ARGV[4] == '1' or cost <= available then
  allowed = 1
  available = math.min(max, math.max(0, available - cost))
end
redis.call('HSET', KEYS[1], 'a', tostring(available), 't', tostring(now))
local full = math.ceil((max - available) * 1000 / math.max(rate, 0.001)) + 1000
redis.call('PEXPIRE', KEYS[1], math.min(full, 86400000))
return {allowed, tostring(available)}
`;

type WithTake = RedisClient & {
  hotpathBudgetTake(key: string, ...args: (string | number)[]): Promise<[number, string]>;
};

/** Buckets in Redis, shared by every instance. Errors reject: the caller falls back. */
export function createRedisBuckets(redis: RedisClient, prefix: string): BucketBackend {
  if (!('hotpathBudgetTake' in redis)) {
    redis.defineCommand('hotpathBudgetTake', { numberOfKeys: 1, lua: TAKE_SCRIPT });
  }
  const client = redis as WithTake;
  return {
    async take(payer, cost, plan, force) {
      const [allowed, available] = await client.hotpathBudgetTake(
        bucketKey(prefix, payer),
        cost,
        plan.maximumAvailable,
        plan.restoreRate,
        force ? '1' : '0',
      );
      return { allowed: allowed === 1, available: Number(available) };
    },
  };
}

/**
 * The bucket's Redis key: the tenant's hash tag, as every key of the store (keys.ts), then the
 * API key's id (`-` for a payer without one).
 */
export function bucketKey(prefix: string, payer: Payer): string {
  return `${prefix}:{t:${payer.tenantId}}:budget:${payer.keyId ?? '-'}`;
}

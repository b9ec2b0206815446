import { z } from 'zod';

/** Bytes each in-memory structure may hold (README: Memory bounds). */
export interface MemoryBounds {
  /** CACHE_MAX_BYTES: the memory store's entries. */
  storeBytes: number;
  /** CACHE_KEY_MEMO_BYTES: the hit path's and the document hash's memos, together. */
  keyMemoBytes: number;
  /** CACHE_WARM_MAX_BYTES: the popular list's texts. */
  popularBytes: number;
  /** PARSE_CACHE_MAX_BYTES: Yoga's parsed documents (sized by their tokens). */
  parseCacheBytes: number;
  /** PARSE_CACHE_MAX_TEXT_BYTES: longer texts are parsed every time, never kept. */
  parseCacheTextBytes: number;
  /** APQ_MAX_BYTES: the in-process APQ store (without Redis). */
  apqBytes: number;
  /** APQ_MAX_DOCUMENT_BYTES: larger documents still run but are not registered. */
  apqDocumentBytes: number;
  /** APQ_TENANT_QUOTA_BYTES: what one tenant may register in Redis per APQ_TTL window. */
  apqTenantQuotaBytes: number;
  /** CACHE_MISS_REASON_BYTES: the keys a store remembers to tell why a lookup missed. */
  missReasonBytes: number;
  /** CACHE_TTL_SIM_BYTES: the TTL simulator's sampled keys and per-operation figures. */
  ttlSimBytes: number;
  /** DAY_RANGE_MEMO_BYTES: the days (zone and date) whose instants dayRange remembers. */
  dayRangeBytes: number;
  /** CACHE_FLIGHT_LINGER_BYTES: finished misses' JSON kept up to a second for identical ones. */
  flightLingerBytes: number;
  /** JIT_MAX_BYTES: queries compiled by graphql-jit, with their documents (0: none). */
  jitBytes: number;
  /** JIT_AFTER_RUNS: a kept document is compiled at this run (0: never). */
  jitAfterRuns: number;
}

/** A byte count of at least `min` bytes, `defaultMiB` MiB when unset. */
const mebibytes = (min: number, defaultMiB: number) =>
  z.coerce
    .number()
    .int()
    .min(min)
    .default(defaultMiB * 1_048_576);

/**
 * Each in-memory bound's variable and its rule (README: Memory bounds), as config.ts's
 * environment schema takes them; `boundsOf` reads them back as MemoryBounds.
 */
const BOUNDS = {
  storeBytes: ['CACHE_MAX_BYTES', mebibytes(1, 64)],
  keyMemoBytes: ['CACHE_KEY_MEMO_BYTES', mebibytes(0, 8)],
  popularBytes: ['CACHE_WARM_MAX_BYTES', mebibytes(0, 2)],
  parseCacheBytes: ['PARSE_CACHE_MAX_BYTES', mebibytes(0, 16)],
  parseCacheTextBytes: [
    'PARSE_CACHE_MAX_TEXT_BYTES',
    z.coerce.number().int().min(0).max(1_048_576).default(4_096),
  ],
  apqBytes: ['APQ_MAX_BYTES', mebibytes(1, 16)],
  apqDocumentBytes: [
    'APQ_MAX_DOCUMENT_BYTES',
    z.coerce.number().int().min(1).max(1_048_576).default(16_384),
  ],
  apqTenantQuotaBytes: ['APQ_TENANT_QUOTA_BYTES', mebibytes(1, 4)],
  missReasonBytes: ['CACHE_MISS_REASON_BYTES', mebibytes(0, 1)],
  ttlSimBytes: ['CACHE_TTL_SIM_BYTES', mebibytes(0, 2)],
  dayRangeBytes: ['DAY_RANGE_MEMO_BYTES', mebibytes(0, 1)],
  flightLingerBytes: ['CACHE_FLIGHT_LINGER_BYTES', mebibytes(0, 16)],
  jitBytes: ['JIT_MAX_BYTES', mebibytes(0, 8)],
  jitAfterRuns: ['JIT_AFTER_RUNS', z.coerce.number().int().min(0).default(2)],
} as const satisfies Record<keyof MemoryBounds, readonly [string, z.ZodTypeAny]>;

type BoundsEnv = { [K in keyof typeof BOUNDS as (typeof BOUNDS)[K][0]]: (typeof BOUNDS)[K][1] };

/** The bounds' variables, spread into config.ts's environment schema. */
export const boundsEnv = Object.fromEntries(
  Object.values(BOUNDS).map(([env, rule]) => [env, rule]),
) as BoundsEnv;

/** The bounds from the parsed environment. */
export function boundsOf(e: Record<string, unknown>): MemoryBounds {
  return Object.fromEntries(
    Object.entries(BOUNDS).map(([bound, [env]]) => [bound, e[env]]),
  ) as unknown as MemoryBounds;
}

/** The bounds when no variable is set. */
export const DEFAULT_BOUNDS: MemoryBounds = boundsOf(z.object(boundsEnv).parse({}));

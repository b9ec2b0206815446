/**
 * The response store: serialized GraphQL response bodies with hierarchical tags, one namespace
 * per scope (a tenant id, or 'ops' for operators). Redis and memory implement the same semantics.
 * This file says what a store promises; each backend's own file says how it lays its data out.
 *
 * Why eviction or loss can only cause misses (redis/keys.ts has how Redis lays this out): an
 * entry records the scope clock it is known valid at, and a lookup serves it only when the clock
 * still has that value (no invalidation since: every one raises it) or when the scope's log of
 * invalidations proves that none since touched one of its tags (or a prefix of one). A missing
 * log, one trimmed past the entry's clock, or one that lacks the clock's latest invalidation
 * proves nothing: a miss. The clock is a Redis TIME reading in µs, raised above its last value,
 * so a clock that was lost and created again never repeats an old one. A save refuses when the
 * log holds one of its tags at or after its lookup's clock, or when the clock moved and the log
 * can't show what moved it (a missing clock shows nothing). A missing epoch is a miss, and the
 * next purge or lookup creates a new one.
 */

import type { MissReason } from '../outcome.js';
import type { StoredBody } from './body.js';

export type CacheBackendName = 'REDIS' | 'MEMORY';

/** An entry whose TTL ran out, but which no write invalidated (DESIGN §8). */
export interface StaleEntry {
  body: string;
  /** How long ago its TTL ran out, in ms. */
  expiredMs: number;
  /** The stale-while-revalidate grace the entry was saved with (0: the type did not opt in). */
  swrMs: number;
}

export type LookupResult =
  /**
   * `ttlMs`: the remaining time to live in ms, null when the entry never expires. `near`: served
   * by the Redis store's in-process copy, after one round trip proved it still valid. `tags`:
   * null only when the lookup was asked without them ({ tags: false }) and the store did not
   * have them at hand.
   */
  | { hit: true; body: StoredBody; tags: string[] | null; ttlMs: number | null; near?: boolean }
  /**
   * `seq`: the scope's clock at the time of the lookup; `epoch`: the epoch the lookup used.
   * Both go back into the save that follows the execution. `generation`: the scope's last
   * invalidation; two lookups with the same generation saw the same data (single flight).
   * `stale`: an expired, never invalidated entry still within its grace. `reason`: why there
   * was no entry, as far as the store can tell (absent: it can't).
   */
  | {
      hit: false;
      seq: number;
      epoch: number;
      generation: string;
      stale: StaleEntry | null;
      reason?: MissReason;
    };

export interface LookupOptions {
  /**
   * false: the caller has no use for a hit's tags (the node:http hit path without tracing or
   * CACHE_DEBUG), so the Redis store doesn't read them: at 400 entities they are most of an
   * entry's bytes. Default true.
   */
  tags?: boolean;
}

export interface SaveEntry {
  /** The serialized response. */
  body: string;
  /** The same, prepared (ETag, compression); prepared without compression when absent. */
  prepared?: StoredBody;
  /** e.g. `['Agenda:u1:2026-11-22', 'Appointment:a1', 'User:u1']`; prefixes are added on save. */
  tags: string[];
  /** Time to live in ms; null means no expiry (the store still bounds it by its maxTtlMs). */
  ttlMs: number | null;
  /** The seq returned by the lookup miss that preceded this execution. */
  seenSeq: number;
  /**
   * The epoch of that lookup. The entry is written under it, so a result computed before a
   * purge lands in the purged epoch, where nobody reads it.
   */
  seenEpoch: number;
  /**
   * How long after its TTL the entry may still be served while one refresh runs
   * (stale-while-revalidate; 0 or absent: never).
   */
  swrMs?: number;
  /** How long after its TTL the entry may still be served when the database fails (0: never). */
  staleIfErrorMs?: number;
}

export interface StoreInfo {
  keys: number | null;
  usedMemoryBytes: number | null;
  version: string | null;
  connectedClients: number | null;
}

export interface NearStats {
  /** Hits served from a copy, after the round trip that proved it valid. */
  hits: number;
  /**
   * Of those, hits whose scope clock had moved (a write in the tenant) and whose copy the
   * scope's log proved untouched, so it stayed.
   */
  kept: number;
  entries: number;
  bytes: number;
}

/**
 * An invalidation that raised the scope's clock (every entry it touches misses from then on)
 * while the scope's Redis Cluster slot was moving to another master, and could not do the rest
 * there (the log when its keys were split, the previous format's versions, freeing the
 * entries): to be applied again once the slot has moved. Not an outage: the breaker stays
 * closed, the outbox row stays.
 */
export class SlotMoving extends Error {
  constructor() {
    super("the scope's Redis Cluster slot is moving to another master");
    this.name = 'SlotMoving';
  }
}

/**
 * Redis refused a command because a slot is moving between masters right now: TRYAGAIN (a
 * command's keys on both sides), a script's undeclared key not here, or a redirection (MOVED,
 * ASK) that ioredis hands back instead of following. It follows one for a single command, but
 * an auto-pipelined batch only when every failed command of it got the same answer and the
 * others are read-only (ioredis's Pipeline): a batch that mixes a script with reads doesn't.
 * Nothing was done (unlike SlotMoving, an invalidation applied in part); the same command
 * succeeds once the client knows where the slot is.
 */
export function isSlotRefusal(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const { message } = error;
  return (
    isTryAgain(error) ||
    message.startsWith('MOVED ') ||
    message.startsWith('ASK ') ||
    message.startsWith(GAVE_UP) ||
    message.includes('non local key')
  );
}

/** What ioredis's cluster client says when it gave up following a command's redirections. */
const GAVE_UP = 'Too many Cluster redirections';

/**
 * TRYAGAIN: the command's keys are on both sides of a slot on the move. ioredis tries a single
 * command again itself (retryDelayOnTryAgain) and, past maxRedirections, gives up with the
 * last error in its message.
 */
export function isTryAgain(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const { message } = error;
  return (
    message.startsWith('TRYAGAIN') || (message.startsWith(GAVE_UP) && message.includes('TRYAGAIN'))
  );
}

export interface ResponseStore {
  readonly backend: CacheBackendName;
  /** Answers from this process's memory: no I/O, so nothing to time out (the memory store). */
  readonly inProcess?: boolean;
  lookup(scope: string, key: string, options?: LookupOptions): Promise<LookupResult>;
  /**
   * 'stale' when any of the entry's tags (or a prefix of one) was invalidated after
   * entry.seenSeq, or when the store cannot prove it wasn't: nothing is written then.
   */
  save(scope: string, key: string, entry: SaveEntry): Promise<'stored' | 'stale'>;
  /**
   * Removes every entry of that scope carrying one of the tags or a tag below it; returns how
   * many entries it removed. Throws SlotMoving when it must be applied again.
   */
  invalidate(scope: string, tags: string[]): Promise<number>;
  /**
   * Drops everything in O(1): bumps the global epoch that is part of every entry key. Returns
   * the new epoch.
   */
  purge(): Promise<number>;
  info(): Promise<StoreInfo>;
  /** The Redis store's in-process copies (absent elsewhere, or null when turned off). */
  nearStats?(): NearStats | null;
  /**
   * Whether a save handed over now is sure to be applied before any call this process makes
   * after it, so that a caller may go on without waiting for the save's answer and still read
   * the entry back (response-save.ts). Absent: only an in-process store (inProcess) is.
   */
  savesInOrder?(): boolean;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export const DEFAULT_MAX_TTL_MS = 7 * 24 * 60 * 60 * 1000;
/** The most entry keys an index set keeps (the newest); older ones expire by their TTL. */
export const DEFAULT_INDEX_MAX = 1_000;

/**
 * Each tag plus all of its colon prefixes, deduplicated, in first-seen order:
 * `['Agenda:u1:2026-11-22']` gives `['Agenda', 'Agenda:u1', 'Agenda:u1:2026-11-22']`.
 * Indexing an entry under every prefix is what lets `invalidate(['Agenda:u1'])` reach it.
 */
export function expandTags(tags: Iterable<string>): string[] {
  const expanded = new Set<string>();
  for (const tag of tags) {
    if (tag === '') continue;
    let at = tag.indexOf(':');
    while (at !== -1) {
      if (at > 0) expanded.add(tag.slice(0, at));
      at = tag.indexOf(':', at + 1);
    }
    expanded.add(tag);
  }
  return [...expanded];
}

/** The TTL an entry is stored with: ttlMs, or maxTtlMs when it has none. */
export function storedTtlMs(ttlMs: number | null, maxTtlMs: number): number {
  if (ttlMs === null || ttlMs === Number.POSITIVE_INFINITY) return maxTtlMs;
  if (!Number.isFinite(ttlMs) || ttlMs <= 0) {
    throw new RangeError(`ttlMs must be a positive number or null, got ${ttlMs}`);
  }
  return Math.ceil(ttlMs);
}

/** How long an entry outlives its TTL: the longer of its SWR and stale-if-error windows. */
export function graceMs(entry: Pick<SaveEntry, 'ttlMs' | 'swrMs' | 'staleIfErrorMs'>): number {
  if (entry.ttlMs === null || entry.ttlMs === Number.POSITIVE_INFINITY) return 0;
  return Math.max(0, Math.ceil(entry.swrMs ?? 0), Math.ceil(entry.staleIfErrorMs ?? 0));
}

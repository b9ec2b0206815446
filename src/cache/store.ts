/**
 * The response store: serialized GraphQL response bodies with hierarchical tags, one namespace
 * per scope (a tenant id, or 'ops' for operators). Redis and memory implement the same semantics.
 *
 * Redis key layout (every key starts with `<prefix>:`; every per-scope key carries the Redis
 * Cluster hash tag `{t:<scope>}`, so one scope's keys share a hash slot and its scripts run on
 * one node):
 *
 *   <prefix>:epoch                                    global epoch; INCR on purge, cached locally
 *   <prefix>:events                                   pub/sub channel: purge publishes the epoch
 *   <prefix>:{t:<scope>}:<schemaHash>:<epoch>:r:<key> the entry: `<flag><tags JSON>\n<body>`,
 *                                                     flag 'e' expires, 'n' means ttlMs null
 *                                                     (stored with PX maxTtlMs all the same)
 *   <prefix>:{t:<scope>}:tag:<tag>                    SET of entry keys under that tag or below;
 *                                                     PTTL >= the longest-lived entry it holds
 *   <prefix>:{t:<scope>}:seq                          the scope's invalidation sequence number
 *   <prefix>:{t:<scope>}:inv:<tag>                    seq of the tag's last invalidation,
 *                                                     PX markerTtlMs
 *
 * Schema hash and epoch sit inside the entry key, so a deploy that changes the schema, or a
 * purge, makes every earlier entry unreachable at once; those entries then age out by their TTL
 * (never later than maxTtlMs), and the tag sets expire with them.
 */

export type CacheBackendName = 'REDIS' | 'MEMORY';

export type LookupResult =
  /** `ttlMs`: the remaining time to live in ms, null when the entry never expires. */
  | { hit: true; body: string; tags: string[]; ttlMs: number | null }
  /**
   * `seq`: the scope's invalidation sequence number at the time of the lookup; `epoch`: the
   * epoch the lookup used. Both go back into the save that follows the execution.
   */
  | { hit: false; seq: number; epoch: number };

export interface SaveEntry {
  /** The serialized response. */
  body: string;
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
}

export interface StoreInfo {
  keys: number | null;
  usedMemoryBytes: number | null;
  version: string | null;
  connectedClients: number | null;
}

export interface ResponseStore {
  readonly backend: CacheBackendName;
  lookup(scope: string, key: string): Promise<LookupResult>;
  /**
   * 'stale' when any of the entry's tags (or a prefix of one) was invalidated after
   * entry.seenSeq: nothing is written then.
   */
  save(scope: string, key: string, entry: SaveEntry): Promise<'stored' | 'stale'>;
  /**
   * Removes every entry of that scope carrying one of the tags or a tag below it; returns how
   * many entries it removed.
   */
  invalidate(scope: string, tags: string[]): Promise<number>;
  /**
   * Drops everything in O(1): bumps the global epoch that is part of every entry key. Returns
   * the new epoch.
   */
  purge(): Promise<number>;
  info(): Promise<StoreInfo>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export const DEFAULT_MAX_TTL_MS = 7 * 24 * 60 * 60 * 1000;
export const DEFAULT_MARKER_TTL_MS = 120_000;

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

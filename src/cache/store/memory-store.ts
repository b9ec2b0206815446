import { LRUCache } from 'lru-cache';
import { identityBody, type StoredBody } from './body.js';
import type { RecentEntries } from './recent-entries.js';
import {
  DEFAULT_MAX_TTL_MS,
  expandTags,
  graceMs,
  type LookupResult,
  type ResponseStore,
  storedTtlMs,
} from './store.js';

export interface MemoryStoreOptions {
  /** CACHE_MAX_ENTRIES: the LRU bound; the tag index shrinks with the entries it points to. */
  maxEntries: number;
  /**
   * CACHE_MAX_BYTES: the bound on what the entries hold (sizeOf: body, tags, index); the least
   * recently used go first. Unbounded in bytes when absent (tests of other behaviour).
   */
  maxBytes?: number;
  /** Told of every entry pushed out to stay within maxEntries or maxBytes. */
  onEvict?: () => void;
  /** Told of every entry larger than maxBytes on its own (not kept). */
  onRefuse?: () => void;
  /** Expiry of entries saved with ttlMs null (default 7 days). They still report ttlMs null. */
  maxTtlMs?: number;
  /** How long an invalidation marker refuses stale saves (default 120 s). */
  markerTtlMs?: number;
  /**
   * Clock in ms, for tests (default performance.now). Must not return 0: lru-cache reads a
   * start time of 0 as "no TTL".
   */
  now?: () => number;
  /** What it saved, to tell why a lookup found nothing (absent: every miss is unexplained). */
  recent?: RecentEntries | null;
}

export interface MemoryResponseStore extends ResponseStore {
  /** How many `scope + tag` sets the index holds: bounded because entries leaving prune it. */
  indexedTags(): number;
  /** What the entries hold by sizeOf (≤ maxBytes). */
  bytes(): number;
}

/**
 * What one entry costs beyond its body and tag characters, in bytes: the Entry and StoredBody
 * objects, the Buffer's own object, the LRU's slots and the entry key (about 130 characters)
 * (ENTRY_OVERHEAD_BYTES), and per tag it is indexed under its expanded string, its index key and
 * a Set (INDEXED_TAG_BYTES). Measured by bench/memory-sizes.ts (heap + array buffers before and
 * after saving 20,000 entries of 98-byte bodies, Node 20): 1,890 bytes an entry with 3 tags (6
 * indexed), 2,740 with 6 (11 indexed), i.e. about 170 an indexed tag and 780 besides; sizeOf
 * rounds up (2,275 and 3,062).
 */
export const ENTRY_OVERHEAD_BYTES = 800;
export const INDEXED_TAG_BYTES = 176;

/**
 * The bytes an entry holds as the byte bound counts them: body bytes (and for a gzipped body its
 * closing, and the JSON kept beside it once a client asked for it: StoredBody.extraBytes), tag
 * strings, overhead.
 */
export function sizeOf(entry: { body: StoredBody; tags: string[]; indexedUnder: string[] }) {
  let bytes =
    ENTRY_OVERHEAD_BYTES +
    entry.body.bytes.length +
    entry.body.extraBytes() +
    entry.body.etag.length;
  for (const tag of entry.tags) bytes += 16 + tag.length;
  for (const tag of entry.indexedUnder) bytes += INDEXED_TAG_BYTES + 2 * tag.length;
  return bytes;
}

interface Entry {
  scope: string;
  body: StoredBody;
  tags: string[];
  /** The expanded tags the entry is indexed under. */
  indexedUnder: string[];
  neverExpires: boolean;
  /** When its TTL runs out (clock ms); it is kept `graceMs` longer for SWR / stale-if-error. */
  freshUntil: number;
  swrMs: number;
}

/** How long an invalidation marker refuses saves that looked up before it (default 120 s). */
export const DEFAULT_MARKER_TTL_MS = 120_000;

// Scopes are UUIDs or 'ops', and NUL appears in no tag, so these joined keys cannot collide.
// Template strings, not an array's join: a miss's save makes one per expanded tag, and the
// eviction it causes as many again (issue 19).
const tagKeyOf = (scope: string, tag: string) => `${scope}\0${tag}`;
const entryKeyOf = (scope: string, epoch: number, key: string) => `${scope}\0${epoch}\0${key}`;

/** The response store in process memory, with the same semantics as the Redis store. */
export function createMemoryStore(options: MemoryStoreOptions): MemoryResponseStore {
  const maxTtlMs = options.maxTtlMs ?? DEFAULT_MAX_TTL_MS;
  const markerTtlMs = options.markerTtlMs ?? DEFAULT_MARKER_TTL_MS;
  const now = options.now ?? (() => performance.now());

  /** `scope \0 tag` -> keys of the entries indexed under that tag. */
  const index = new Map<string, Set<string>>();
  const seqs = new Map<string, number>();
  // `scope \0 tag` -> the seq of its last invalidation. Every marker lives equally long and is
  // re-inserted when set, so the map stays ordered by expiry and is swept from the front.
  const markers = new Map<string, { seq: number; expiresAt: number }>();
  let epoch = 0;

  const onEvict = options.onEvict ?? (() => {});
  const entries = new LRUCache<string, Entry>({
    max: options.maxEntries,
    ...(options.maxBytes ? { maxSize: options.maxBytes, sizeCalculation: sizeOf } : {}),
    ttl: maxTtlMs,
    perf: { now },
    ttlResolution: options.now ? 0 : 1,
    dispose(entry, entryKey, reason) {
      if (reason === 'evict') onEvict();
      for (const tag of entry.indexedUnder) {
        const tagKey = tagKeyOf(entry.scope, tag);
        const keys = index.get(tagKey);
        if (keys === undefined) continue;
        keys.delete(entryKey);
        if (keys.size === 0) index.delete(tagKey);
      }
    },
  });

  function sweepMarkers(at: number): void {
    for (const [tagKey, marker] of markers) {
      if (marker.expiresAt > at) break;
      markers.delete(tagKey);
    }
  }

  /** The lookup itself: nothing in it waits, so the hit path can take its answer at once. */
  function lookupNow(scope: string, key: string): LookupResult {
    const entry = entries.get(entryKeyOf(scope, epoch, key));
    const at = entry === undefined ? 0 : now();
    if (entry !== undefined && (entry.neverExpires || at < entry.freshUntil)) {
      return {
        hit: true,
        body: entry.body,
        tags: entry.tags,
        ttlMs: entry.neverExpires ? null : Math.max(0, Math.ceil(entry.freshUntil - at)),
      };
    }
    const seq = seqs.get(scope) ?? 0;
    const generation = String(seq);
    const miss = { hit: false as const, seq, epoch, generation, stale: null };
    if (entry === undefined) {
      // The epoch too: a purge since the save reads as an invalidation.
      const reason = options.recent?.reasonOf(scope, key, `${epoch}.${generation}`);
      return reason ? { ...miss, reason } : miss;
    }
    return {
      ...miss,
      reason: 'expired',
      stale: {
        body: entry.body.text(),
        expiredMs: Math.floor(at - entry.freshUntil),
        swrMs: entry.swrMs,
      },
    };
  }

  const store: MemoryResponseStore = {
    backend: 'MEMORY',
    inProcess: true,

    lookup: async (scope, key) => lookupNow(scope, key),

    async save(scope, key, entry) {
      const ttl = storedTtlMs(entry.ttlMs, maxTtlMs);
      const grace = graceMs(entry);
      const expanded = expandTags(entry.tags);
      const at = now();
      sweepMarkers(at);
      const tagKeys = expanded.map((tag) => tagKeyOf(scope, tag));
      if (markers.size > 0) {
        for (const tagKey of tagKeys) {
          const marker = markers.get(tagKey);
          if (marker !== undefined && marker.seq > entry.seenSeq) return 'stale';
        }
      }
      // Computed before a purge: its epoch is gone, so there is nothing to keep.
      if (entry.seenEpoch !== epoch) return 'stale';
      const entryKey = entryKeyOf(scope, epoch, key);
      const stored: Entry = {
        scope,
        body: entry.prepared ?? identityBody(entry.body),
        tags: [...entry.tags],
        indexedUnder: expanded,
        neverExpires: entry.ttlMs === null || entry.ttlMs === Number.POSITIVE_INFINITY,
        freshUntil: at + ttl,
        swrMs: grace === 0 ? 0 : Math.ceil(entry.swrMs ?? 0),
      };
      // Larger than the whole bound: served, never kept (and never indexed).
      if (options.maxBytes && sizeOf(stored) > options.maxBytes) {
        options.onRefuse?.();
        return 'stored';
      }
      entries.set(entryKey, stored, { ttl: ttl + grace });
      // A gzipped body keeps its JSON once a client that doesn't take gzip asked for it (issue
      // 19), counted in maxBytes: the LRU measures only a new value, so a copy of the entry
      // replaces it (keeping its TTL and its index: no dispose) and others are evicted to make
      // room. Declined when the entry would no longer fit on its own.
      stored.body.keepPlain(() => {
        if (entries.peek(entryKey) !== stored) return false;
        if (options.maxBytes && sizeOf(stored) > options.maxBytes) return false;
        entries.set(entryKey, { ...stored }, { noUpdateTTL: true, noDisposeOnSet: true });
        return true;
      });
      const generation = `${epoch}.${seqs.get(scope) ?? 0}`;
      options.recent?.remember(scope, key, stored.neverExpires ? null : ttl, generation);
      for (const tagKey of tagKeys) {
        let keys = index.get(tagKey);
        if (keys === undefined) {
          keys = new Set();
          index.set(tagKey, keys);
        }
        keys.add(entryKey);
      }
      return 'stored';
    },

    async invalidate(scope, tags) {
      const unique = [...new Set(tags)].filter((tag) => tag !== '');
      if (unique.length === 0) return 0;
      const seq = (seqs.get(scope) ?? 0) + 1;
      seqs.set(scope, seq);
      const at = now();
      sweepMarkers(at);
      let removed = 0;
      for (const tag of unique) {
        const tagKey = tagKeyOf(scope, tag);
        // Deleting an entry runs dispose, which edits this set: iterate over a copy.
        for (const entryKey of [...(index.get(tagKey) ?? [])]) {
          if (entries.has(entryKey)) removed++;
          entries.delete(entryKey);
        }
        index.delete(tagKey);
        markers.delete(tagKey);
        markers.set(tagKey, { seq, expiresAt: at + markerTtlMs });
      }
      return removed;
    },

    async purge() {
      epoch++;
      // The epoch alone makes every entry unreachable; clearing gives the memory back now.
      entries.clear();
      return epoch;
    },

    async info() {
      return { keys: entries.size, usedMemoryBytes: null, version: null, connectedClients: null };
    },

    async ping() {},

    indexedTags: () => index.size,

    bytes: () => entries.calculatedSize ?? 0,

    async close() {
      entries.clear();
      index.clear();
      markers.clear();
    },
  };
  synchronous.set(store, lookupNow);
  return store;
}

/**
 * The memory stores' lookups as plain functions, by store object: what syncLookupOf hands out.
 * A wrapper (traceStore) is another object, so it is never bypassed.
 */
const synchronous = new WeakMap<object, (scope: string, key: string) => LookupResult>();

/**
 * The lookup of `store` without its promise, when `store` is a memory store itself (not a
 * wrapper of one): the hit path then answers in the turn the request was read (issue 19: the
 * promise hops of an async lookup were a measurable share of a memory hit).
 */
export function syncLookupOf(
  store: ResponseStore,
): ((scope: string, key: string) => LookupResult) | undefined {
  return synchronous.get(store);
}

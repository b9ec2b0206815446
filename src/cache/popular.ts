import type { TenantViewer } from '../auth/viewer.js';
import { persistedHashOf } from './persisted.js';
import { type ByteBudget, stringBytes } from './stats/bounds.js';

/** GraphQL-over-HTTP parameters as a request carried them (JSON body, query string or Yoga's). */
export interface RequestParams {
  query?: unknown;
  operationName?: unknown;
  variables?: unknown;
  extensions?: unknown;
}

/** A listed request, as the warmer sends it again: what the client sent, as the client sent it. */
export interface PopularRequest {
  /** Who sent it: the replay runs as this tenant, in its scope, and nowhere else. */
  viewer: TenantViewer;
  /** The request's cache key (the same text, name and variables give it again). */
  key: string;
  /** The document text; null while only its persisted-query hash is known. */
  query: string | null;
  /** The APQ `sha256Hash` the client sent, or null. */
  hash: string | null;
  operationName: string | null;
  /** The variables as JSON, exactly as they were sent; null when there were none. */
  variables: string | null;
  /** Requests counted since it was listed, halved by every decay() (space-saving: see below). */
  count: number;
}

export interface PopularRequestsOptions {
  /** CACHE_WARM_TOP: how many requests are listed; 0 lists none. */
  max: number;
  /**
   * A request whose document text and variables are longer than this (in characters) is not
   * listed: the list holds at most `max` of them, so memory stays below max × this.
   */
  maxEntryChars?: number;
  /**
   * CACHE_WARM_MAX_BYTES: what the listed requests may hold together (entryBytes); a newcomer
   * pushes out the lowest counts to fit, or isn't listed. Unbounded in bytes when absent.
   */
  budget?: ByteBudget;
}

/** Heap bytes of a listed request besides its strings: the Entry, its viewer, the Map slot. */
const ENTRY_BYTES = 256;

/** What a listed request holds, as CACHE_WARM_MAX_BYTES counts it. */
function entryBytes(e: Pick<Entry, 'key' | 'query' | 'hash' | 'operationName' | 'variables'>) {
  let bytes = ENTRY_BYTES + stringBytes(e.key);
  for (const text of [e.query, e.hash, e.operationName, e.variables]) {
    if (text !== null) bytes += stringBytes(text);
  }
  return bytes;
}

/** Characters of document text and variables JSON one listed request may hold (32 KiB). */
export const MAX_ENTRY_CHARS = 32_768;

/** A listed request and its place in the bucket of its count. */
class Entry {
  viewer!: TenantViewer;
  key = '';
  query: string | null = null;
  hash: string | null = null;
  operationName: string | null = null;
  variables: string | null = null;
  bucket!: Bucket;
  /** entryBytes when it was listed or last changed. */
  bytes = 0;
  prev: Entry | null = null;
  next: Entry | null = null;
}

/** The entries with one count, oldest first; buckets are linked in increasing count. */
class Bucket {
  count = 0;
  head: Entry | null = null;
  tail: Entry | null = null;
  prev: Bucket | null = null;
  next: Bucket | null = null;
}

/**
 * The most requested cacheable requests of each tenant, for the warmer (issue 8): a fixed number
 * of (tenant, key) entries with their counts, kept by the space-saving algorithm (Metwally et al.,
 * "Efficient computation of frequent and top-k elements in data streams", 2005) over its
 * stream-summary structure.
 *
 * - record() is O(1) and runs on every hit: two Map lookups and a move to the next bucket. A hit
 *   of a listed request allocates nothing (buckets come from a pool of at most max + 1).
 * - A request enters the list only on a hit: only a stored entry proves that the request is a
 *   cacheable query (a miss may be a mutation, or an error that is never stored). Once listed,
 *   its misses count too, so an invalidated or purged favourite keeps its rank.
 * - When the list is full, a newcomer replaces the entry with the lowest count (the oldest of
 *   them) and starts one above it. Any request sent more than 1/max of the time is therefore
 *   listed, and a flood of one-off requests can't push out the frequent ones.
 * - decay() halves every count (the warmer calls it once per full run): yesterday's favourites
 *   fall behind today's, and a request no longer sent leaves the list.
 */
export function createPopularRequests(options: PopularRequestsOptions) {
  const max = Math.max(0, Math.floor(options.max));
  const maxEntryChars = options.maxEntryChars ?? MAX_ENTRY_CHARS;
  const budget = options.budget;
  const maxBytes = budget?.maxBytes ?? Number.POSITIVE_INFINITY;
  let bytes = 0;
  const scopes = new Map<string, Map<string, Entry>>();
  /** Requests that must not count: the warmer's own. */
  const excluded = new WeakSet<object>();
  let size = 0;
  let lowest: Bucket | null = null;
  let pool: Bucket | null = null;

  function bucketAfter(before: Bucket | null, count: number): Bucket {
    const bucket = pool ?? new Bucket();
    pool = bucket === pool ? bucket.next : pool;
    bucket.count = count;
    bucket.head = bucket.tail = null;
    bucket.prev = before;
    bucket.next = before ? before.next : lowest;
    if (bucket.next) bucket.next.prev = bucket;
    if (before) before.next = bucket;
    else lowest = bucket;
    return bucket;
  }

  function freeBucket(bucket: Bucket) {
    if (bucket.prev) bucket.prev.next = bucket.next;
    else lowest = bucket.next;
    if (bucket.next) bucket.next.prev = bucket.prev;
    bucket.prev = bucket.head = bucket.tail = null;
    bucket.next = pool;
    pool = bucket;
  }

  function append(bucket: Bucket, entry: Entry) {
    entry.bucket = bucket;
    entry.next = null;
    entry.prev = bucket.tail;
    if (bucket.tail) bucket.tail.next = entry;
    else bucket.head = entry;
    bucket.tail = entry;
  }

  /** Takes the entry out of its bucket, and the bucket out of the list once it is empty. */
  function unlink(entry: Entry) {
    const bucket = entry.bucket;
    if (entry.prev) entry.prev.next = entry.next;
    else bucket.head = entry.next;
    if (entry.next) entry.next.prev = entry.prev;
    else bucket.tail = entry.prev;
    entry.prev = entry.next = null;
    if (!bucket.head) freeBucket(bucket);
  }

  function bump(entry: Entry) {
    const from = entry.bucket;
    const count = from.count + 1;
    const to = from.next && from.next.count === count ? from.next : bucketAfter(from, count);
    unlink(entry);
    append(to, entry);
  }

  function forget(entry: Entry) {
    const keys = scopes.get(entry.viewer.tenantId);
    keys?.delete(entry.key);
    if (keys?.size === 0) scopes.delete(entry.viewer.tenantId);
  }

  function admit(viewer: TenantViewer, key: string, params: RequestParams) {
    const query = typeof params.query === 'string' ? params.query : null;
    // Read as the hit path and the APQ plugin read it: the warmer sends it again as version 1.
    const hash = persistedHashOf(params.extensions);
    if (query === null && hash === null) return;
    const variables = params.variables == null ? null : JSON.stringify(params.variables);
    if ((query?.length ?? 0) + (variables?.length ?? 0) > maxEntryChars) return;
    const operationName = typeof params.operationName === 'string' ? params.operationName : null;
    const cost = entryBytes({ key, query, hash, operationName, variables });
    if (cost > maxBytes) {
      if (budget) budget.refusals++;
      return;
    }
    // Room in bytes: the lowest counts go first (all but the one the newcomer replaces).
    while (size > 1 && bytes + cost - (size >= max ? lowestBytes() : 0) > maxBytes) {
      remove((lowest as Bucket).head as Entry);
      if (budget) budget.evictions++;
    }
    let entry: Entry;
    if (size < max && bytes + cost <= maxBytes) {
      entry = new Entry();
      size++;
      append(lowest && lowest.count === 1 ? lowest : bucketAfter(null, 1), entry);
    } else {
      // Space-saving: the newcomer takes the place of the oldest entry with the lowest count,
      // and that count plus one (it may have been sent that often while unlisted).
      entry = (lowest as Bucket).head as Entry;
      forget(entry);
      bump(entry);
      if (budget) budget.evictions++;
    }
    entry.viewer = viewer;
    entry.key = key;
    entry.query = query;
    entry.hash = hash;
    entry.operationName = operationName;
    entry.variables = variables;
    bytes += cost - entry.bytes;
    entry.bytes = cost;
    let keys = scopes.get(viewer.tenantId);
    if (!keys) {
      keys = new Map();
      scopes.set(viewer.tenantId, keys);
    }
    keys.set(key, entry);
  }

  function remove(entry: Entry) {
    forget(entry);
    unlink(entry);
    size--;
    bytes -= entry.bytes;
  }

  const lowestBytes = () => lowest?.head?.bytes ?? 0;
  if (budget) budget.reader = () => bytes;

  return {
    /**
     * Counts one request of a tenant for a cacheable key: `hit` when the store held its entry.
     * `request`: the Fetch Request, to leave out the ones exclude() marked.
     */
    record(
      viewer: TenantViewer,
      key: string,
      params: RequestParams,
      hit: boolean,
      request?: object,
    ) {
      if (max === 0 || (request !== undefined && excluded.has(request))) return;
      const entry = scopes.get(viewer.tenantId)?.get(key);
      if (entry) {
        // A persisted query listed by its hash: its text, once a request carries it.
        if (
          entry.query === null &&
          typeof params.query === 'string' &&
          params.query.length + (entry.variables?.length ?? 0) <= maxEntryChars &&
          bytes + stringBytes(params.query) <= maxBytes
        ) {
          entry.query = params.query;
          const cost = entryBytes(entry);
          bytes += cost - entry.bytes;
          entry.bytes = cost;
        }
        bump(entry);
      } else if (hit) {
        admit(viewer, key, params);
      }
    },
    /** Leaves a request out of the counts (the warmer's own requests). */
    exclude<T extends object>(request: T): T {
      excluded.add(request);
      return request;
    },
    /** The listed requests, most requested first (copies: the list goes on changing). */
    top(): PopularRequest[] {
      const listed: PopularRequest[] = [];
      for (let bucket = lowest; bucket; bucket = bucket.next) {
        for (let e = bucket.head; e; e = e.next) {
          const { viewer, key, query, hash, operationName, variables } = e;
          listed.push({ viewer, key, query, hash, operationName, variables, count: bucket.count });
        }
      }
      return listed.reverse();
    },
    /** The count of a listed request, or 0. */
    countOf(tenantId: string, key: string): number {
      return scopes.get(tenantId)?.get(key)?.bucket.count ?? 0;
    },
    get size() {
      return size;
    },
    /** Takes a request off the list (its replay failed). */
    drop(tenantId: string, key: string): boolean {
      const entry = scopes.get(tenantId)?.get(key);
      if (!entry) return false;
      remove(entry);
      return true;
    },
    /** Halves every count (rounding down); requests that reach 0 leave the list. O(max). */
    decay() {
      let previous: Bucket | null = null;
      for (let bucket = lowest; bucket; ) {
        const next: Bucket | null = bucket.next;
        const count = Math.floor(bucket.count / 2);
        if (count === 0) {
          while (bucket.head) remove(bucket.head);
        } else if (previous && previous.count === count) {
          // Counts that halve to the same value share a bucket: the lower ones stay first.
          while (bucket.head) {
            const entry: Entry = bucket.head;
            unlink(entry);
            append(previous, entry);
          }
        } else {
          bucket.count = count;
          previous = bucket;
        }
        bucket = next;
      }
    },
  };
}

export type PopularRequests = ReturnType<typeof createPopularRequests>;

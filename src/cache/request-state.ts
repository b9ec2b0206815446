import type { ExecutionResult } from 'graphql';
import type { CacheOutcome, CacheReason } from './outcome.js';
import { analyticsTtlMs, type TtlPolicy } from './policy.js';
import type { LookupResult, StaleEntry } from './store/store.js';

/** What the node:http hit path found before it handed a request over to Yoga. */
export interface HandOver {
  scope: string;
  key: string;
  /** The store's answer (a miss), or null when it was down. */
  found: LookupResult | null;
  startedAt: number;
}

/** extensions.cache under CACHE_DEBUG. */
export interface CacheDebug {
  hit: boolean;
  ttl: number | null;
  tags: string[];
  /** Why a MISS or BYPASS (X-Cache-Reason). */
  reason?: CacheReason;
}

/** What one request knows about its cache entry; resolvers add tags and cap the TTL. */
export class RequestCacheState {
  outcome: CacheOutcome = 'bypass';
  /** Why a MISS or BYPASS (README: Why a miss); null: a hit, or not a cache matter (a 401). */
  reason: CacheReason | null = null;
  /** The lookup's scope clock and epoch: the save must not be older than them. */
  seen: { seq: number; epoch: number; generation: string } | null = null;
  /** An expired, never invalidated entry: served instead of a database failure. */
  stale: StaleEntry | null = null;
  /** The result holds a type that opted into stale-while-revalidate. */
  swr = false;
  readonly tags = new Set<string>();
  ttlCapMs = Number.POSITIVE_INFINITY;
  /** For CACHE_DEBUG: what was served or stored. */
  debug: CacheDebug | null = null;
  /** The ETag of the body served (a hit) or stored (a miss). */
  etag: string | null = null;
  /**
   * The JSON of a miss's result, stored or too large to be (response-save.ts): what its flight
   * hands the requests sharing it.
   */
  body: string | null = null;
  /** Its UTF-8 bytes, measured once by the save: what its flight's linger counts. */
  bodyBytes = 0;
  flight: Flight | null = null;
  /** Answered with another request's execution (single flight), not executed. */
  shared = false;
  /** The save of this miss's result, until the store answers it. */
  pendingSave: Promise<unknown> | null = null;
  /**
   * Settles once the store has been handed the entry (the body compressed first when it is
   * stored gzipped); null when it was handed over at once. The response waits for this, not
   * for pendingSave (response-save.ts).
   */
  saveIssued: Promise<void> | null = null;
  /** The shortest TTL among the types of the result (DESIGN §3); undefined: none had one. */
  typeTtlMs: number | undefined = undefined;
  /** Work done reading the result for its entities: values visited (linear in its size). */
  walkedValues = 0;
  /** Entities @envelop/response-cache collected itself: 0 while its own walk is bypassed. */
  pluginEntities = 0;
  /**
   * @envelop/response-cache runs this miss: its document isn't read in place
   * (src/cache/document-plan.ts). Set before the plugin's `enabled` reads it.
   */
  viaEnvelop = false;
  /** The query operation that executed, as its document names it ('anonymous'); null: none. */
  ranAs: string | null = null;

  constructor(
    readonly policy: TtlPolicy,
    readonly scope: string | null,
    readonly key: string | null,
    readonly operationName: string | null,
    readonly startedAt: number,
  ) {}

  /** Collection tags (DESIGN §4) that the entity ids in the response don't carry. */
  tag(...tags: string[]) {
    for (const tag of tags) this.tags.add(tag);
  }

  capTtl(ms: number) {
    this.ttlCapMs = Math.min(this.ttlCapMs, ms);
  }

  /** Reports of past periods live longer (DESIGN §3). */
  capAnalyticsTtl(rangeEnd: string, timezone: string) {
    const recentMs = this.policy.get('AnalyticsReport') ?? Number.POSITIVE_INFINITY;
    this.capTtl(analyticsTtlMs(rangeEnd, timezone, new Date(), recentMs));
  }
}

export interface Flight {
  generation: string;
  epoch: number;
  /** Why the execution's result was not stored, if it wasn't: the requests sharing it say so too. */
  reason?: CacheReason | null;
  /** The execution has ended: `value` is its result. */
  ended: boolean;
  /**
   * The execution's result, once it ended: the JSON it was stored as, or, when it wasn't stored,
   * the result itself; null when it failed. A stored result lingers as its text: one string,
   * instead of the result's tree of objects kept alive for the linger (issue 19).
   */
  value: ExecutionResult | string | null;
  /**
   * What identical requests that joined it while it ran wait for, made by the first of them:
   * a miss nobody joins makes no promise (single-flight.ts).
   */
  waiting: Promise<ExecutionResult | string | null> | null;
  settle: ((result: ExecutionResult | string | null) => void) | null;
  /** The stored JSON's ETag, once the result is that JSON: the requests sharing it send it. */
  etag?: string | null;
}

/** Whether the client asked for a fresh answer (Cache-Control or Pragma: no-cache). */
export function asksNoCache(header: (name: string) => string | string[] | null | undefined) {
  const cacheControl = header('cache-control');
  const pragma = header('pragma');
  return (
    (typeof cacheControl === 'string' && /(^|[\s,])no-cache($|[\s,])/i.test(cacheControl)) ||
    (typeof pragma === 'string' && /no-cache/i.test(pragma))
  );
}

export function withDebug(body: string, debug: CacheDebug | null) {
  const parsed = JSON.parse(body) as ExecutionResult;
  return JSON.stringify({ ...parsed, extensions: { ...parsed.extensions, cache: debug } });
}

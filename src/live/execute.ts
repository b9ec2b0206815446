import type { RequestAuth } from '../auth/request-auth.js';
import type { Viewer } from '../auth/viewer.js';
import type { CacheDebug } from '../cache/request-state.js';
import type { CacheRuntime } from '../cache/runtime.js';
import type { Replay } from '../warming/replay.js';

/** One execution of a live query, as the response cache answered it. */
export interface LiveResult {
  status: number;
  /** The response body (JSON text). */
  body: string;
  /** What the cache did: HIT, MISS, STALE or BYPASS (the X-Cache header of a plain query). */
  xCache: string;
  /** The tags of the cache entry it came from or went into; null: no entry to watch. */
  tags: string[] | null;
  /** How long that entry lives on (ms); null: no expiry, or no entry. */
  ttlMs: number | null;
}

export type LiveExecute = (body: string, viewer: Viewer) => Promise<LiveResult>;

const INTERNAL_URL = 'http://hotpath.internal/graphql';

/**
 * Runs a live query's request through Yoga in process, through the response cache, as the
 * viewer that opened it: query limits, persisted queries and single flight apply as to any
 * request, and an instance that finds the entry another one stored costs no execution. Marked
 * as a refresh (an entry whose TTL ran out is executed again, never served stale) and left out
 * of the popular list (a re-execution is not a client's request).
 */
export function createLiveExecutor(deps: {
  replay: Replay;
  auth: RequestAuth;
  cache: Pick<CacheRuntime, 'popular'>;
  /** The response cache's plugin (src/yoga/use-response-cache.ts), as far as live needs it. */
  responseCache: {
    markRefresh(request: Request): Request;
    stateFor(request: Request): { debug: CacheDebug | null } | null;
  };
}): LiveExecute {
  const { popular } = deps.cache;
  const { responseCache } = deps;
  return async (body, viewer) => {
    const request = new Request(INTERNAL_URL, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body,
    });
    const response = await deps.replay(
      popular.exclude(responseCache.markRefresh(deps.auth.actAs(request, viewer))),
    );
    const text = await response.text();
    const state = responseCache.stateFor(request);
    const debug = state?.debug ?? null;
    return {
      status: response.status,
      body: text,
      xCache: response.headers.get('x-cache') ?? 'BYPASS',
      tags: debug ? debug.tags : null,
      ttlMs: debug?.ttl == null ? null : debug.ttl * 1000,
    };
  };
}

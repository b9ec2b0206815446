import {
  type CacheEntityRecord,
  useResponseCache as useEnvelopResponseCache,
} from '@envelop/response-cache';
import { type ExecutionResult, getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Logger } from 'pino';
import type { RequestAuth } from '../auth/request-auth.js';
import type { TenantViewer } from '../auth/viewer.js';
import { NEVER_CACHED_FIELDS } from '../cache/document-plan.js';
import { operationNameIn, requestKey } from '../cache/key.js';
import { cacheHeaders } from '../cache/outcome.js';
import { asksNoCache, RequestCacheState, withDebug } from '../cache/request-state.js';
import type { CacheRuntime } from '../cache/runtime.js';
import type { ServerContext } from '../context.js';
import { withTraceContext } from '../telemetry/tracing.js';
import type { Replay } from '../warming/replay.js';

export interface ResponseCacheOptions {
  /** The store, stats, policy, popular list, single flight and save (src/cache/runtime.ts). */
  cache: CacheRuntime;
  auth: RequestAuth;
  logger: Logger;
  /** Adds extensions.cache { hit, ttl, tags } to responses (CACHE_DEBUG). */
  debug?: boolean;
  /** Mixed into every key: entries admitted under other query limits are never served. */
  keySalt?: string;
  /**
   * Runs a request through Yoga in process: stale-while-revalidate's background refresh
   * (DESIGN §8) goes through it, bypassing stale entries.
   */
  replay: Replay;
}

/** The parameters a stale-while-revalidate refresh sends again. */
export interface RefreshParams {
  query: string;
  operationName?: string | null;
  variables?: unknown;
}

type CacheContext = { cache?: RequestCacheState | null };

/** Errors that are not answers (a database that fails or times out): no `code` of ours. */
function failedUnexpectedly(result: ExecutionResult) {
  return (result.errors ?? []).some((error) => {
    const code = error.extensions?.code;
    return code === undefined || code === 'INTERNAL_SERVER_ERROR';
  });
}

/** The tag of an entity @envelop/response-cache collected, as Hotpath's walks write it. */
export const tagOf = (entity: CacheEntityRecord) =>
  entity.id == null ? entity.typename : `${entity.typename}:${entity.id}`;

/**
 * The response cache as Yoga plugins (DESIGN §1):
 * - onParams keys the raw request and looks it up (or takes the lookup the node:http hit path
 *   already made, from the server context): a hit is answered with the stored bytes, before
 *   any parse, validation or execution;
 * - a miss executes (identical concurrent misses share one execution: the cache's single
 *   flight), and its result is read once for its entities and TTL, as its document's plan
 *   says (src/cache/document-plan.ts): in place and stored by `execution` below, or through
 *   @envelop/response-cache (its document rewrite, TTL and set) for the documents the plan
 *   can't read in place;
 * - the result is saved with the lookup's sequence number, so a save that raced an
 *   invalidation is refused by the store (DESIGN §6).
 */
/** What an onExecute hook may hand back: its onExecuteDone. */
type ExecuteHooks = Exclude<
  Awaited<ReturnType<NonNullable<Plugin<CacheContext>['onExecute']>>>,
  undefined
>;

export function useResponseCache(options: ResponseCacheOptions) {
  const { cache, auth } = options;
  const { store, stats, flights, save } = cache;
  const { swrGraceMs, staleIfErrorMs } = save;
  const states = new WeakMap<Request, RequestCacheState>();
  const arrivals = new WeakMap<Request, number>();
  const keySalt = options.keySalt ?? '';
  /** Requests that refresh a stale entry: they execute, whatever the store holds. */
  const refreshRequests = new WeakSet<Request>();
  /** Keys with a background refresh running in this process: one at a time. */
  const refreshing = new Set<string>();

  // Introspection and cacheStats are never cached: the stock plugin only knows Query.__schema.
  const ttlPerSchemaCoordinate = Object.fromEntries([...NEVER_CACHED_FIELDS].map((f) => [f, 0]));

  const stateOf = (context: CacheContext) => context.cache ?? null;

  function adapterFor(context: CacheContext) {
    const state = stateOf(context);
    return {
      get(): Promise<ExecutionResult | null> {
        return (state && flights.join(state)) || Promise.resolve(null);
      },
      set(
        _key: string,
        result: ExecutionResult,
        entities: Iterable<CacheEntityRecord>,
        ttl: number,
      ) {
        if (state) save.save(state, result, Array.from(entities, tagOf), ttl);
      },
      // Writes invalidate their exact tags after commit (services); nothing to do here.
      invalidate() {},
    };
  }

  /**
   * A request that doesn't take part, with why. Made once, not per request: tsx names every
   * named closure as it is made (test/http/tsx-names.test.ts).
   */
  function bypassed(
    request: Request,
    operationName: string | null,
    startedAt: number,
    reason: RequestCacheState['reason'],
  ) {
    const state = new RequestCacheState(cache.policy, null, null, operationName, startedAt);
    states.set(request, Object.assign(state, { reason }));
  }

  const lookup: Plugin<CacheContext, ServerContext> = {
    // Only GraphQL requests get a state (in onParams); /health and /metrics stay out of stats.
    onRequest({ request }) {
      arrivals.set(request, performance.now());
    },
    async onParams({ params, request, setResult, context }) {
      // The node:http hit path's lookup of this request, when it made one (a miss, the store
      // down): the store is not asked twice.
      const handOver = context.cacheLookup;
      const startedAt = handOver?.startedAt ?? arrivals.get(request) ?? performance.now();
      const operationName = params.operationName ?? operationNameIn(params.query);
      // Why it doesn't take part (README: Why a miss); null: not a cache matter (a 401).
      if (!store || !params.query) {
        return bypassed(request, operationName, startedAt, store ? null : 'disabled');
      }
      const viewer = await auth.viewerOf(request);
      // No key, no entry: a 401 follows. Operators read live data.
      if (viewer?.kind !== 'tenant') {
        return bypassed(request, operationName, startedAt, viewer ? 'operator' : null);
      }
      if (asksNoCache((name) => request.headers.get(name))) {
        return bypassed(request, operationName, startedAt, 'no-cache');
      }
      const key = requestKey(params.query, params.operationName, params.variables, keySalt);
      const state = new RequestCacheState(
        cache.policy,
        viewer.tenantId,
        key,
        operationName,
        startedAt,
      );
      states.set(request, state);
      const found =
        handOver?.key === key && handOver.scope === viewer.tenantId
          ? handOver.found
          : await store.lookup(viewer.tenantId, key);
      if (found === null) {
        state.reason = 'fallback'; // the store is down: BYPASS, straight to the database
        return;
      }
      cache.popular.record(viewer, key, params, found.hit, request);
      if (!found.hit) {
        state.outcome = 'miss';
        state.reason = found.reason ?? 'first';
        state.seen = { seq: found.seq, epoch: found.epoch, generation: found.generation };
        const stale = refreshRequests.has(request) ? null : found.stale;
        if (stale && stale.swrMs > 0 && stale.expiredMs <= Math.min(stale.swrMs, swrGraceMs)) {
          state.outcome = 'stale';
          state.reason = null;
          state.seen = null;
          refreshInBackground(viewer, key, { ...params, query: params.query });
          setResult({
            stringify() {
              return stale.body;
            },
          } as ExecutionResult);
          return;
        }
        if (stale && stale.expiredMs <= staleIfErrorMs) state.stale = stale;
        return;
      }
      state.outcome = 'hit';
      state.debug = {
        hit: true,
        ttl: found.ttlMs === null ? null : found.ttlMs / 1000,
        // Asked with its tags (the default): live queries index their groups by them.
        tags: found.tags ?? [],
      };
      state.etag = found.body.etag;
      const text = found.body.text();
      const body = options.debug ? withDebug(text, state.debug) : text;
      setResult({
        stringify() {
          return body;
        },
      } as ExecutionResult);
    },
    async onExecutionResult({ request, result, setResult }) {
      const state = states.get(request);
      if (!state || state.outcome === 'hit' || !result || Symbol.asyncIterator in result) return;
      const r = result as ExecutionResult;
      // Never stored: why the next request will miss too, rather than why this one did (before
      // the flight ends, so the requests sharing it say so). TTL 0: introspection, cacheStats.
      if (state.outcome === 'miss' && r.errors?.length) state.reason = r.data ? 'partial' : 'error';
      else if (state.outcome === 'miss' && !state.pendingSave && !state.shared) {
        state.reason = state.reason === 'too-large' ? 'too-large' : 'never-cached';
      }
      flights.end(state, r);
      if (state.stale && failedUnexpectedly(result as ExecutionResult)) {
        // Stale-if-error: an expired entry no write invalidated beats an error.
        options.logger.warn(
          { operationName: state.operationName, expiredMs: state.stale.expiredMs },
          'serving a stale response: the database failed',
        );
        state.outcome = 'stale';
        state.reason = null;
        setResult(JSON.parse(state.stale.body) as ExecutionResult);
        return;
      }
      // The entry handed to the store, not its reply (response-save.ts).
      if (state.saveIssued) await state.saveIssued;
      if (options.debug && (state.outcome === 'miss' || state.reason)) {
        const debug = state.debug ?? { hit: false, ttl: null, tags: [] };
        setResult({
          ...r,
          extensions: {
            ...r.extensions,
            cache: state.reason ? { ...debug, reason: state.reason } : debug,
          },
        });
      }
    },
    onResponse({ request, response }) {
      const state = states.get(request);
      if (!state) return;
      if (state.flight) flights.end(state, null);
      // A refusal tells nothing of the cache: no X-Cache, no timing, no ETag, not counted.
      if (response.status === 401 || response.status === 403) return;
      const seconds = (performance.now() - state.startedAt) / 1000;
      const headers = cacheHeaders(state.outcome, seconds, {
        scoped: Boolean(state.scope),
        etag: state.etag,
        reason: state.reason,
      });
      for (const [name, value] of Object.entries(headers)) {
        if (name === 'vary') response.headers.append(name, value);
        else response.headers.set(name, value);
      }
      stats.record(
        state.outcome,
        // Per operation: only one that ran, or whose stored entry proves it ran; a name the
        // client sent that its document lacks never takes a slot.
        state.ranAs ??
          (state.outcome === 'hit' || state.outcome === 'stale'
            ? (state.operationName ?? 'anonymous')
            : null),
        seconds,
        state.reason,
      );
      cache.answered(state);
    },
  };

  // A miss of a query. Its document's plan (src/cache/document-plan.ts) decides who runs it:
  // - read in place: this plugin joins the key's flight or executes the document as sent,
  //   reads the result where the document selects objects and stores it (issue 19: the
  //   envelop plugin's two added fields per object, resolved on every miss and copied out
  //   again, were most of the cache's share of a miss);
  // - otherwise @envelop/response-cache (envelopCache below, after this plugin) rewrites the
  //   document, joins the flight and saves through adapterFor; this plugin's onExecuteDone,
  //   which runs before the plugin's, strips and collects in one pass first (its own walk is
  //   exponential in nested lists).
  const execution: Plugin<CacheContext> = {
    onExecute({ args, setExecuteFn }) {
      const state = stateOf(args.contextValue);
      if (state?.outcome !== 'miss') return;
      // Mutations and anything else that isn't the cacheable query path stay out of the stats.
      const operation = getOperationAST(args.document, args.operationName);
      if (operation?.operation !== 'query') {
        state.outcome = 'bypass';
        state.reason = 'mutation';
        state.seen = null;
        return;
      }
      state.ranAs = operation.name?.value ?? 'anonymous';
      if (!state.seen) return;
      const plan = save.plan(args.document);
      if (!plan.plain) {
        state.viaEnvelop = true;
        return {
          onExecuteDone({ result, setResult }) {
            if (Symbol.asyncIterator in result || !result.data) return;
            const data = save.read(state, plan, result.data, args.operationName);
            if (data) setResult({ ...result, data });
          },
        };
      }
      const stores: ExecuteHooks = {
        onExecuteDone({ result }) {
          // Errors and partial results are never stored (DESIGN §2).
          if (Symbol.asyncIterator in result || !result.data || result.errors) return;
          if (save.read(state, plan, result.data, args.operationName)) save.save(state, result);
        },
      };
      // Synchronous unless an identical miss runs (single-flight.ts: no promise per miss).
      const joined = flights.join(state);
      if (!joined) return stores;
      return joined.then((shared) => {
        if (!shared) return stores;
        setExecuteFn(() => shared);
        return undefined;
      });
    },
  };

  const envelopCache = useEnvelopResponseCache<CacheContext>({
    session: (context) => stateOf(context)?.scope ?? null,
    // Memoized per context, asked in its onExecute, after `execution` has set the flag.
    enabled: (context) => Boolean(stateOf(context)?.viaEnvelop),
    buildResponseCacheKey: ({ context }) => stateOf(context as CacheContext)?.key ?? '',
    cache: adapterFor as never,
    // The TTL comes from the types the walk found (set() applies it); the plugin only
    // contributes its per-field zeros (introspection, cacheStats).
    ttl: Number.POSITIVE_INFINITY,
    ttlPerSchemaCoordinate,
    // Writes invalidate their exact tags in the services; the plugin must not read (and walk)
    // mutation results.
    invalidateViaMutation: false,
    includeExtensionMetadata: false,
    // Errors and partial results are never cached (DESIGN §2). The stock check does the same
    // but also console.warns on every such response.
    shouldCacheResult: ({ result }) => !result.errors,
  }) as Plugin;

  /** Runs the request again through Yoga, as the tenant, executing whatever the store holds. */
  async function refresh(params: RefreshParams, viewer: TenantViewer) {
    const request = new Request('http://hotpath.internal/graphql', {
      method: 'POST',
      // The client's trace goes on into the refresh it caused (nothing when tracing is off).
      headers: withTraceContext({ 'content-type': 'application/json' }),
      body: JSON.stringify(params),
    });
    refreshRequests.add(request);
    // A refresh repeats a request the client's own was counted for: not counted again.
    const response = await options.replay(cache.popular.exclude(auth.actAs(request, viewer)));
    await response.arrayBuffer();
  }

  function refreshInBackground(viewer: TenantViewer, key: string, params: RefreshParams) {
    const refreshKey = `${viewer.tenantId}\0${key}`;
    if (refreshing.has(refreshKey)) return;
    refreshing.add(refreshKey);
    const { query, operationName, variables } = params;
    refresh({ query, operationName, variables }, viewer)
      .catch((err) => options.logger.warn({ err }, 'stale-while-revalidate refresh failed'))
      .finally(() => refreshing.delete(refreshKey));
  }

  return {
    // Execution results pass execution first (read and store, or strip and collect), then
    // envelopCache (TTL, set, for the documents it runs), then lookup (headers, stats).
    plugins: [execution as Plugin, envelopCache, lookup as Plugin],
    /** The request's cache state, for the GraphQL context. */
    stateFor: (request: Request) => states.get(request) ?? null,
    /**
     * Marks an in-process request as a refresh: it executes when its entry's TTL ran out,
     * instead of being served stale (a live query's re-execution on TTL expiry, src/live).
     */
    markRefresh(request: Request): Request {
      refreshRequests.add(request);
      return request;
    },
  };
}

export type ResponseCachePlugins = ReturnType<typeof useResponseCache>;

import { type CacheEntityRecord, useResponseCache } from '@envelop/response-cache';
import { type ExecutionResult, type GraphQLSchema, getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Logger } from 'pino';
import type { RequestAuth } from '../auth/request-auth.js';
import type { TenantViewer } from '../auth/viewer.js';
import { operationNameIn, requestKey } from './key.js';
import { cacheHeaders, isMissReason } from './outcome.js';
import { type TtlPolicy, ttlPerTypeOf } from './policy.js';
import type { PopularRequests } from './popular.js';
import {
  asksNoCache,
  type Flight,
  type HandOver,
  RequestCacheState,
  withDebug,
} from './request-state.js';
import { createResultWalker, failedUnexpectedly, tagOf } from './result-entities.js';
import type { CacheStats } from './stats/stats.js';
import { identityBody, prepareBody } from './store/body.js';
import type { ResilientStore } from './store/resilient-store.js';

export interface ResponseCacheOptions {
  /** null: caching disabled (CACHE_ENABLED=false); every response is a BYPASS. */
  store: ResilientStore | null;
  schema: GraphQLSchema;
  policy: TtlPolicy;
  stats: CacheStats;
  auth: RequestAuth;
  logger: Logger;
  /** Adds extensions.cache { hit, ttl, tags } to responses. */
  debug?: boolean;
  /**
   * How long a finished execution still answers identical misses that looked up before its
   * result was stored (with the same invalidation sequence, so never a stale answer).
   */
  flightLingerMs?: number;
  /** The largest body stored, in bytes (CACHE_MAX_ENTRY_BYTES); a larger one is served only. */
  maxEntryBytes?: number;
  /** Bodies of this many bytes or more are stored gzipped (CACHE_COMPRESS_MIN_BYTES; 0: never). */
  compressMinBytes?: number;
  /** Mixed into every key: entries admitted under other query limits are never served. */
  keySalt?: string;
  /**
   * Stale-while-revalidate (DESIGN §8): responses holding one of these types are served for
   * `swrGraceMs` after their TTL ran out, with X-Cache: STALE, while one refresh runs.
   */
  swrTypes?: ReadonlySet<string>;
  swrGraceMs?: number;
  /**
   * Stale-if-error: when the database fails, a response whose TTL ran out less than this long
   * ago (and that no write invalidated) is served instead, with X-Cache: STALE. 0: never.
   */
  staleIfErrorMs?: number;
  /**
   * Runs a request again in the background, bypassing stale entries (late-bound: the server is
   * built after the cache). Without it, SWR is off.
   */
  refresh?: (params: RefreshParams, viewer: TenantViewer) => Promise<unknown>;
  /** Counts each tenant request of a cacheable key, for the warmer (issue 8). */
  popular?: PopularRequests;
  /** Told of every answered GraphQL request, once counted (the TTL simulator). */
  onAnswered?: (state: RequestCacheState) => void;
}

export interface RefreshParams {
  query: string;
  operationName?: string | null;
  variables?: unknown;
}

/**
 * The response cache as Yoga plugins (DESIGN §1):
 * - onParams authenticates, keys the raw request and looks it up: a hit is answered with the
 *   stored bytes, before any parse, validation or execution;
 * - a miss goes through @envelop/response-cache, which collects the entities of the result
 *   and its TTL; identical concurrent misses share one execution (single flight);
 * - the result is saved with the lookup's sequence number, so a save that raced an
 *   invalidation is refused by the store (DESIGN §6).
 */
export function createResponseCache(options: ResponseCacheOptions) {
  const { store, stats } = options;
  const states = new WeakMap<Request, RequestCacheState>();
  const arrivals = new WeakMap<Request, number>();
  const flights = new Map<string, Flight>();
  // node:http requests whose lookup the hit path already made (a miss, or the store down).
  const handedOver = new WeakMap<object, HandOver>();
  const lingerMs = options.flightLingerMs ?? 1_000;
  const keySalt = options.keySalt ?? '';
  const maxEntryBytes = options.maxEntryBytes ?? Number.POSITIVE_INFINITY;
  const walk = createResultWalker(options.schema);
  const defaultTtlMs = options.policy.get('User') ?? 3_600_000;
  const swrTypes = options.swrTypes ?? new Set<string>();
  const swrGraceMs = options.refresh ? (options.swrGraceMs ?? 0) : 0;
  const staleIfErrorMs = options.staleIfErrorMs ?? 0;
  /** Requests that refresh a stale entry: they execute, whatever the store holds. */
  const refreshRequests = new WeakSet<Request>();
  /** Keys with a background refresh running in this process: one at a time. */
  const refreshing = new Set<string>();

  // Introspection is never cached: the stock plugin only knows Query.__schema.
  const ttlPerSchemaCoordinate: Record<string, number> = {
    'Query.cacheStats': 0,
    'Query.__schema': 0,
    'Query.__type': 0,
  };
  const ttlPerType = ttlPerTypeOf(options.policy);

  const stateOf = (context: { cache?: RequestCacheState | null }) => context.cache ?? null;

  function adapterFor(context: { cache?: RequestCacheState | null }) {
    const state = stateOf(context);
    return {
      async get(): Promise<ExecutionResult | null> {
        if (!state?.seen || !state.key || !state.scope) return null;
        const flightKey = `${state.scope}\0${state.key}`;
        const running = flights.get(flightKey);
        if (
          running &&
          running.generation === state.seen.generation &&
          running.epoch === state.seen.epoch
        ) {
          const result = await running.result;
          if (result) {
            // Its own lookup says why it missed, unless the result could not be stored.
            state.shared = true;
            if (running.reason && !isMissReason(running.reason)) state.reason = running.reason;
            return { ...result };
          }
        }
        let settle!: (result: ExecutionResult | null) => void;
        const result = new Promise<ExecutionResult | null>((resolve) => {
          settle = resolve;
        });
        state.flight = { ...state.seen, result, settle };
        flights.set(flightKey, state.flight);
        return null;
      },
      set(
        _key: string,
        result: ExecutionResult,
        entities: Iterable<CacheEntityRecord>,
        ttl: number,
      ) {
        if (!store || !state?.seen || !state.key || !state.scope) return;
        const ttlMs = Math.min(ttl, state.ttlCapMs, state.typeTtlMs ?? defaultTtlMs);
        if (ttlMs <= 0) {
          state.reason = 'never-cached';
          return;
        }
        const fromPlugin = Array.from(entities, tagOf);
        state.pluginEntities = fromPlugin.length;
        const tags = [...new Set([...fromPlugin, ...state.tags])];
        const body = JSON.stringify(result);
        if (Buffer.byteLength(body) > maxEntryBytes) {
          state.reason = 'too-large';
          return;
        }
        const finite = Number.isFinite(ttlMs) ? Math.ceil(ttlMs) : null;
        state.debug = { hit: false, ttl: finite === null ? null : finite / 1000, tags };
        const identity = identityBody(body);
        state.etag = identity.etag;
        const { scope, key, seen } = state;
        state.pendingSave = prepareBody(identity, options.compressMinBytes ?? 0).then((prepared) =>
          store.save(scope, key, {
            body,
            prepared,
            tags,
            ttlMs: finite,
            seenSeq: seen.seq,
            seenEpoch: seen.epoch,
            swrMs: state.swr ? swrGraceMs : 0,
            staleIfErrorMs,
          }),
        );
      },
      // Writes invalidate their exact tags after commit (services); nothing to do here.
      invalidate() {},
    };
  }

  function endFlight(state: RequestCacheState, result: ExecutionResult | null) {
    const flight = state.flight;
    if (!flight || !state.scope || !state.key) return;
    state.flight = null;
    flight.reason = state.reason;
    flight.settle(result && !result.errors ? result : null);
    const flightKey = `${state.scope}\0${state.key}`;
    setTimeout(() => {
      if (flights.get(flightKey) === flight) flights.delete(flightKey);
    }, lingerMs).unref();
  }

  const lookup: Plugin<{ cache?: RequestCacheState | null }> = {
    // Only GraphQL requests get a state (in onParams); /health and /metrics stay out of stats.
    onRequest({ request }) {
      arrivals.set(request, performance.now());
    },
    async onParams({ params, request, setResult, context }) {
      const handOver = handedOver.get((context as { req?: object }).req ?? request);
      const startedAt = handOver?.startedAt ?? arrivals.get(request) ?? performance.now();
      const operationName = params.operationName ?? operationNameIn(params.query);
      const bypass = (reason: RequestCacheState['reason']) => {
        const state = new RequestCacheState(options.policy, null, null, operationName, startedAt);
        states.set(request, Object.assign(state, { reason }));
      };
      if (!store || !params.query) return bypass(store ? null : 'disabled');
      const viewer = await options.auth.viewerOf(request);
      // No key, no entry: a 401 follows. Operators read live data.
      if (viewer?.kind !== 'tenant') return bypass(viewer ? 'operator' : null);
      if (asksNoCache((name) => request.headers.get(name))) return bypass('no-cache');
      const key = requestKey(params.query, params.operationName, params.variables, keySalt);
      const state = new RequestCacheState(
        options.policy,
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
      options.popular?.record(viewer, key, params, found.hit, request);
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
          setResult({ stringify: () => stale.body } as ExecutionResult);
          return;
        }
        if (stale && stale.expiredMs <= staleIfErrorMs) state.stale = stale;
        return;
      }
      state.outcome = 'hit';
      state.debug = {
        hit: true,
        ttl: found.ttlMs === null ? null : found.ttlMs / 1000,
        tags: found.tags,
      };
      state.etag = found.body.etag;
      const text = found.body.text();
      const body = options.debug ? withDebug(text, state.debug) : text;
      setResult({ stringify: () => body } as ExecutionResult);
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
      endFlight(state, r);
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
      if (state.pendingSave) await state.pendingSave;
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
      if (state.flight) endFlight(state, null);
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
      options.onAnswered?.(state);
    },
  };

  // Runs before the response-cache plugin: decides whether it takes part, and reads the result
  // for its entities in one pass before the plugin's own (exponential) walk would.
  const prepare: Plugin<{ cache?: RequestCacheState | null }> = {
    onExecute({ args }) {
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
      return {
        onExecuteDone({ result, setResult }) {
          if (Symbol.asyncIterator in result || !result.data) return;
          const walked = walk(result.data as Record<string, unknown>);
          state.walkedValues = walked.visited;
          state.tag(...walked.tags);
          for (const typename of walked.typenames) {
            const ms = ttlPerType.get(typename);
            if (ms !== undefined) state.typeTtlMs = Math.min(state.typeTtlMs ?? ms, ms);
            if (swrTypes.has(typename)) state.swr = true;
          }
          setResult({ ...result, data: walked.data });
        },
      };
    },
  };

  const envelopCache = useResponseCache<{ cache?: RequestCacheState | null }>({
    session: (context) => stateOf(context)?.scope ?? null,
    enabled: (context) => Boolean(stateOf(context)?.seen),
    buildResponseCacheKey: ({ context }) =>
      stateOf(context as { cache?: RequestCacheState })?.key ?? '',
    cache: adapterFor as never,
    // The TTL comes from the types the walk above found (set() applies it); the plugin only
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

  function refreshInBackground(viewer: TenantViewer, key: string, params: RefreshParams) {
    const refreshKey = `${viewer.tenantId}\0${key}`;
    if (refreshing.has(refreshKey) || !options.refresh) return;
    refreshing.add(refreshKey);
    const { query, operationName, variables } = params;
    options
      .refresh({ query, operationName, variables }, viewer)
      .catch((err) => options.logger.warn({ err }, 'stale-while-revalidate refresh failed'))
      .finally(() => refreshing.delete(refreshKey));
  }

  return {
    // Execution results pass prepare first (it strips the plugin's metadata fields and collects
    // the entities), then envelopCache (TTL, set), then lookup.
    plugins: [prepare as Plugin, envelopCache, lookup as Plugin],
    /** The request's cache state, for the GraphQL context. */
    stateFor: (request: Request) => states.get(request) ?? null,
    /** The hit path's lookup of a node:http request it leaves to Yoga (not asked again). */
    handOver: (req: object, lookup: HandOver) => handedOver.set(req, lookup),
    /** Marks an in-process request as a refresh: it executes even when a stale entry exists. */
    markRefresh(request: Request) {
      refreshRequests.add(request);
      return request;
    },
  };
}

export type ResponseCache = ReturnType<typeof createResponseCache>;

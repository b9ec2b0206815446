import type { ExecutionResult, GraphQLSchema } from 'graphql';
import { createDocumentPlans, type DocumentPlan } from './document-plan.js';
import { analyticsMaxTtlMs, type TtlPolicy } from './policy.js';
import type { RequestCacheState } from './request-state.js';
import { compresses, identityBody, prepareBody, type StoredBody } from './store/body.js';
import type { ResilientStore } from './store/resilient-store.js';
import type { SaveEntry } from './store/store.js';

export interface ResponseSaveOptions {
  /** null: caching disabled (CACHE_ENABLED=false); nothing is stored. */
  store: ResilientStore | null;
  schema: GraphQLSchema;
  policy: TtlPolicy;
  /** The largest body stored, in bytes (CACHE_MAX_ENTRY_BYTES); a larger one is served only. */
  maxEntryBytes?: number;
  /** Bodies of this many bytes or more are stored gzipped (CACHE_COMPRESS_MIN_BYTES; 0: never). */
  compressMinBytes?: number;
  /** Types whose responses are served stale while one refresh runs (CACHE_SWR_TYPES). */
  swrTypes?: ReadonlySet<string>;
  /** How long after its TTL an SWR entry may still be served (0: SWR off). */
  swrGraceMs: number;
  /** How long after its TTL an entry may still stand in for a failing database (0: never). */
  staleIfErrorMs: number;
}

/**
 * Makes Yoga write `body` for `result` instead of serializing it again (its result processor
 * calls `result.stringify` when there is one, as it does for hits). Only this very object:
 * a plugin that answers something else (debug extensions, errors, a cost) builds a new result
 * by spreading this one, which leaves the non-enumerable property behind, and gets its own
 * JSON.stringify.
 */
export function servedAs(result: ExecutionResult, body: string): void {
  // A method, not a property's arrow: tsx names those as they are made, once per miss here.
  const served = {
    stringify(value: unknown = result) {
      return value === result ? body : JSON.stringify(value);
    },
  };
  Object.defineProperty(result, 'stringify', { value: served.stringify, configurable: true });
}

/**
 * Hands the entry to the store; the response must still wait for its answer when the store
 * can't promise that it applies the save before this process's next call (savesInOrder: Redis
 * before its save script is proven on the connection, a cluster). In a box: a promise's value
 * that is itself a promise would be waited for. A function of its own, not closures made per
 * miss (tsx names those as they are made: test/http/tsx-names.test.ts).
 */
function handOver(
  store: ResilientStore,
  scope: string,
  key: string,
  entry: Omit<SaveEntry, 'prepared'>,
  prepared: StoredBody,
) {
  const inOrder = store.savesInOrder();
  const saved = store.save(scope, key, { ...entry, prepared });
  return { saved, answer: inOrder ? null : saved };
}

/**
 * What a miss leaves in the store, whatever server ran it: the result is read once for its
 * entities, types and TTL (read), then stored with the lookup's clock, so that a save that
 * raced an invalidation is refused by the store (save, DESIGN §6).
 */
export function createResponseSave(options: ResponseSaveOptions) {
  const { store, swrGraceMs, staleIfErrorMs } = options;
  const maxEntryBytes = options.maxEntryBytes ?? Number.POSITIVE_INFINITY;
  const compressMinBytes = options.compressMinBytes ?? 0;
  const swrTypes = options.swrTypes ?? new Set<string>();
  const plans = createDocumentPlans(options.schema);
  const defaultTtlMs = options.policy.get('User') ?? 3_600_000;
  // typename -> TTL, read by the result walk. AnalyticsReport's TTL depends on its date range:
  // the longest a report may live here, which its resolver caps.
  const ttlPerType = new Map<string, number>();
  for (const [typename, ms] of options.policy) {
    ttlPerType.set(
      typename,
      typename === 'AnalyticsReport' ? analyticsMaxTtlMs(ms) : (ms ?? Number.POSITIVE_INFINITY),
    );
  }

  return {
    swrGraceMs,
    staleIfErrorMs,
    /** What the cache does with a document (document-plan.ts), worked out once per document. */
    plan: plans,
    /**
     * Reads a query's data once (linear in its size): its entity tags, the shortest TTL of its
     * types and whether one opted into SWR go into the state; returns the data to answer with
     * (without the metadata fields the plan added, if any), or null when it can't be read and
     * must not be stored.
     */
    read(
      state: RequestCacheState,
      plan: DocumentPlan,
      data: Record<string, unknown>,
      operationName?: string | null,
    ): Record<string, unknown> | null {
      const walked = plan.read(data, operationName);
      if (!walked) return null;
      state.walkedValues = walked.visited;
      for (const tag of walked.tags) state.tags.add(tag);
      for (const typename of walked.typenames) {
        const ms = ttlPerType.get(typename);
        if (ms !== undefined) state.typeTtlMs = Math.min(state.typeTtlMs ?? ms, ms);
        if (swrTypes.has(typename)) state.swr = true;
      }
      return walked.data;
    },
    /**
     * Stores a result under the request's key with the state's tags (the resolvers' and those
     * read) and `tagged` (the entities @envelop/response-cache collected, when it ran the
     * miss), for the shortest of `ttlMs` (the plugin's), the state's cap and its types' TTL.
     * The write is left pending in `state.pendingSave`. The response waits only until the
     * store has been handed the entry (`state.saveIssued`: the body's compression, when it is
     * gzipped), not for the store's reply (issue 19): a miss that waited a Redis round trip for
     * it kept everything it had allocated alive across that wait, and cost more CPU. A read
     * that follows still finds the entry: this process's next command for it goes out on the
     * same connection after the save (Redis answers a connection's commands in order; the
     * memory store saves at once), and another instance's comes after the client's round trip.
     * Where the store can't promise that order (store.savesInOrder()), the response waits for
     * the save's answer as before.
     *
     * The result is serialized once: the JSON stored is also the response's (servedAs), so a
     * miss doesn't pay for JSON.stringify twice and its response is byte for byte the entry.
     */
    save(
      state: RequestCacheState,
      result: ExecutionResult,
      tagged: readonly string[] = [],
      ttlMs = Number.POSITIVE_INFINITY,
    ) {
      if (!store || !state.seen || !state.key || !state.scope) return;
      const ms = Math.min(ttlMs, state.ttlCapMs, state.typeTtlMs ?? defaultTtlMs);
      if (ms <= 0) {
        state.reason = 'never-cached';
        return;
      }
      state.pluginEntities = tagged.length;
      const tags = tagged.length === 0 ? [...state.tags] : [...new Set([...tagged, ...state.tags])];
      const body = JSON.stringify(result);
      servedAs(result, body);
      // What its flight hands identical misses, stored or too large to be (counted in bytes).
      state.body = body;
      // Encoded once: its length is the bound's, and its bytes are the entry's.
      const bytes = Buffer.from(body, 'utf8');
      state.bodyBytes = bytes.length;
      if (bytes.length > maxEntryBytes) {
        state.reason = 'too-large';
        return;
      }
      const finite = Number.isFinite(ms) ? Math.ceil(ms) : null;
      state.debug = { hit: false, ttl: finite === null ? null : finite / 1000, tags };
      const identity = identityBody(bytes);
      state.etag = identity.etag;
      const { scope, key, seen } = state;
      const entry = {
        body,
        tags,
        ttlMs: finite,
        seenSeq: seen.seq,
        seenEpoch: seen.epoch,
        swrMs: state.swr ? swrGraceMs : 0,
        staleIfErrorMs,
      };
      // A body under the gzip threshold is stored as it is: handed to the store at once.
      if (!compresses(identity, compressMinBytes)) {
        const { saved, answer } = handOver(store, scope, key, entry, identity);
        state.pendingSave = saved;
        state.saveIssued = answer ? answer.then(() => undefined) : null;
        return;
      }
      const issued = prepareBody(identity, compressMinBytes).then((prepared) =>
        handOver(store, scope, key, entry, prepared),
      );
      state.saveIssued = issued.then(({ answer }) => answer).then(() => undefined);
      state.pendingSave = issued.then(({ saved }) => saved);
      // A compression that fails fails the response through saveIssued; not twice.
      state.pendingSave.catch(() => {});
    },
  };
}

export type ResponseSave = ReturnType<typeof createResponseSave>;

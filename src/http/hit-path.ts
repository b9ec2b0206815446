import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TenantViewer, Viewer } from '../auth/viewer.js';
import type { Budgets } from '../budget/budgets.js';
import { costJson, costTail, spliceCost } from '../budget/cost.js';
import { operationNameIn, requestKeyOf } from '../cache/key.js';
import { memoize, memoizeBytes } from '../cache/memo.js';
import { documentOf } from '../cache/persisted.js';
import { asksNoCache, withDebug } from '../cache/request-state.js';
import type { CacheRuntime } from '../cache/runtime.js';
import { stringBytes } from '../cache/stats/bounds.js';
import type { LookupResult } from '../cache/store/store.js';
import type { ServerContext } from '../context.js';
import type { Limits } from '../limits.js';
import { checkParams, type RawParams } from '../params.js';
import {
  ATTR,
  adoptedSpan,
  nameOperation,
  type Tracing,
  traceparentOf,
} from '../telemetry/tracing.js';
import { contentTypeOf, headerObject, hitHeaders } from './hit-headers.js';
import { acceptsGzip, etagMatches, mediaTypeFor } from './negotiation.js';
import { throttledEmpty, writeThrottled } from './throttled.js';

/** A request the hit path can answer, with its key (the same for every tenant). */
export interface KeyedRequest {
  params: RawParams;
  key: string;
  /**
   * For stats: the operationName parameter, else the first operation's name in the text, else
   * 'anonymous'. Only a hit reads it: its entry exists, so that operation ran under that name.
   */
  name: string;
}

/**
 * What the hit path did with a request: answered it, or left it to Yoga with the server context
 * Yoga is to get (the lookup made, when there was one).
 */
export type Served = { answered: true } | Unanswered;
export type Unanswered = { answered: false; context: ServerContext };
/** What serve() calls when it doesn't answer (`extra`: what the caller passed along). */
export type Leave<T> = (
  req: IncomingMessage,
  res: ServerResponse,
  unanswered: Unanswered,
  extra: T,
) => void;

const ANSWERED: Served = Object.freeze({ answered: true });
/** Left before any lookup: Yoga's response cache looks it up itself. */
const UNLOOKED: Unanswered = Object.freeze({ answered: false, context: Object.freeze({}) });

export interface HitPathDeps {
  cache: CacheRuntime;
  limits: Limits;
  keySalt: string;
  /** Adds extensions.cache to hits, as the Yoga path does (CACHE_DEBUG). */
  debug: boolean;
  /** Read once per hit: off, the hit path touches no span (the front started it when on). */
  tracing?: Tracing;
  /** Cost budgets (DESIGN §15): a hit costs COST_HIT, charged after it is written. */
  budgets?: Budgets | null;
}

/**
 * The path a repeat takes (DESIGN §1, §10), in front of Yoga on node:http, for a request the
 * front has authenticated: parse, key, look up, write. No Fetch Request or Response, no parse,
 * validation or execution; the headers are what Yoga's path writes for the same hit. Anything it doesn't answer (a miss, an
 * operator, a request Yoga must judge) goes on to Yoga with the lookup handed over, so the miss
 * path doesn't ask the store twice.
 */
export function createHitPath(deps: HitPathDeps) {
  const { cache } = deps;
  const tracing = deps.tracing?.on ?? false;
  const lookupOptions = { tags: tracing || deps.debug }; // a hit's tags serve only these two
  // Accept headers are the client's: what they negotiate is remembered for a bounded set.
  const mediaTypeOf = memoize(mediaTypeFor, { max: 256, maxLength: 1_024 });
  const acceptsGzipOf = memoize(acceptsGzip, { max: 256, maxLength: 1_024 });

  /** The key of a request the hit path may answer; null: Yoga must judge it. */
  function keyed(params: RawParams): KeyedRequest | null {
    try {
      checkParams(params as Record<string, unknown>, deps.limits);
    } catch {
      return null; // Yoga answers it with the same check's error
    }
    // The text's hash, or a persisted query's hash alone (the hit needs no text).
    const document = documentOf(params);
    if (!document) return null;
    const operationName = typeof params.operationName === 'string' ? params.operationName : null;
    return {
      params,
      key: requestKeyOf(document.hash, operationName, params.variables, deps.keySalt),
      name: operationName ?? operationNameIn(document.query) ?? 'anonymous',
    };
  }

  /**
   * The same for the raw request (a JSON body's bytes, or a GET's query string): parsed and
   * keyed once per distinct input, so a repeat costs a lookup (memoizeBytes for a body).
   */
  // CACHE_KEY_MEMO_BYTES: half for bodies, a quarter for query strings (the document hash memo
  // has the last quarter). An entry holds its input, the parsed parameters (about as much
  // again) and the key: the input's size and 320. Only a request sent again is remembered: a
  // one-off (a miss with variables of its own) is parsed and forgotten (memo.ts, admitOnRepeat).
  const memoBytes = cache.bounds.keyMemoBytes;
  const keyedBody = memoizeBytes(
    (raw: Buffer) => {
      const params = bodyParams(raw.toString('utf8'));
      return params && keyed(params);
    },
    {
      budget: cache.stats.budget('key_memo', memoBytes / 2),
      sizeOf: (raw) => raw.length + 320,
      admitOnRepeat: true,
    },
  );
  const keyedSearch = memoize(
    (search: string) => {
      const params = queryStringParams(search);
      return params && keyed(params);
    },
    {
      budget: cache.stats.budget('key_memo', memoBytes / 4),
      sizeOf: (q) => stringBytes(q) + 320,
      admitOnRepeat: true,
    },
  );

  /**
   * Answers the request from the cache, or calls `leave(req, res, unanswered, extra)` once with
   * the lookup it made in the server context (the miss path then doesn't ask the store twice);
   * a failure (thrown or rejected) leaves it unlooked: Yoga answers. A continuation rather than
   * a promise: a Redis hit took three promises and their turns more between the lookup's answer
   * and the write (issue 19), and the memory store's answer comes back in the same turn.
   */
  function serve<T>(
    req: IncomingMessage,
    res: ServerResponse,
    request: KeyedRequest,
    startedAt: number,
    viewer: Viewer,
    leave: Leave<T>,
    extra: T,
  ): void {
    let served: Served;
    try {
      const store = cache.store;
      const contentType = store ? mediaTypeOf(req.headers.accept ?? '') : null;
      // Not JSON, an operator (who reads live data: Yoga's path), or a client that asks for a
      // fresh answer (Yoga's BYPASS, no-cache): no lookup.
      if (
        !store ||
        !contentType ||
        viewer.kind !== 'tenant' ||
        asksNoCache((header) => req.headers[header])
      ) {
        served = UNLOOKED;
      } else if (store.lookupNow) {
        // The memory store answers at once: nothing between reading the request and writing
        // the hit (issue 19).
        const found = store.lookupNow(viewer.tenantId, request.key);
        served = answer(req, res, request, startedAt, viewer, contentType, found);
      } else {
        store.lookup(viewer.tenantId, request.key, lookupOptions).then(
          (found) =>
            answered(req, res, request, startedAt, viewer, contentType, found, leave, extra),
          () => leave(req, res, UNLOOKED, extra),
        );
        return;
      }
    } catch {
      served = UNLOOKED;
    }
    if (!served.answered) leave(req, res, served, extra);
  }

  /** answer() once the store's lookup has come back, then `leave` if it didn't answer. */
  function answered<T>(
    req: IncomingMessage,
    res: ServerResponse,
    request: KeyedRequest,
    startedAt: number,
    viewer: TenantViewer,
    contentType: string,
    found: LookupResult | null,
    leave: Leave<T>,
    extra: T,
  ) {
    let served: Served;
    try {
      served = answer(req, res, request, startedAt, viewer, contentType, found);
    } catch {
      served = UNLOOKED;
    }
    if (!served.answered) leave(req, res, served, extra);
  }

  /** What serve() does with the lookup's result: writes the hit, or leaves it to Yoga. */
  function answer(
    req: IncomingMessage,
    res: ServerResponse,
    request: KeyedRequest,
    startedAt: number,
    viewer: TenantViewer,
    contentType: string,
    found: LookupResult | null,
  ): Served {
    const { key, params, name } = request;
    // An empty bucket was refused by the front (refuseWhenEmpty) before this request was read.
    const budgets = deps.budgets;
    if (!found?.hit) {
      if (budgets && throttledEmpty(res, budgets, viewer, contentType, startedAt, 'miss')) {
        return ANSWERED;
      }
      return {
        answered: false,
        context: { cacheLookup: { scope: viewer.tenantId, key, found, startedAt } },
      };
    }
    cache.popular.record(viewer, key, params, true);
    const body = found.body;
    // What a longer TTL would buy: a followed key's hit is queued, nothing else is done here.
    if (cache.ttlSimulator.follows(key)) {
      const answer = { scope: viewer.tenantId, key, operationName: name, etag: body.etag };
      cache.ttlSimulator.observe({ ...answer, ttlMs: null, invalidated: false });
    }
    // A gzipped entry goes out as it is stored to clients that accept gzip, closed by a stored
    // block holding `}` or extensions.cost (StoredBody): nothing is inflated. That
    // representation has its own ETag, the JSON's with -gzip, cost or not (as the JSON's own
    // tag is sent with a cost spliced in: the cost is of the request, the tag of the data).
    // (CACHE_DEBUG rewrites the JSON, which is then sent as it is.)
    const gzip =
      !deps.debug &&
      body.encoding === 'gzip' &&
      acceptsGzipOf(req.headers['accept-encoding'] ?? '');
    const etag = gzip ? `${body.etag.slice(0, -1)}-gzip"` : body.etag;
    const seconds = (performance.now() - startedAt) / 1000;
    const span = tracing ? adoptedSpan(req)?.span : undefined;
    if (span) {
      nameOperation(span, 'query', name);
      span.setAttribute(ATTR.outcome, 'hit');
      span.setAttribute(ATTR.tagCount, found.tags?.length ?? 0);
      if (found.ttlMs !== null) span.setAttribute(ATTR.ttl, found.ttlMs / 1000);
    }
    const headers = hitHeaders({
      etag,
      seconds,
      gzipStored: body.encoding === 'gzip',
      traceparent: span ? traceparentOf(span) : null,
      origin: req.headers.origin,
    });
    const stats = cache.stats;
    const ifNoneMatch = req.headers['if-none-match'];
    if (ifNoneMatch !== undefined && etagMatches(ifNoneMatch, etag)) {
      res.writeHead(304, headers);
      res.end();
      stats.record('hit', name, seconds);
      return ANSWERED;
    }
    headers.push('content-type', contentTypeOf(contentType));
    // A 304 costs nothing; a hit COST_HIT, from this process's view of the bucket: the charge
    // itself goes to Redis after the answer is written.
    let cost: string | null = null;
    if (budgets) {
      const charge = budgets.hit(viewer);
      const hitCost = budgets.config.hitCost;
      if (!charge.allowed) {
        const refused = headerObject(headers);
        writeThrottled(res, refused, charge.retryAfter, costJson(hitCost, null, charge.status));
        return ANSWERED;
      }
      cost = costJson(hitCost, hitCost, charge.status);
    }
    let bytes: Buffer;
    if (deps.debug) {
      const ttl = found.ttlMs === null ? null : found.ttlMs / 1000;
      const debugged = withDebug(body.text(), { hit: true, ttl, tags: found.tags ?? [] });
      bytes = Buffer.from(cost ? spliceCost(debugged, cost) : debugged);
    } else if (gzip) {
      // The open gzip member as stored, then its closing: `}`, or the cost and `}`.
      const closing = body.closing(cost ? Buffer.from(costTail(cost)) : undefined);
      headers.push(
        'content-encoding',
        'gzip',
        'content-length',
        String(body.bytes.length + closing.length),
      );
      res.writeHead(200, headers);
      res.cork();
      res.write(body.bytes);
      res.end(closing);
      if (budgets) budgets.charged(viewer);
      stats.record('hit', name, seconds);
      return ANSWERED;
    } else {
      // The JSON: kept beside a gzipped body held in process once asked for (issue 19).
      bytes = body.identity();
    }
    if (cost && !deps.debug) {
      // The stored bytes as they are, but their closing `}`, then the cost and the `}`: no copy
      // of the body, no serialisation.
      const tail = costTail(cost);
      headers.push('content-length', String(bytes.length - 1 + Buffer.byteLength(tail)));
      res.writeHead(200, headers);
      res.cork();
      res.write(bytes.subarray(0, bytes.length - 1));
      res.end(tail);
    } else {
      headers.push('content-length', String(bytes.length));
      res.writeHead(200, headers);
      res.end(bytes);
    }
    if (budgets) budgets.charged(viewer);
    stats.record('hit', name, seconds);
    return ANSWERED;
  }

  /**
   * 429 for a key whose bucket (this process's view) is empty, from the headers alone: before
   * the body is read, parsed, keyed or remembered, since an empty bucket refuses any execution,
   * and a hit too unless hits are free. A revalidation still goes on (a 304 is free), and so
   * does an operator. A flood that ignores Retry-After then costs a 429 and no more.
   */
  function refuseWhenEmpty(
    req: IncomingMessage,
    res: ServerResponse,
    viewer: Viewer,
    startedAt: number,
  ): boolean {
    const budgets = deps.budgets;
    if (!budgets || budgets.config.hitCost < 1 || viewer.kind !== 'tenant') return false;
    if (req.headers['if-none-match'] !== undefined) return false;
    const contentType = mediaTypeOf(req.headers.accept ?? '');
    if (!contentType) return false;
    return throttledEmpty(res, budgets, viewer, contentType, startedAt, 'bypass');
  }

  // With the cache off there is nothing to look up: a request goes to Yoga unkeyed, and the
  // memos keep nothing of it.
  const cacheOn = cache.store !== null;
  return {
    /** Left before any lookup: Yoga answers, looking the request up itself. */
    unlooked: UNLOOKED,
    /**
     * A POST's JSON body or a GET's query string, keyed: null when the hit path can't answer it
     * (not a parameters object, bad parameters, no document, the cache off); Yoga then judges it.
     */
    keyedBody: cacheOn ? keyedBody : unkeyed,
    keyedSearch: cacheOn ? keyedSearch : unkeyed,
    refuseWhenEmpty,
    serve,
  };
}

/** keyedBody and keyedSearch with the cache off. */
const unkeyed = (_raw: unknown): KeyedRequest | null => null;

/** A JSON body's parameters; null when it isn't a JSON object (Yoga answers). */
function bodyParams(text: string): RawParams | null {
  try {
    const parsed = JSON.parse(text) as unknown;
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as RawParams)
      : null;
  } catch {
    return null;
  }
}

/** GET /graphql's parameters; null when a JSON-valued one doesn't parse (Yoga answers). */
function queryStringParams(search: string): RawParams | null {
  const query = new URLSearchParams(search);
  try {
    const variables = query.get('variables');
    const extensions = query.get('extensions');
    return {
      query: query.get('query') ?? undefined,
      operationName: query.get('operationName') ?? undefined,
      variables: variables ? JSON.parse(variables) : undefined,
      extensions: extensions ? JSON.parse(extensions) : undefined,
    };
  } catch {
    return null;
  }
}

export type HitPath = ReturnType<typeof createHitPath>;

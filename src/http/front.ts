import { AsyncResource } from 'node:async_hooks';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import {
  GRAPHQL_PATH,
  isJsonType,
  unauthenticatedAnswer,
  unsupportedMediaTypeAnswer,
} from '../auth/auth-first.js';
import type { RequestAuth } from '../auth/request-auth.js';
import type { Viewer } from '../auth/viewer.js';
import type { ServerContext } from '../context.js';
import { limitExceeded } from '../errors/limit-errors.js';
import type { Limits } from '../limits.js';
import type { LiveListener } from '../live/listener.js';
import { adoptSpan, context, startRequestSpan, type Tracing } from '../telemetry/tracing.js';
import type { HitPath, Unanswered } from './hit-path.js';

export interface HttpFrontDeps {
  /**
   * Yoga as a node:http listener: everything the hit path leaves, with the server context it
   * hands over (the lookup it made).
   */
  yoga: (req: IncomingMessage, res: ServerResponse, ...context: ServerContext[]) => unknown;
  hitPath: HitPath;
  limits: Limits;
  auth: RequestAuth;
  /** GraphiQL is served: its page (GET text/html) loads without a key. */
  graphiql: boolean;
  logger?: Logger;
  /** Live queries over SSE (src/live); what it doesn't take goes on as usual. */
  live?: LiveListener;
  /** Off: no span, no context; on: one span per /graphql request, through both paths. */
  tracing?: Tracing;
}

/**
 * Reads a body up to `max` bytes, then calls `done` once: with the body, or with null once it
 * passes them (the rest is not read); `failed` on a stream error before that. Callbacks rather
 * than a promise: a hit is answered in the turn its body arrives (issue 19).
 */
export function readBody(
  req: IncomingMessage,
  max: number,
  done: (raw: Buffer | null) => void,
  failed: (error: unknown) => void,
): void {
  let first: Buffer | null = null;
  let chunks: Buffer[] | null = null;
  let size = 0;
  let settled = false;
  // The body's events run in the socket's async context, not the request's: `done` (the hit
  // path, Yoga's execution, SQL) runs in the context readBody was called in, as a promise's
  // callback would, so that a request's AsyncLocalStorage (the trace's span, a caller's own)
  // reaches them. About 0.05 µs; with no AsyncLocalStorage in use, nothing is propagated.
  const scope = new AsyncResource('hotpath.body');
  req.on('data', (chunk: Buffer) => {
    if (settled) return;
    size += chunk.length;
    if (size > max) {
      settled = true;
      req.removeAllListeners('data');
      req.pause();
      scope.runInAsyncScope(done, null, null);
      return;
    }
    if (first === null) first = chunk;
    else if (chunks === null) chunks = [first, chunk];
    else chunks.push(chunk);
  });
  req.on('end', () => {
    if (settled) return;
    settled = true;
    const raw = chunks !== null ? Buffer.concat(chunks) : (first ?? Buffer.concat([]));
    scope.runInAsyncScope(done, null, raw);
  });
  req.on('error', (error) => {
    if (settled) return;
    settled = true;
    scope.runInAsyncScope(failed, null, error);
  });
}

function tooLarge(res: ServerResponse, limits: Limits) {
  const error = limitExceeded('bodyBytes', limits.bodyBytes, null, 413);
  const body = JSON.stringify({
    errors: [{ message: error.message, extensions: error.extensions }],
  });
  // No `connection: close`: node:http then reads what is left of the body and throws it away
  // (bounded by the server's requestTimeout), so a client still uploading reads this answer
  // instead of a reset connection.
  res.writeHead(413, { 'content-type': 'application/json; charset=utf-8' });
  res.end(body);
}

function answer(
  req: IncomingMessage,
  res: ServerResponse,
  { status, headers, body }: { status: number; headers: Record<string, string>; body: string },
) {
  const all: Record<string, string> = {
    ...headers,
    'content-length': String(Buffer.byteLength(body)),
  };
  const origin = req.headers.origin;
  if (origin) {
    // Yoga's default CORS answer, so that a browser client can read why it was refused.
    all['access-control-allow-origin'] = origin;
    all['access-control-allow-credentials'] = 'true';
    all.vary = 'Origin';
  }
  // The body, if any, is left unread: node:http reads what is left of it and throws it away
  // (bounded by the server's requestTimeout), so nothing of it is kept and the client, still
  // uploading or not, reads this answer on a connection that stays usable.
  res.writeHead(status, all);
  res.end(body);
}

/**
 * The node:http front (DESIGN §1). Every request to /graphql is authenticated first, from its
 * `Authorization` header alone (DESIGN §2): without a valid key it gets a 401 written here,
 * before its body is read, parsed, hashed or kept anywhere. Only GraphiQL's page (when it is
 * served) and CORS preflights pass without a key; the other routes are Yoga's.
 * Then `POST /graphql` with a JSON body and `GET /graphql?query=` first try the hit path;
 * whatever it leaves goes to Yoga, a POST with its body already read and parsed (Yoga's node
 * adapter takes `req.body` instead of reading the stream again). A POST of anything but JSON
 * gets a 415.
 */
export function createHttpFront(
  deps: HttpFrontDeps,
): (req: IncomingMessage, res: ServerResponse) => void {
  const { yoga, hitPath, limits, auth } = deps;

  function authenticated(
    req: IncomingMessage,
    res: ServerResponse,
    viewer: Viewer,
    startedAt: number,
  ) {
    if (hitPath.refuseWhenEmpty(req, res, viewer, startedAt)) return;
    const url = req.url ?? '/';
    const queryAt = url.indexOf('?');
    if (req.method === 'GET' && queryAt !== -1) {
      if (deps.live?.(req, res, viewer)) return;
      // A GET that asks for JSON may be a hit.
      const request = hitPath.keyedSearch(url.slice(queryAt + 1));
      if (!request) return yoga(req, res);
      return hitPath.serve(req, res, request, startedAt, viewer, searched, null);
    }
    if (req.method !== 'POST') return yoga(req, res);
    if (!isJsonType(req.headers['content-type']))
      return answer(req, res, unsupportedMediaTypeAnswer());
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limits.bodyBytes) return tooLarge(res, limits);
    // An argument, not a named const: tsx (npm start, the benches) names every named closure
    // with Object.defineProperty, which cost a hit 0.4 µs here (issue 19).
    readBody(
      req,
      limits.bodyBytes,
      (raw) => posted(req, res, viewer, startedAt, raw),
      () => {
        if (!res.headersSent) res.destroy();
      },
    );
  }

  /** A POST's body once read (null: over the limit): live, the hit path, or Yoga. */
  function posted(
    req: IncomingMessage,
    res: ServerResponse,
    viewer: Viewer,
    startedAt: number,
    raw: Buffer | null,
  ) {
    if (raw === null) return tooLarge(res, limits);
    if (deps.live && req.headers.accept?.includes('text/event-stream')) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(raw.toString('utf8'));
      } catch {}
      if (deps.live(req, res, viewer, parsed)) return;
    }
    // A body seen before is keyed without decoding or parsing it again.
    const request = hitPath.keyedBody(raw);
    if (!request) return toYoga(req, res, hitPath.unlooked, raw);
    hitPath.serve(req, res, request, startedAt, viewer, toYoga, raw);
  }

  /** A GET the hit path left, to Yoga with the lookup made. */
  function searched(req: IncomingMessage, res: ServerResponse, served: Unanswered) {
    yoga(req, res, served.context);
  }

  /** A POST the hit path left, to Yoga with its body and the lookup made. */
  function toYoga(req: IncomingMessage, res: ServerResponse, served: Unanswered, raw: Buffer) {
    // Yoga gets a parse of its own (its plugins may change the object; the hit path keeps
    // its copy).
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw.toString('utf8'));
    } catch {
      (req as { body?: unknown }).body = raw; // Yoga answers malformed JSON
      return yoga(req, res, served.context);
    }
    const isObject = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed);
    // An object with keys is handed over parsed; anything else as the bytes it came in.
    (req as { body?: unknown }).body =
      isObject && Object.keys(parsed as object).length > 0 ? parsed : raw;
    yoga(req, res, served.context);
  }

  const tracing = deps.tracing;
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const startedAt = performance.now();
    const url = req.url ?? '/';
    const queryAt = url.indexOf('?');
    const path = queryAt === -1 ? url : url.slice(0, queryAt);
    if (path !== GRAPHQL_PATH || req.method === 'OPTIONS') return yoga(req, res);
    // GraphiQL's page is Yoga's, and exists only where GraphiQL is served (development).
    if (deps.graphiql && req.method === 'GET' && req.headers.accept?.includes('text/html')) {
      return yoga(req, res);
    }
    const header = req.headers.authorization;
    const known = auth.authenticate.known(header);
    if (known) return authenticated(req, res, known, startedAt);
    auth.authenticate(header).then(
      (viewer) =>
        viewer
          ? authenticated(req, res, viewer, startedAt)
          : answer(req, res, unauthenticatedAnswer(header)),
      (err: unknown) => {
        deps.logger?.error({ err }, 'authentication failed');
        if (res.headersSent) return;
        answer(req, res, {
          status: 500,
          headers: { 'content-type': 'application/json; charset=utf-8' },
          body: JSON.stringify({
            errors: [
              { message: 'Unexpected error.', extensions: { code: 'INTERNAL_SERVER_ERROR' } },
            ],
          }),
        });
      },
    );
  };
  if (!tracing?.on) return handle;
  // The request's span covers authentication and both paths; everything below runs in its
  // context (store calls, execution, SQL), and it ends when the response is done.
  return (req, res) => {
    if (!(req.url ?? '').startsWith(GRAPHQL_PATH)) return handle(req, res);
    const started = startRequestSpan(tracing, req.headers, 'hit-path');
    adoptSpan(req, started);
    res.once('close', () => {
      started.span.setAttribute('http.response.status_code', res.statusCode);
      started.span.end();
    });
    context.with(started.ctx, () => handle(req, res));
  };
}

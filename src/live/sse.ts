import type { ServerResponse } from 'node:http';
import type { GraphQLError } from 'graphql';
import { jsonPatch } from './patch.js';

/**
 * GraphQL over Server-Sent Events, distinct connections mode, byte for byte as Yoga writes a
 * subscription: a comment first (some browsers wait for a byte before they show the headers),
 * `next` events with one JSON result each, `complete` at the end, comments as heartbeats.
 */
export const SSE_HEADERS = {
  'content-type': 'text/event-stream',
  connection: 'keep-alive',
  'cache-control': 'no-cache',
  'content-encoding': 'none',
  // nginx buffers a proxied response unless told not to; a push must not wait in it.
  'x-accel-buffering': 'no',
} as const;

export const SSE_OPEN = ':\n\n';
export const SSE_HEARTBEAT = ':\n\n';
export const SSE_COMPLETE = 'event: complete\ndata:\n\n';

const NEXT_PREFIX = 'event: next\ndata: ';

/** A `next` event carrying `json` (JSON.stringify never writes a raw newline). */
export const nextEvent = (json: string) => `${NEXT_PREFIX}${json}\n\n`;

/**
 * A result's JSON with `extensions.xCache` added: what the cache did for this push (HIT, MISS,
 * STALE, BYPASS), the X-Cache header a plain query would have carried.
 */
export function withXCache(body: string, xCache: string): string {
  const result = JSON.parse(body) as { extensions?: Record<string, unknown> };
  return JSON.stringify({ ...result, extensions: { ...result.extensions, xCache } });
}

/** The JSON a `next` event carries. */
export const eventJson = (event: string) => event.slice(NEXT_PREFIX.length, -2);

/** A whole result for a client that takes patches: the result with its `revision`. */
export function revisionEvent(event: string, revision: number): string {
  return nextEvent(JSON.stringify({ ...JSON.parse(eventJson(event)), revision }));
}

/**
 * The change from one pushed result to the next, as `@n1ru4l/graphql-live-query-patch` sends
 * it: the JSON Patch of `data`; `patchEvent` wraps it with each stream's own revision.
 */
export function patchOf(before: string, after: string): { patch: string; extensions: string } {
  const from = JSON.parse(eventJson(before)) as { data?: unknown };
  const to = JSON.parse(eventJson(after)) as { data?: unknown; extensions?: unknown };
  return {
    patch: JSON.stringify(jsonPatch(from.data ?? null, to.data ?? null)),
    extensions: JSON.stringify(to.extensions ?? {}),
  };
}

/** A patch event: revision n turns the client's revision n - 1 into this result. */
export const patchEvent = (change: { patch: string; extensions: string }, revision: number) =>
  nextEvent(`{"revision":${revision},"patch":${change.patch},"extensions":${change.extensions}}`);

/**
 * A stream's key is over its budget (src/live/budget.ts): THROTTLED, with the seconds to wait
 * in the error's extensions too, as an event has no Retry-After header.
 */
export function throttledJson(message: string, retryAfter: number): string {
  return JSON.stringify({ errors: [{ message, extensions: { code: 'THROTTLED', retryAfter } }] });
}

/** The JSON of a result made of one error, as Yoga would write it. */
export function errorJson(error: GraphQLError): string {
  const { http: _http, ...extensions } = error.extensions as Record<string, unknown>;
  return JSON.stringify({ errors: [{ message: error.message, extensions }] });
}

/** Headers for a stream, with Yoga's CORS answer when the request came from a browser page. */
export function streamHeaders(origin: string | undefined): Record<string, string> {
  if (!origin) return { ...SSE_HEADERS };
  return {
    ...SSE_HEADERS,
    'access-control-allow-origin': origin,
    'access-control-allow-credentials': 'true',
    vary: 'Origin',
  };
}

/**
 * A refusal in the stream's own terms, as Yoga answers an operation that fails before it
 * streams: the error's HTTP status, then one `next` with the errors and `complete`.
 */
export function refuse(
  res: ServerResponse,
  origin: string | undefined,
  status: number,
  json: string,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent || res.destroyed) {
    if (!res.destroyed) res.end(`${nextEvent(json)}${SSE_COMPLETE}`);
    return;
  }
  res.writeHead(status, { ...streamHeaders(origin), ...headers });
  res.end(`${SSE_OPEN}${nextEvent(json)}${SSE_COMPLETE}`);
}

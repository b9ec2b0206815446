/**
 * What the cache did for one request, in one vocabulary: the stats, the Prometheus metrics, the
 * X-Cache header (upper case) and Server-Timing all say it with these words.
 */
export const OUTCOMES = ['hit', 'miss', 'stale', 'bypass'] as const;

export type CacheOutcome = (typeof OUTCOMES)[number];

/**
 * Why a response did not come from the cache (README: Why a miss), one bounded set for the
 * X-Cache-Reason header, extensions.cache.reason, the span and the metric label. The store tells
 * the last four (MISS_REASONS); the request path tells the others.
 */
export const MISS_REASONS = ['first', 'expired', 'invalidated', 'evicted'] as const;
export type MissReason = (typeof MISS_REASONS)[number];
export const isMissReason = (reason: string): reason is MissReason =>
  (MISS_REASONS as readonly string[]).includes(reason);
export const REASONS = [
  'operator',
  'mutation',
  'error',
  'partial',
  'too-large',
  'never-cached',
  'no-cache',
  'fallback',
  'disabled',
  ...MISS_REASONS,
] as const;
export type CacheReason = (typeof REASONS)[number];

/** The X-Cache header's value of an outcome. */
export const xCache = (outcome: CacheOutcome) => outcome.toUpperCase() as Uppercase<CacheOutcome>;

/**
 * The headers a cached (or cacheable) answer carries, on both paths: the node:http hit path and
 * Yoga's. `scoped`: the answer belongs to one tenant (clients revalidate every time, never older
 * than a write, and may send If-None-Match). must-revalidate changes nothing for browsers, but
 * an HTTP cache that applies RFC 9111 §3.5 (authenticated requests) to private caches too, as
 * undici's does, stores the response only with it (or public/s-maxage), and would never send
 * If-None-Match. `vary`: what the answer varies on besides Authorization.
 */
export function cacheHeaders(
  outcome: CacheOutcome,
  seconds: number,
  options: {
    scoped: boolean;
    etag?: string | null;
    vary?: string;
    /** Why a MISS or BYPASS: X-Cache-Reason. */
    reason?: CacheReason | null;
    /** The request span's W3C traceparent, when tracing is on: Server-Timing names it. */
    traceparent?: string | null;
  },
): Record<string, string> {
  const headers: Record<string, string> = { 'x-cache': xCache(outcome) };
  if (options.reason && (outcome === 'miss' || outcome === 'bypass')) {
    headers['x-cache-reason'] = options.reason;
  }
  if (options.scoped) {
    if (options.etag) headers.etag = options.etag;
    headers['cache-control'] = 'private, no-cache, must-revalidate';
    headers.vary = options.vary ? `Authorization, ${options.vary}` : 'Authorization';
  }
  const timing = `cache;desc="${xCache(outcome)}";dur=${(seconds * 1000).toFixed(3)}`;
  // The trace id an operator copies from the browser's network panel into the tracing UI.
  headers['server-timing'] = options.traceparent
    ? `${timing}, traceparent;desc="${options.traceparent}"`
    : timing;
  return headers;
}

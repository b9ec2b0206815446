/**
 * What the cache did for one request, in one vocabulary: the stats, the Prometheus metrics, the
 * X-Cache header (upper case) and Server-Timing all say it with these words.
 */
export const OUTCOMES = ['hit', 'miss', 'stale', 'bypass'] as const;

export type CacheOutcome = (typeof OUTCOMES)[number];

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
  options: { scoped: boolean; etag?: string | null; vary?: string },
): Record<string, string> {
  const headers: Record<string, string> = { 'x-cache': xCache(outcome) };
  if (options.scoped) {
    if (options.etag) headers.etag = options.etag;
    headers['cache-control'] = 'private, no-cache, must-revalidate';
    headers.vary = options.vary ? `Authorization, ${options.vary}` : 'Authorization';
  }
  headers['server-timing'] = `cache;desc="${xCache(outcome)}";dur=${(seconds * 1000).toFixed(3)}`;
  return headers;
}

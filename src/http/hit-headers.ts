import { cacheHeaders } from '../cache/outcome.js';

/**
 * A hit's headers as the flat list `writeHead` takes (name, value, name, value, …): what
 * cacheHeaders('hit', …) and Yoga's CORS answer give for the same hit, with every value that
 * doesn't change between hits made once. A hit then builds no header object, no Vary and no
 * content type of its own; only its ETag, Server-Timing and lengths are its own.
 * (test/http/hit-headers.test.ts holds it to cacheHeaders, the reference both paths share.)
 */
const reference = cacheHeaders('hit', 0, { scoped: true, etag: 'x' });
const X_CACHE = reference['x-cache'];
const CACHE_CONTROL = reference['cache-control'];
const TIMING = 'cache;desc="HIT";dur=';
/** Vary by [gzip stored][Origin sent]: an entry stored gzipped also varies on Accept-Encoding. */
const VARY = [
  [reference.vary, `Origin, ${reference.vary}`],
  [`${reference.vary}, Accept-Encoding`, `Origin, ${reference.vary}, Accept-Encoding`],
];
/** `${type}; charset=utf-8` for the JSON types the hit path answers with, made once. */
const CONTENT_TYPES = new Map(
  ['application/graphql-response+json', 'application/json'].map((type) => [
    type,
    `${type}; charset=utf-8`,
  ]),
);

export interface HitHeaderFacts {
  etag: string;
  /** Seconds since the request began: Server-Timing's dur. */
  seconds: number;
  /** The entry is stored gzipped: its answer varies on Accept-Encoding. */
  gzipStored: boolean;
  /** The request span's traceparent (tracing on), named in Server-Timing. */
  traceparent: string | null;
  /** The request's Origin: Yoga's CORS answer to a simple request. */
  origin: string | undefined;
}

/** The headers every answer to a hit carries, a 304's included. */
export function hitHeaders(facts: HitHeaderFacts): string[] {
  const timing = `${TIMING}${(facts.seconds * 1000).toFixed(3)}`;
  const headers = [
    'x-cache',
    X_CACHE,
    'etag',
    facts.etag,
    'cache-control',
    CACHE_CONTROL,
    'vary',
    VARY[facts.gzipStored ? 1 : 0][facts.origin ? 1 : 0],
    'server-timing',
    facts.traceparent ? `${timing}, traceparent;desc="${facts.traceparent}"` : timing,
  ];
  if (facts.origin) {
    headers.push(
      'access-control-allow-origin',
      facts.origin,
      'access-control-allow-credentials',
      'true',
    );
  }
  return headers;
}

/** The Content-Type header's value of a JSON type mediaTypeFor chose. */
export const contentTypeOf = (mediaType: string) =>
  CONTENT_TYPES.get(mediaType) ?? `${mediaType}; charset=utf-8`;

/** The same list as an object (a 429's headers are built from it: a rare answer). */
export function headerObject(list: readonly string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (let i = 0; i < list.length; i += 2) headers[list[i]] = list[i + 1];
  return headers;
}

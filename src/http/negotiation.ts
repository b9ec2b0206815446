/**
 * What the hit path reads of a request's negotiation headers, as Yoga and HTTP would read them:
 * the media type of the answer (Accept), whether gzip is taken (Accept-Encoding), and whether a
 * revalidation matches (If-None-Match). Pure functions; the hit path memoizes the first two.
 */

const JSON_TYPES = ['application/graphql-response+json', 'application/json'];
// Yoga's result processors in its order; of a regular result the last match wins (see
// graphql-yoga's use-result-processor.js). A stream type winning means Yoga must answer.
const PROCESSORS = [['text/event-stream'], ['multipart/mixed'], JSON_TYPES];

// Whether the client's `asked` type (a wildcard such as application/* too) covers `processor`'s.
const matches = (processor: string, asked: string) => {
  const [pre, suf] = asked.split('/');
  const [ppre, psuf] = processor.split('/');
  return (pre === '*' || pre === ppre) && (suf === '*' || suf === psuf);
};

/** The media type Yoga would answer a regular result with, or null when it isn't JSON. */
export function mediaTypeFor(accept: string | undefined): string | null {
  const asked = (accept || '*/*')
    .replace(/\s/g, '')
    .toLowerCase()
    .split(',')
    .filter((part) => {
      const charset = part.split(';').find((p) => p.includes('charset='));
      return !charset || charset === 'charset=utf-8';
    })
    .map((part) => part.split(';')[0])
    .reverse();
  let chosen: string | null = null;
  for (const types of PROCESSORS) {
    for (const type of asked) {
      for (const processor of types) if (matches(processor, type)) chosen = processor;
    }
  }
  return chosen && JSON_TYPES.includes(chosen) ? chosen : null;
}

/** If-None-Match: `*`, or a list of (possibly weak) tags, compared weakly (RFC 9110 13.1.2). */
export function etagMatches(header: string, etag: string): boolean {
  if (header === etag || header.trim() === '*') return true;
  for (const part of header.split(',')) {
    const tag = part.trim();
    if ((tag.startsWith('W/') ? tag.slice(2) : tag) === etag) return true;
  }
  return false;
}

/** Whether an Accept-Encoding header takes gzip: `gzip` or `*` with a q above 0. */
export function acceptsGzip(header: string | undefined): boolean {
  if (!header) return false;
  let star = false;
  for (const part of header.toLowerCase().split(',')) {
    const [coding, ...params] = part.split(';').map((p) => p.trim());
    const q = params.find((p) => p.startsWith('q='));
    const accepted = q === undefined || Number(q.slice(2)) > 0;
    if (coding === 'gzip' || coding === 'x-gzip') return accepted;
    if (coding === '*') star = accepted;
  }
  return star;
}

import { describe, expect, it } from 'vitest';
import { cacheHeaders } from '../../src/cache/outcome.js';
import { contentTypeOf, headerObject, hitHeaders } from '../../src/http/hit-headers.js';

/**
 * The hit path writes prepared header lists (src/http/hit-headers.ts); cacheHeaders and Yoga's
 * CORS answer are the reference (test/http/hit-path.test.ts compares the two paths end to end).
 */
describe('a hit’s prepared headers', () => {
  it.each([
    ['a plain entry', false, undefined, null],
    ['a gzipped entry', true, undefined, null],
    ['an Origin', false, 'https://dash.example', null],
    ['an Origin and a gzipped entry', true, 'https://dash.example', null],
    ['a traceparent', false, undefined, '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'],
  ])('are cacheHeaders’ with %s', (_what, gzipStored, origin, traceparent) => {
    const seconds = 0.001234;
    const expected = cacheHeaders('hit', seconds, {
      scoped: true,
      etag: '"abc"',
      vary: gzipStored ? 'Accept-Encoding' : undefined,
      traceparent,
    });
    if (origin) {
      expected['access-control-allow-origin'] = origin;
      expected['access-control-allow-credentials'] = 'true';
      expected.vary = `Origin, ${expected.vary}`;
    }
    const list = hitHeaders({ etag: '"abc"', seconds, gzipStored, traceparent, origin });
    expect(list.length % 2).toBe(0);
    expect(headerObject(list)).toEqual(expected);
  });

  it('gives the content type Yoga writes', () => {
    expect(contentTypeOf('application/json')).toBe('application/json; charset=utf-8');
    expect(contentTypeOf('application/graphql-response+json')).toBe(
      'application/graphql-response+json; charset=utf-8',
    );
  });
});

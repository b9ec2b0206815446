import type { RequestListener } from 'node:http';
import { etagOf } from '../../src/cache/store/body.js';
import { readBody } from '../../src/http/front.js';
import { contentTypeOf, hitHeaders } from '../../src/http/hit-headers.js';

/**
 * node:http doing the HTTP work of a hit and nothing else: what a response cache in front of
 * any server must do whatever it looks up (issue 19). Hotpath's own code for it: the body read
 * as the front reads it (readBody: its bytes, in the request's async context), its API key's
 * header, and a hit's headers as the hit path writes them (hitHeaders: X-Cache, the body's
 * ETag, Cache-Control, Vary, Server-Timing with the time taken, then its content type and
 * length). No request key, no API key lookup, no cache lookup, no stats: the gap from the
 * ceiling to this is HTTP's, from this to a hit the cache's.
 */
export function hitHttp(body: Buffer, contentType: string): RequestListener {
  const etag = etagOf(body);
  const type = contentTypeOf(contentType.split(';')[0]);
  return (req, res) => {
    const startedAt = performance.now();
    // The headers node:http parses are built on first read: a hit reads its key first.
    if (req.headers.authorization === undefined) {
      res.writeHead(401);
      res.end();
      return;
    }
    readBody(
      req,
      1_048_576,
      (raw) => {
        if (raw === null) return res.destroy();
        const headers = hitHeaders({
          etag,
          seconds: (performance.now() - startedAt) / 1000,
          gzipStored: false,
          traceparent: null,
          origin: req.headers.origin,
        });
        headers.push('content-type', type, 'content-length', String(body.length));
        res.writeHead(200, headers);
        res.end(body);
      },
      () => res.destroy(),
    );
  };
}

import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { type Limits, limitExceeded } from '../limits.js';
import type { HitPath } from './hit-path.js';

export interface HttpFrontDeps {
  /** Yoga as a node:http listener: everything the hit path leaves. */
  yoga: RequestListener;
  hitPath: HitPath;
  limits: Limits;
}

/** Reads a body up to `max` bytes; null once it passes them (the rest is not read). */
function readBody(req: IncomingMessage, max: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        req.removeAllListeners('data');
        req.pause();
        resolve(null);
        return;
      }
      chunks.push(chunk);
    });
    req.once('end', () => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
    req.once('error', reject);
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

const isJson = (type: string | undefined) =>
  !!type && /^application\/(?:[\w.+-]+\+)?json\b/i.test(type);

/**
 * The node:http front (DESIGN §1): `POST /graphql` with a JSON body and `GET /graphql?query=`
 * first try the hit path; whatever it leaves goes to Yoga, a POST with its body already read
 * and parsed (Yoga's node adapter takes `req.body` instead of reading the stream again).
 */
export function createHttpFront(deps: HttpFrontDeps): RequestListener {
  const { yoga, hitPath, limits } = deps;
  return (req, res) => {
    const startedAt = performance.now();
    const url = req.url ?? '/';
    const queryAt = url.indexOf('?');
    const path = queryAt === -1 ? url : url.slice(0, queryAt);
    if (path !== '/graphql') return yoga(req, res);

    if (req.method === 'GET' && queryAt !== -1) {
      // GraphiQL's page is Yoga's; a GET that asks for JSON may be a hit.
      if (req.headers.accept?.includes('text/html')) return yoga(req, res);
      const request = hitPath.keyedSearch(url.slice(queryAt + 1));
      if (!request) return yoga(req, res);
      hitPath.serve(req, res, request, startedAt).then(
        (served) => served || yoga(req, res),
        () => yoga(req, res),
      );
      return;
    }

    if (req.method !== 'POST' || !isJson(req.headers['content-type'])) return yoga(req, res);
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limits.bodyBytes) return tooLarge(res, limits);
    readBody(req, limits.bodyBytes).then(
      async (raw) => {
        if (raw === null) return tooLarge(res, limits);
        const text = raw.toString('utf8');
        // A body seen before is keyed without parsing it again.
        const request = hitPath.keyedBody(text);
        if (request && (await hitPath.serve(req, res, request, startedAt).catch(() => false))) {
          return;
        }
        // Yoga gets a parse of its own (its plugins may change the object; the hit path keeps
        // its copy).
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          (req as { body?: unknown }).body = raw; // Yoga answers malformed JSON
          return yoga(req, res);
        }
        const isObject = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed);
        // An object with keys is handed over parsed; anything else as the bytes it came in.
        (req as { body?: unknown }).body =
          isObject && Object.keys(parsed as object).length > 0 ? parsed : raw;
        yoga(req, res);
      },
      () => {
        if (!res.headersSent) res.destroy();
      },
    );
  };
}

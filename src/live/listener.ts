import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Viewer } from '../auth/viewer.js';
import type { Limits } from '../limits.js';
import type { LiveHub } from './hub.js';
import { liveOperationOf, paramsOf, wantsEventStream } from './request.js';

/**
 * What the node:http front calls for an authenticated /graphql request: true when it took it
 * (a live query over SSE, or a refusal of one), false for anything else, which the front
 * serves as it always has. `body`: a POST's JSON, already parsed by the front.
 */
export type LiveListener = (
  req: IncomingMessage,
  res: ServerResponse,
  viewer: Viewer,
  body?: unknown,
) => boolean;

/**
 * Live queries in front of Yoga: a GET or POST to /graphql that accepts text/event-stream
 * and runs a query operation marked `@live` goes to the hub. A query without `@live` is
 * left to Yoga, exactly as before.
 */
export function createLiveListener(deps: { hub: LiveHub; limits: Limits }): LiveListener {
  return (req, res, viewer, body) => {
    if (!wantsEventStream(req)) return false;
    let source: unknown = body;
    if (req.method === 'GET') {
      const url = req.url ?? '';
      const at = url.indexOf('?');
      if (at === -1) return false;
      source = new URLSearchParams(url.slice(at + 1));
    } else if (req.method !== 'POST') {
      return false;
    }
    const params = paramsOf(source);
    if (!params) return false;
    const operation = liveOperationOf(params, deps.limits.tokens);
    if (!operation) return false;
    deps.hub.serve(req, res, viewer, operation);
    return true;
  };
}

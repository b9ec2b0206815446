import type { Authenticate } from './authenticator.js';
import type { Viewer } from './viewer.js';

/**
 * One authentication per request, shared by the cache lookup (which must know the tenant
 * before it looks anything up) and the GraphQL context.
 */
export function createRequestAuth(authenticate: Authenticate) {
  const viewers = new WeakMap<Request, Promise<Viewer | null>>();
  return {
    /** The API key table itself, for the node:http hit path (no Fetch Request there). */
    authenticate,
    viewerOf(request: Request): Promise<Viewer | null> {
      let viewer = viewers.get(request);
      if (!viewer) {
        viewer = authenticate(request.headers.get('authorization'));
        viewers.set(request, viewer);
      }
      return viewer;
    },
    /** In-process requests (cache warming) run as a tenant without holding its API key. */
    actAs(request: Request, viewer: Viewer): Request {
      viewers.set(request, Promise.resolve(viewer));
      return request;
    },
  };
}

export type RequestAuth = ReturnType<typeof createRequestAuth>;

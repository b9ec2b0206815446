import type { DataSource } from 'typeorm';
import type { Viewer } from './auth/viewer.js';
import type { HandOver, RequestCacheState } from './cache/request-state.js';
import type { Services } from './services/services.js';

/**
 * What node:http's front hands Yoga along with a request (Yoga's server context, besides node's
 * `req` and `res`). In-process requests (tests, warming, refreshes) carry none of it.
 */
export interface ServerContext {
  /**
   * The hit path's lookup of a request it leaves to Yoga (a miss, or the store down): the
   * response cache takes it instead of asking the store again.
   */
  cacheLookup?: HandOver;
}

export interface Context {
  viewer: Viewer;
  services: Services;
  db: DataSource;
  /** This request's cache entry: resolvers tag it and cap its TTL. Null when not cached. */
  cache: RequestCacheState | null;
}

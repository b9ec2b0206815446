import type { DataSource } from 'typeorm';
import type { RequestCacheState } from './cache/request-state.js';
import type { Services } from './services/services.js';

export type Viewer = { kind: 'tenant'; tenantId: string; timezone: string } | { kind: 'operator' };

export type TenantViewer = Extract<Viewer, { kind: 'tenant' }>;

export interface Context {
  viewer: Viewer;
  services: Services;
  db: DataSource;
  /** This request's cache entry: resolvers tag it and cap its TTL. Null when not cached. */
  cache: RequestCacheState | null;
}

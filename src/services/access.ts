import type { TenantViewer, Viewer } from '../auth/viewer.js';
import { forbidden } from '../errors/errors.js';

/** Tenant data is reached with a tenant's API key; the operator token manages, it doesn't browse. */
export function requireTenant(viewer: Viewer): TenantViewer {
  if (viewer.kind !== 'tenant') throw forbidden('This field needs a tenant API key.');
  return viewer;
}

export function requireOperator(viewer: Viewer): void {
  if (viewer.kind !== 'operator') throw forbidden('Operators only.');
}

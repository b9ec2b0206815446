/**
 * Who a request acts for. A leaf: it imports nothing of the app, so every layer (auth, cache,
 * services, http) can name the viewer without depending on the others.
 */
export type Viewer = { kind: 'tenant'; tenantId: string; timezone: string } | { kind: 'operator' };

export type TenantViewer = Extract<Viewer, { kind: 'tenant' }>;

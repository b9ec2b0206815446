/**
 * Who a request acts for. A leaf: it imports nothing of the app, so every layer (auth, cache,
 * services, http) can name the viewer without depending on the others.
 */
export type Viewer =
  | {
      kind: 'tenant';
      tenantId: string;
      timezone: string;
      /**
       * The id of the API key the request came with (its budget is this key's bucket); absent
       * for the server's own requests as a tenant (warming), which no budget charges.
       */
      keyId?: string;
    }
  | { kind: 'operator' };

export type TenantViewer = Extract<Viewer, { kind: 'tenant' }>;

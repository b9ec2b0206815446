/**
 * GraphQL-over-HTTP parameters as the client sent them (JSON body or query string). A leaf, so
 * the hit path and the document lookup (persisted.ts) share it without importing each other.
 */
export interface RawParams {
  query?: unknown;
  operationName?: unknown;
  variables?: unknown;
  extensions?: unknown;
}

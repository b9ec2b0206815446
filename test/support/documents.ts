/**
 * The GraphQL documents many suites send, written once. Codegen reads them (codegen.ts) and
 * types them in test/gql; a suite that needs another selection writes its own beside its tests.
 */

/** Creates a service for a provider; the caller's tenant must own the provider. */
export const CREATE_SERVICE = `mutation CreateService($i: CreateServiceInput!) {
  createService(input: $i) { id name priceCents }
}`;

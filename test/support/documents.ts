import { graphql } from '../gql/index.js';

/**
 * The GraphQL documents many suites send, written once and typed by codegen (codegen.ts reads
 * graphql(`...`) calls under test/ and writes test/gql; run `npm run codegen` after a change).
 * A suite that needs a selection of its own writes it beside its tests, the same way.
 */

/** A provider's services, the read most cache suites repeat. Named: byOperation counts it. */
export const SERVICES = graphql(`
  query Services($u: ID!) {
    services(userId: $u) { id name }
  }
`);

/** Services with their prices and their provider: what a write to either must invalidate. */
export const SERVICES_AND_USER = graphql(`
  query ServicesAndUser($u: ID!) {
    services(userId: $u) { id name priceCents }
    user(id: $u) { id name }
  }
`);

/** Services with their prices. */
export const SERVICES_WITH_PRICES = graphql(`
  query ServicesWithPrices($u: ID!) {
    services(userId: $u) { id name priceCents }
  }
`);

/** Only ids and prices: what a price change must show at once. */
export const SERVICE_PRICES = graphql(`
  query ServicePrices($u: ID!) {
    services(userId: $u) { id priceCents }
  }
`);

/** Creates a service for a provider; the caller's tenant must own the provider. */
export const CREATE_SERVICE = graphql(`
  mutation CreateService($i: CreateServiceInput!) {
    createService(input: $i) { id name priceCents }
  }
`);

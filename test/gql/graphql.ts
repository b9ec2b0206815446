/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
/** A new service, active from the start. Breaking a bound is BAD_USER_INPUT. */
export type CreateServiceInput = {
  /** Between 5 and 600. */
  durationMinutes: number;
  /** 1 to 200 characters. */
  name: string;
  /** Not negative. */
  priceCents: number;
  /** The provider, a user of the caller's tenant; NOT_FOUND otherwise. */
  userId: string;
};

export type AgendaWithRelationsQueryVariables = Exact<{
  userId: string;
  date: string;
}>;


export type AgendaWithRelationsQuery = { agenda: { id: string, appointments: Array<{ id: string, provider: { name: string }, service: { name: string, priceCents: number } }> } };

export type ServicesOfThreeUsersQueryVariables = Exact<{
  a: string;
  b: string;
  c: string;
}>;


export type ServicesOfThreeUsersQuery = { a: Array<{ name: string, user: { name: string } }>, b: Array<{ name: string, user: { name: string } }>, c: Array<{ name: string, user: { name: string } }> };

export type InvalidationServicesQueryVariables = Exact<{
  u: string;
}>;


export type InvalidationServicesQuery = { services: Array<{ id: string, name: string, active: boolean }> };

export type ServicesQueryVariables = Exact<{
  u: string;
}>;


export type ServicesQuery = { services: Array<{ id: string, name: string }> };

export type ServicesAndUserQueryVariables = Exact<{
  u: string;
}>;


export type ServicesAndUserQuery = { services: Array<{ id: string, name: string, priceCents: number }>, user: { id: string, name: string } | null };

export type ServicesWithPricesQueryVariables = Exact<{
  u: string;
}>;


export type ServicesWithPricesQuery = { services: Array<{ id: string, name: string, priceCents: number }> };

export type ServicePricesQueryVariables = Exact<{
  u: string;
}>;


export type ServicePricesQuery = { services: Array<{ id: string, priceCents: number }> };

export type CreateServiceMutationVariables = Exact<{
  i: CreateServiceInput;
}>;


export type CreateServiceMutation = { createService: { id: string, name: string, priceCents: number } };

export class TypedDocumentString<TResult, TVariables>
  extends String
  implements DocumentTypeDecoration<TResult, TVariables>
{
  __apiType?: NonNullable<DocumentTypeDecoration<TResult, TVariables>['__apiType']>;
  private value: string;
  public __meta__?: Record<string, any> | undefined;

  constructor(value: string, __meta__?: Record<string, any> | undefined) {
    super(value);
    this.value = value;
    this.__meta__ = __meta__;
  }

  override toString(): string & DocumentTypeDecoration<TResult, TVariables> {
    return this.value;
  }
}

export const AgendaWithRelationsDocument = new TypedDocumentString(`
    query AgendaWithRelations($userId: ID!, $date: Date!) {
  agenda(userId: $userId, date: $date) {
    id
    appointments {
      id
      provider {
        name
      }
      service {
        name
        priceCents
      }
    }
  }
}
    `) as unknown as TypedDocumentString<AgendaWithRelationsQuery, AgendaWithRelationsQueryVariables>;
export const ServicesOfThreeUsersDocument = new TypedDocumentString(`
    query ServicesOfThreeUsers($a: ID!, $b: ID!, $c: ID!) {
  a: services(userId: $a) {
    name
    user {
      name
    }
  }
  b: services(userId: $b) {
    name
    user {
      name
    }
  }
  c: services(userId: $c) {
    name
    user {
      name
    }
  }
}
    `) as unknown as TypedDocumentString<ServicesOfThreeUsersQuery, ServicesOfThreeUsersQueryVariables>;
export const InvalidationServicesDocument = new TypedDocumentString(`
    query InvalidationServices($u: ID!) {
  services(userId: $u) {
    id
    name
    active
  }
}
    `) as unknown as TypedDocumentString<InvalidationServicesQuery, InvalidationServicesQueryVariables>;
export const ServicesDocument = new TypedDocumentString(`
    query Services($u: ID!) {
  services(userId: $u) {
    id
    name
  }
}
    `) as unknown as TypedDocumentString<ServicesQuery, ServicesQueryVariables>;
export const ServicesAndUserDocument = new TypedDocumentString(`
    query ServicesAndUser($u: ID!) {
  services(userId: $u) {
    id
    name
    priceCents
  }
  user(id: $u) {
    id
    name
  }
}
    `) as unknown as TypedDocumentString<ServicesAndUserQuery, ServicesAndUserQueryVariables>;
export const ServicesWithPricesDocument = new TypedDocumentString(`
    query ServicesWithPrices($u: ID!) {
  services(userId: $u) {
    id
    name
    priceCents
  }
}
    `) as unknown as TypedDocumentString<ServicesWithPricesQuery, ServicesWithPricesQueryVariables>;
export const ServicePricesDocument = new TypedDocumentString(`
    query ServicePrices($u: ID!) {
  services(userId: $u) {
    id
    priceCents
  }
}
    `) as unknown as TypedDocumentString<ServicePricesQuery, ServicePricesQueryVariables>;
export const CreateServiceDocument = new TypedDocumentString(`
    mutation CreateService($i: CreateServiceInput!) {
  createService(input: $i) {
    id
    name
    priceCents
  }
}
    `) as unknown as TypedDocumentString<CreateServiceMutation, CreateServiceMutationVariables>;
/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
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
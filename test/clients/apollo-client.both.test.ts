import { ApolloClient, ApolloLink, HttpLink, InMemoryCache } from '@apollo/client';
import { PersistedQueryLink } from '@apollo/client/link/persisted-queries';
import { parse } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedRedisCache, type TestApp } from '../support/app.js';
import { CREATE_SERVICE, SERVICES } from '../support/documents.js';
import { type listen, listeningTenant, revalidatesThroughHttpCache, sha256 } from './support.js';

/**
 * The real Apollo Client 4 with its persisted-query link (hashes over GET) against a listening
 * Hotpath: the hit path in front of Yoga in the `hit-path` project, Yoga alone in `yoga`.
 */

// Parsed here, not with gql``: codegen collects gql`` documents into test/gql.
// Apollo sends a DocumentNode (and adds __typename): the shared documents, parsed.
const SERVICES_DOCUMENT = parse(String(SERVICES));
const ADD_SERVICE = parse(String(CREATE_SERVICE));

describe.each([
  ['memory', { backend: 'MEMORY' as const }],
  ['Redis', sharedRedisCache()],
])('Apollo Client with persisted queries on %s', (_name, cache) => {
  let app: TestApp;
  let server: Awaited<ReturnType<typeof listen>>;
  let key: string;
  let userId: string;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ app, server, key, userId, close } = await listeningTenant(cache, 'Eva'));
  });
  afterAll(() => close());

  const clientWith = (fetch: typeof globalThis.fetch = globalThis.fetch) =>
    new ApolloClient({
      link: ApolloLink.from([
        new PersistedQueryLink({ sha256, useGETForHashedQueries: true }),
        new HttpLink({ uri: server.url, fetch, headers: { authorization: `Bearer ${key}` } }),
      ]),
      cache: new InMemoryCache(),
      // Every call goes to the server.
      defaultOptions: { query: { fetchPolicy: 'network-only' } },
    });
  const names = async (client: ApolloClient) => {
    const { data } = await client.query({ query: SERVICES_DOCUMENT, variables: { u: userId } });
    return (data as { services: { name: string }[] }).services.map((s) => s.name).sort();
  };
  const addService = (client: ApolloClient, name: string) =>
    client.mutate({
      mutation: ADD_SERVICE,
      variables: { i: { userId, name, durationMinutes: 30, priceCents: 5_000 } },
    });

  it('registers on the first call (NOT_FOUND, then the text), then hits with the hash over GET', async () => {
    const client = clientWith();
    server.take();
    expect(await names(client)).toEqual([]);
    expect(server.take()).toMatchObject([
      { method: 'GET', sentText: false, status: 404 },
      { method: 'POST', sentText: true, status: 200, xCache: 'MISS' },
    ]);
    expect(await names(client)).toEqual([]);
    const [hit] = server.take();
    expect(hit).toMatchObject({ method: 'GET', sentText: false, status: 200, xCache: 'HIT' });
    expect(hit.url).toContain('extensions=');
    expect(hit.url).not.toContain('query=');
  });

  it('a mutation through the client invalidates: the next query is fresh, then hits', async () => {
    const client = clientWith();
    expect(await names(client)).toEqual([]);
    server.take();
    await addService(client, 'Corte');
    // Mutations go by POST: the hash first (unknown), then the text; they run once.
    expect(server.take()).toMatchObject([
      { method: 'POST', sentText: false, status: 404 },
      { method: 'POST', sentText: true, status: 200 },
    ]);
    expect(await names(client)).toEqual(['Corte']);
    expect(server.take()).toMatchObject([{ method: 'GET', sentText: false, xCache: 'MISS' }]);
    await addService(client, 'Barba');
    server.take();
    expect(await names(client)).toEqual(['Barba', 'Corte']);
    expect(await names(client)).toEqual(['Barba', 'Corte']);
    expect(server.take()).toMatchObject([{ xCache: 'MISS' }, { xCache: 'HIT' }]);
  });

  it('revalidates through an HTTP cache: If-None-Match, 304, and new data after a write', () =>
    revalidatesThroughHttpCache({ app, server, clientWith, names, addService }, 'Escova'));
});

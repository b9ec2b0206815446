import { Client, fetchExchange } from '@urql/core';
import { persistedExchange } from '@urql/exchange-persisted';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedRedisCache, type TestApp } from '../support/app.js';
import { CREATE_SERVICE, SERVICES } from '../support/documents.js';
import { type listen, listeningTenant, revalidatesThroughHttpCache, sha256 } from './support.js';

/**
 * The real urql (@urql/core with persistedExchange, hashes over GET) against a listening
 * Hotpath: the hit path in front of Yoga in the `hit-path` project, Yoga alone in `yoga`.
 */

describe.each([
  ['memory', { backend: 'MEMORY' as const }],
  ['Redis', sharedRedisCache()],
])('urql with persisted queries on %s', (_name, cache) => {
  let app: TestApp;
  let server: Awaited<ReturnType<typeof listen>>;
  let key: string;
  let userId: string;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ app, server, key, userId, close } = await listeningTenant(cache, 'Lia'));
  });
  afterAll(() => close());

  const clientWith = (fetch: typeof globalThis.fetch = globalThis.fetch) =>
    new Client({
      url: server.url,
      exchanges: [
        persistedExchange({
          preferGetForPersistedQueries: true,
          generateHash: async (query) => sha256(query),
        }),
        fetchExchange,
      ],
      fetch,
      fetchOptions: { headers: { authorization: `Bearer ${key}` } },
      requestPolicy: 'network-only',
    });
  const names = async (client: Client) => {
    const result = await client.query(String(SERVICES), { u: userId }).toPromise();
    if (result.error) throw result.error;
    return (result.data as { services: { name: string }[] }).services.map((s) => s.name).sort();
  };
  const addService = async (client: Client, name: string) => {
    const result = await client
      .mutation(String(CREATE_SERVICE), {
        i: { userId, name, durationMinutes: 45, priceCents: 7_000 },
      })
      .toPromise();
    if (result.error) throw result.error;
    return result.data;
  };

  it('registers on the first call (NOT_FOUND, then the text), then hits with the hash over GET', async () => {
    const client = clientWith();
    server.take();
    expect(await names(client)).toEqual([]);
    // urql retries over GET too, with the text and the hash (marked as a miss).
    expect(server.take()).toMatchObject([
      { method: 'GET', sentText: false, status: 404 },
      { method: 'GET', sentText: true, status: 200, xCache: 'MISS' },
    ]);
    expect(await names(client)).toEqual([]);
    const [hit] = server.take();
    expect(hit).toMatchObject({ method: 'GET', sentText: false, status: 200, xCache: 'HIT' });
    expect(hit.url).toContain('extensions=');
  });

  it('a mutation through the client invalidates: the next query is fresh, then hits', async () => {
    const client = clientWith();
    expect(await names(client)).toEqual([]);
    server.take();
    await addService(client, 'Manicure');
    expect(server.take()).toMatchObject([{ method: 'POST', sentText: true, status: 200 }]);
    expect(await names(client)).toEqual(['Manicure']);
    expect(await names(client)).toEqual(['Manicure']);
    expect(server.take()).toMatchObject([
      { method: 'GET', sentText: false, xCache: 'MISS' },
      { method: 'GET', sentText: false, xCache: 'HIT' },
    ]);
  });

  it('revalidates through an HTTP cache: If-None-Match, 304, and new data after a write', () =>
    revalidatesThroughHttpCache({ app, server, clientWith, names, addService }, 'Pedicure'));
});

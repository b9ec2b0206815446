import { ApolloClient, ApolloLink, HttpLink, InMemoryCache } from '@apollo/client';
import { ServerError } from '@apollo/client/errors';
import { RetryLink } from '@apollo/client/link/retry';
import { Client, type CombinedError, fetchExchange, type Operation } from '@urql/core';
import { retryExchange } from '@urql/exchange-retry';
import { parse, print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUDGET_DEFAULTS } from '../../src/budget/budgets.js';
import { buildTestApp, type TestApp } from '../support/app.js';
import { listen } from './support.js';

/**
 * A client that backs off on 429 by its Retry-After, then succeeds (issue 17): the real Apollo
 * Client 4 with its RetryLink, and the real urql with its retryExchange, against a listening
 * Hotpath whose budget (set explicitly) holds one request.
 */

const PROFILE = parse('query Backoff($u: ID!) { user(id: $u) { id name } }');

describe('Apollo Client backs off on 429 THROTTLED', () => {
  let app: TestApp;
  let server: Awaited<ReturnType<typeof listen>>;
  let key: string;
  let userId: string;
  beforeAll(async () => {
    // 5 points, 5 back per second, a hit costs 5: one request a second.
    app = await buildTestApp('sqlite', {
      cache: { backend: 'MEMORY' },
      budget: { ...BUDGET_DEFAULTS, maximumAvailable: 5, restoreRate: 5, hitCost: 5 },
    });
    server = await listen(app);
    const tenant = await app.createTenant();
    key = tenant.key;
    userId = (await app.createUser(tenant.tenant.id, 'Bea')).id;
  });
  afterAll(async () => {
    await server.close();
    await app.close();
  });

  it('waits as long as Retry-After says, then gets its answer', async () => {
    const waits: number[] = [];
    const client = new ApolloClient({
      link: ApolloLink.from([
        new RetryLink({
          // The server says when: Retry-After, in seconds.
          delay: (_count, _operation, error) => {
            const seconds = ServerError.is(error)
              ? Number(error.response.headers.get('retry-after') ?? 1)
              : 1;
            waits.push(seconds);
            return seconds * 1000;
          },
          attempts: (count, _operation, error) =>
            count <= 3 && ServerError.is(error) && error.statusCode === 429,
        }),
        // application/json: a 429 is then a ServerError, which RetryLink retries. (Answered as
        // application/graphql-response+json, Apollo hands a 429 over as GraphQL errors, which
        // RetryLink never retries: README, Budgets.)
        new HttpLink({
          uri: server.url,
          headers: { authorization: `Bearer ${key}`, accept: 'application/json' },
        }),
      ]),
      cache: new InMemoryCache(),
      defaultOptions: { query: { fetchPolicy: 'network-only' } },
    });
    const first = await client.query({ query: PROFILE, variables: { u: userId } });
    expect((first.data as { user: { name: string } }).user.name).toBe('Bea');
    server.take();
    const started = performance.now();
    const second = await client.query({ query: PROFILE, variables: { u: userId } });
    const took = performance.now() - started;
    expect((second.data as { user: { name: string } }).user.name).toBe('Bea');
    expect(server.take().map((e) => e.status)).toEqual([429, 200]);
    expect(waits).toEqual([1]);
    expect(took).toBeGreaterThanOrEqual(950);
  });
});

describe('urql backs off on 429 THROTTLED', () => {
  let app: TestApp;
  let server: Awaited<ReturnType<typeof listen>>;
  let key: string;
  let userId: string;
  beforeAll(async () => {
    // 5 points, 5 back per second, a hit costs 5: one request a second (Retry-After: 1).
    app = await buildTestApp('sqlite', {
      cache: { backend: 'MEMORY' },
      budget: { ...BUDGET_DEFAULTS, maximumAvailable: 5, restoreRate: 5, hitCost: 5 },
    });
    server = await listen(app);
    const tenant = await app.createTenant();
    key = tenant.key;
    userId = (await app.createUser(tenant.tenant.id, 'Cai')).id;
  });
  afterAll(async () => {
    await server.close();
    await app.close();
  });

  it('retries after Retry-After with retryExchange, then gets its answer', async () => {
    const seen: number[] = [];
    // urql's delay is its own (initialDelayMs × the attempt, with randomDelay off), not the
    // answer's: retryIf reads Retry-After and retries only when that delay covers it, else
    // the THROTTLED error reaches the caller (README: Budgets).
    const initialDelayMs = 1_000;
    const client = new Client({
      url: server.url,
      exchanges: [
        retryExchange({
          initialDelayMs,
          randomDelay: false,
          maxNumberAttempts: 3,
          retryIf: (error: CombinedError, operation: Operation) => {
            const response = error.response as Response | undefined;
            if (response?.status !== 429) return false;
            const seconds = Number(response.headers.get('retry-after') ?? 1);
            seen.push(seconds);
            const attempt = ((operation.context.retry as { count?: number })?.count ?? 0) + 1;
            return attempt * initialDelayMs >= seconds * 1_000;
          },
        }),
        fetchExchange,
      ],
      fetchOptions: { headers: { authorization: `Bearer ${key}` } },
      requestPolicy: 'network-only',
      preferGetMethod: false,
    });
    const query = print(PROFILE);
    const first = await client.query(query, { u: userId }).toPromise();
    expect((first.data as { user: { name: string } }).user.name).toBe('Cai');
    server.take();
    const started = performance.now();
    const second = await client.query(query, { u: userId }).toPromise();
    const took = performance.now() - started;
    expect(second.error).toBeUndefined();
    expect((second.data as { user: { name: string } }).user.name).toBe('Cai');
    expect(server.take().map((e) => e.status)).toEqual([429, 200]);
    expect(seen).toEqual([1]);
    expect(took).toBeGreaterThanOrEqual(950);
  });
});

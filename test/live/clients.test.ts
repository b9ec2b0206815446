import { ApolloClient, ApolloLink, HttpLink, InMemoryCache } from '@apollo/client';
import { Client, fetchExchange, subscriptionExchange } from '@urql/core';
import { type OperationDefinitionNode, parse, print } from 'graphql';
import { createClient } from 'graphql-sse';
import { Observable } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects, OPS_TOKEN } from '../support/app.js';
import {
  type AgendaResult,
  clientNames,
  INVALIDATE_AGENDA,
  LIVE_AGENDA,
  type LiveWorld,
  liveWorld,
  nextWithin,
  resultQueue,
} from './clients-support.js';

/**
 * Issue 16 through real clients: `query … @live` over GraphQL over SSE (distinct connections),
 * against a listening Hotpath on Redis (its node:http front, as `npm start` serves it). Each
 * client gets the whole result first, then the whole new result after a write, and nothing for
 * a re-execution whose result did not change.
 */
describe.each(dialects)('live queries through real clients on %s', (dialect) => {
  let world: LiveWorld;
  beforeAll(async () => {
    world = await liveWorld(dialect);
  });
  afterAll(() => world?.close());

  /**
   * The scenario every client goes through: first result, a push per write, and an operator's
   * invalidation that re-executes without a change pushes nothing (the next event is the next
   * write's). `next` awaits the client's next result.
   */
  async function firstThenPushes(next: (what: string) => Promise<AgendaResult>, tag: string) {
    const before = clientNames(await next('the first result'));
    await world.book(`${tag} 1`);
    expect(clientNames(await next('the push after a booking'))).toEqual([...before, `${tag} 1`]);
    const invalidated = await world.app.execute(
      INVALIDATE_AGENDA,
      { u: world.provider.user.id },
      OPS_TOKEN,
    );
    expect(invalidated.body.errors).toBeUndefined();
    await world.book(`${tag} 2`);
    expect(clientNames(await next('the push after the second booking'))).toEqual([
      ...before,
      `${tag} 1`,
      `${tag} 2`,
    ]);
  }

  it('graphql-sse (distinct connections mode): first result, then a push per write', async () => {
    const client = createClient({
      url: world.url,
      headers: { authorization: `Bearer ${world.key}` },
      retryAttempts: 0,
    });
    const results = client.iterate<AgendaResult>({
      query: LIVE_AGENDA,
      variables: world.variables,
    });
    try {
      await firstThenPushes(async (what) => {
        const result = await nextWithin(results, what);
        expect(result.errors).toBeUndefined();
        // Each push says what the cache did for it, as X-Cache says for a plain request.
        expect(result.extensions).toMatchObject({ xCache: expect.stringMatching(/^(HIT|MISS)$/) });
        return result.data as AgendaResult;
      }, 'graphql-sse');
    } finally {
      await results.return?.();
      client.dispose();
    }
  });

  it('graphql-sse: an unknown key is refused when the stream opens, with a code', async () => {
    const client = createClient({
      url: world.url,
      headers: { authorization: 'Bearer hp_nobody_0000000000000000' },
      retryAttempts: 0,
    });
    const results = client.iterate({ query: LIVE_AGENDA, variables: world.variables });
    try {
      const refused = await results.next().then(
        () => null,
        (error: unknown) => error,
      );
      // graphql-sse rejects with the server's response (a 401 with a JSON body) when a
      // stream is refused before it starts.
      expect(refused).toBeTruthy();
      expect(String((refused as Error).message ?? refused)).toMatch(/401|UNAUTHENTICATED/);
    } finally {
      client.dispose();
    }
  });

  it('urql (@urql/core fetchExchange): the streamed response updates the query result', async () => {
    const client = new Client({
      url: world.url,
      exchanges: [fetchExchange],
      fetchOptions: { headers: { authorization: `Bearer ${world.key}` } },
      requestPolicy: 'network-only',
    });
    const queue = resultQueue<AgendaResult>();
    const subscription = client.query(LIVE_AGENDA, world.variables).subscribe((result) => {
      if (result.error) queue.fail(result.error);
      else if (result.data) queue.push(result.data as AgendaResult);
    });
    try {
      await firstThenPushes((what) => nextWithin(queue.iterator, what), 'urql fetch');
    } finally {
      subscription.unsubscribe();
    }
  });

  it('urql with subscriptionExchange over the graphql-sse client, for @live queries', async () => {
    const sse = createClient({
      url: world.url,
      headers: { authorization: `Bearer ${world.key}` },
      retryAttempts: 0,
    });
    const client = new Client({
      url: world.url,
      exchanges: [
        subscriptionExchange({
          // Live queries go over SSE; everything else stays on fetch.
          isSubscriptionOperation: (op) =>
            op.kind === 'subscription' || /@live\b/.test(op.query.loc?.source.body ?? ''),
          forwardSubscription: (request) => ({
            subscribe: (sink) => ({
              unsubscribe: sse.subscribe({ ...request, query: request.query ?? '' }, sink),
            }),
          }),
        }),
        fetchExchange,
      ],
      fetchOptions: { headers: { authorization: `Bearer ${world.key}` } },
      requestPolicy: 'network-only',
    });
    const queue = resultQueue<AgendaResult>();
    const subscription = client.query(LIVE_AGENDA, world.variables).subscribe((result) => {
      if (result.error) queue.fail(result.error);
      else if (result.data) queue.push(result.data as AgendaResult);
    });
    try {
      await firstThenPushes((what) => nextWithin(queue.iterator, what), 'urql sse');
    } finally {
      subscription.unsubscribe();
      sse.dispose();
    }
  });

  it('Apollo Client 4 with a link that sends @live queries over graphql-sse', async () => {
    const sse = createClient({
      url: world.url,
      headers: { authorization: `Bearer ${world.key}` },
      retryAttempts: 0,
    });
    const overSse = new ApolloLink(
      (operation) =>
        new Observable((sink) =>
          sse.subscribe(
            {
              query: print(operation.query),
              variables: operation.variables,
              operationName: operation.operationName,
            },
            {
              next: (value) => sink.next(value as ApolloLink.Result),
              error: (error) => sink.error(error),
              complete: () => sink.complete(),
            },
          ),
        ),
    );
    const isLive = (operation: ApolloLink.Operation) =>
      operation.query.definitions.some(
        (d) =>
          d.kind === 'OperationDefinition' &&
          (d as OperationDefinitionNode).directives?.some((x) => x.name.value === 'live'),
      );
    const client = new ApolloClient({
      link: ApolloLink.split(
        isLive,
        overSse,
        new HttpLink({ uri: world.url, headers: { authorization: `Bearer ${world.key}` } }),
      ),
      cache: new InMemoryCache(),
    });
    const queue = resultQueue<AgendaResult>();
    const subscription = client
      .watchQuery({
        query: parse(LIVE_AGENDA),
        variables: world.variables,
        fetchPolicy: 'network-only',
      })
      .subscribe({
        next: (result) => {
          if (result.error) queue.fail(result.error);
          else if (result.dataState === 'complete') queue.push(result.data as AgendaResult);
        },
        error: (error) => queue.fail(error),
      });
    try {
      await firstThenPushes((what) => nextWithin(queue.iterator, what), 'apollo');
    } finally {
      subscription.unsubscribe();
      sse.dispose();
      client.stop();
    }
  });
});

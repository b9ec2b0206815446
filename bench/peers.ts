/**
 * The peers `npm run bench` measures Hotpath against (issue 8): what a team would pick instead
 * of Hotpath to cache the same API. Each serves Hotpath's own Pothos schema, services and API
 * keys (the same resolvers, the same SQLite file), so the only difference is the server and its
 * response cache. Every cache is keyed per tenant, as Hotpath's is: two tenants never share an
 * entry. bench/server.ts starts one of them per process.
 *
 * PLAIN_PEERS are two of them without a cache, for bench:miss: what the same miss costs in
 * another server (issue 19: where a miss goes that Hotpath's own code doesn't decide).
 */
import { createServer } from 'node:http';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginCacheControl } from '@apollo/server/plugin/cacheControl';
import { startStandaloneServer } from '@apollo/server/standalone';
import responseCachePlugin from '@apollo/server-plugin-response-cache';
import { KeyvAdapter } from '@apollo/utils.keyvadapter';
import { useResponseCache } from '@envelop/response-cache';
import { createRedisCache } from '@envelop/response-cache-redis';
import KeyvRedis from '@keyv/redis';
import Fastify, { type FastifyPluginAsync } from 'fastify';
import type { GraphQLSchema } from 'graphql';
import { createYoga } from 'graphql-yoga';
import { Redis } from 'ioredis';
import Keyv from 'keyv';
import mercurius from 'mercurius';
import mercuriusCacheModule, { type MercuriusCacheOptions } from 'mercurius-cache';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import type { Viewer } from '../src/auth/viewer.js';
import type { Context } from '../src/context.js';
import { unauthenticated } from '../src/errors/errors.js';
import { yogaLogger } from '../src/logger.js';
import type { Services } from '../src/services/services.js';
import type { Peer } from './targets.js';

/** Peers without any cache (bench:miss): plain Yoga, and mercurius with graphql-jit. */
export const PLAIN_PEERS = ['yoga-plain', 'mercurius-jit-plain'] as const;
export type PlainPeer = (typeof PLAIN_PEERS)[number];

/** What every peer shares with Hotpath: its schema, services and API key table. */
export interface PeerDeps {
  schema: GraphQLSchema;
  services: Services;
  db: DataSource;
  logger: Logger;
  authenticate: (authorization: string | null | undefined) => Promise<Viewer | null>;
  /** Redis for the Redis peers; each keeps its keys under `prefix:` (removed by the bench). */
  redisUrl: string;
  prefix: string;
}

/** A started peer: the port it listens on (127.0.0.1) and how to stop it. */
export interface RunningPeer {
  port: number;
  close: () => Promise<void>;
}

/**
 * Seconds a peer keeps an entry. Longer than a default bench round (warming, 2 s of warm-up,
 * 8 s measured), so every measured request can be a hit; a longer BENCH_DURATION lets an entry
 * expire once, which the bench's miss count shows (it allows 1% of the requests).
 */
const TTL_S = 60;

async function contextFor(deps: PeerDeps, authorization: string | undefined): Promise<Context> {
  const viewer = await deps.authenticate(authorization);
  if (!viewer) throw unauthenticated('Unknown API key.');
  // cache: null: Hotpath's own cache is not in play; the peer's is.
  return { viewer, services: deps.services, db: deps.db, cache: null };
}

/** The entry's scope: the tenant, or `ops` for an operator, as in Hotpath's keys. */
const scopeOf = (viewer: Viewer) => (viewer.kind === 'tenant' ? viewer.tenantId : 'ops');

async function connectRedis(deps: PeerDeps, name: string): Promise<Redis> {
  // ioredis prefixes every key it sends, so the peer's keys stay under the run's prefix.
  const redis = new Redis(deps.redisUrl, { keyPrefix: `${deps.prefix}:${name}:` });
  await new Promise<void>((resolve, reject) => {
    redis.once('ready', resolve);
    redis.once('error', reject);
  });
  return redis;
}

function listenNode(handler: Parameters<typeof createServer>[0]): Promise<RunningPeer> {
  const server = createServer(handler);
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (!address || typeof address === 'string') throw new Error('no port');
      resolve({
        port: address.port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}

/**
 * graphql-yoga with @envelop/response-cache, the cache Yoga's docs point to: in memory (its
 * default LRU) or, for `stock`, on Redis with @envelop/response-cache-redis. Session: the tenant.
 * Without a cache (`yoga-plain`): Yoga's defaults and the schema, nothing else.
 */
async function yoga(deps: PeerDeps, cache: 'memory' | 'redis' | null): Promise<RunningPeer> {
  const redis = cache === 'redis' ? await connectRedis(deps, 'stock') : null;
  const server = createYoga<Record<string, unknown>, Context>({
    schema: deps.schema,
    graphqlEndpoint: '/graphql',
    landingPage: false,
    graphiql: false,
    logging: yogaLogger(deps.logger),
    plugins: cache
      ? [
          useResponseCache<Context>({
            session: (context) => scopeOf(context.viewer),
            ...(redis ? { cache: createRedisCache({ redis }) } : {}),
            ttl: TTL_S * 1000,
          }),
        ]
      : [],
    context: ({ request }) => contextFor(deps, request.headers.get('authorization') ?? undefined),
  });
  const running = await listenNode(server as unknown as Parameters<typeof createServer>[0]);
  return {
    port: running.port,
    close: async () => {
      await running.close();
      redis?.disconnect();
    },
  };
}

/**
 * Apollo's response cache stores only what cache hints allow, and a PUBLIC hint is shared by
 * every authenticated session: with sessionId alone, the bench's per-tenant check saw a second
 * tenant get the first one's agenda. Hotpath's entries are per tenant, so the root field is marked
 * PRIVATE, which is what an Apollo user does with `setCacheHint` in a resolver; entries are
 * then keyed by sessionId (the tenant). `info.cacheControl` is created by the cache control
 * plugin's own willResolveField, and Apollo calls willResolveField in the reverse order of
 * `plugins`: this plugin must come BEFORE ApolloServerPluginCacheControl there.
 */
const privateRootFields: ApolloServerPlugin<Context> = {
  async requestDidStart() {
    return {
      async executionDidStart() {
        return {
          willResolveField({ info }) {
            if (info.path.prev) return;
            const hints = info as { cacheControl?: { setCacheHint(hint: object): void } };
            if (!hints.cacheControl) throw new Error('privateRootFields ran before CacheControl');
            hints.cacheControl.setCacheHint({ scope: 'PRIVATE' });
          },
        };
      },
    };
  },
};

/**
 * Apollo Server 5 with @apollo/server-plugin-response-cache, in memory (the server's default
 * InMemoryLRUCache) or on Redis through Keyv (`new KeyvAdapter(new Keyv(new KeyvRedis(url)))`),
 * served by its own standalone node:http server.
 */
async function apollo(deps: PeerDeps, onRedis: boolean): Promise<RunningPeer> {
  let keyv: Keyv<string> | null = null;
  if (onRedis) {
    // Keyv's namespace becomes the keys' prefix (`<prefix>:apollo:…`).
    keyv = new Keyv<string>(new KeyvRedis<string>(deps.redisUrl), {
      namespace: `${deps.prefix}:apollo`,
    });
    await keyv.set('ready', 'yes', 60_000);
    if ((await keyv.get('ready')) !== 'yes') throw new Error('Keyv Redis did not answer');
  }
  const server = new ApolloServer<Context>({
    schema: deps.schema,
    // KeyvAdapter's types name keyv's CommonJS declarations, this file its ESM ones: same class.
    ...(keyv ? { cache: new KeyvAdapter<string>(keyv as never) } : {}),
    plugins: [
      privateRootFields,
      ApolloServerPluginCacheControl({ defaultMaxAge: TTL_S }),
      responseCachePlugin<Context>({
        sessionId: async ({ contextValue }) => scopeOf(contextValue.viewer),
      }),
    ],
  });
  const { url } = await startStandaloneServer(server, {
    listen: { port: 0, host: '127.0.0.1' },
    context: ({ req }) => contextFor(deps, req.headers.authorization),
  });
  return {
    port: Number(new URL(url).port),
    close: async () => {
      await server.stop();
      await keyv?.disconnect();
    },
  };
}

// mercurius-cache is CommonJS typed with `export default`: under NodeNext, TypeScript types the
// default import as the whole module, while Node gives module.exports, the plugin itself.
const mercuriusCache = mercuriusCacheModule as unknown as FastifyPluginAsync<MercuriusCacheOptions>;

/** The fields of the agenda query that reach the database; mercurius-cache caches each one. */
const MERCURIUS_POLICY_FIELDS = {
  Query: ['agenda'],
  Agenda: ['user', 'appointments'],
  Appointment: ['service'],
};

/**
 * fastify 5 + mercurius with mercurius-cache, with or without graphql-jit, in memory or on Redis.
 * mercurius-cache caches resolvers, not responses: a hit still executes the query, and every
 * field that would reach the database answers from the cache, keyed by its parent, arguments,
 * selection and (extendKey) the tenant.
 */
async function fastifyMercurius(
  deps: PeerDeps,
  options: { jit: boolean; onRedis: boolean; cache?: boolean },
): Promise<RunningPeer> {
  const redis = options.onRedis
    ? await connectRedis(deps, options.jit ? 'mercurius-jit' : 'mercurius')
    : null;
  const extendKey = (_self: unknown, _args: unknown, context: Context) => scopeOf(context.viewer);
  const policy = Object.fromEntries(
    Object.entries(MERCURIUS_POLICY_FIELDS).map(([type, fields]) => [
      type,
      Object.fromEntries(fields.map((field) => [field, { extendKey }])),
    ]),
  );
  const app = Fastify({ logger: false });
  await app.register(mercurius, {
    schema: deps.schema,
    path: '/graphql',
    graphiql: false,
    ...(options.jit ? { jit: 1 } : {}),
    context: (request) => contextFor(deps, request.headers.authorization),
  });
  if (options.cache !== false) {
    await app.register(mercuriusCache, {
      ttl: TTL_S,
      policy,
      ...(redis ? { storage: { type: 'redis', options: { client: redis } } } : {}),
    });
  }
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  return {
    port: address.port,
    close: async () => {
      await app.close();
      redis?.disconnect();
    },
  };
}

export function startPeer(peer: Peer | PlainPeer, deps: PeerDeps): Promise<RunningPeer> {
  switch (peer) {
    case 'yoga-memory':
      return yoga(deps, 'memory');
    case 'stock':
      return yoga(deps, 'redis');
    case 'yoga-plain':
      return yoga(deps, null);
    case 'mercurius-jit-plain':
      return fastifyMercurius(deps, { jit: true, onRedis: false, cache: false });
    case 'apollo-memory':
      return apollo(deps, false);
    case 'apollo-redis':
      return apollo(deps, true);
    case 'mercurius-memory':
      return fastifyMercurius(deps, { jit: false, onRedis: false });
    case 'mercurius-redis':
      return fastifyMercurius(deps, { jit: false, onRedis: true });
    case 'mercurius-jit-memory':
      return fastifyMercurius(deps, { jit: true, onRedis: false });
    case 'mercurius-jit-redis':
      return fastifyMercurius(deps, { jit: true, onRedis: true });
  }
}

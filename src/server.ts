import { GraphQLError } from 'graphql';
import { createYoga, maskError, type Plugin } from 'graphql-yoga';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import type { Authenticate } from './auth.js';
import type { Context } from './context.js';
import { unauthenticated } from './errors.js';
import { useInputErrorCodes } from './input-errors.js';
import { yogaLogger } from './logger.js';
import { schema } from './schema/index.js';
import type { Services } from './services/services.js';

export interface ServerDeps {
  db: DataSource;
  services: Services;
  authenticate: Authenticate;
  logger: Logger;
  /** Serve GraphiQL at /graphql, with these headers filled in. */
  graphiql?: false | { defaultHeaders?: Record<string, string> };
}

async function databaseState(db: DataSource): Promise<'ok' | 'down'> {
  try {
    await Promise.race([
      db.query('SELECT 1'),
      new Promise((_, reject) => setTimeout(reject, 1_000, new Error('timeout')).unref()),
    ]);
    return 'ok';
  } catch {
    return 'down';
  }
}

/** GET /health: 503 only when the database is down. */
function useHealth(deps: ServerDeps): Plugin {
  return {
    async onRequest({ request, url, endResponse }) {
      if (url.pathname !== '/health' || request.method !== 'GET') return;
      const database = await databaseState(deps.db);
      const status = database === 'ok' ? 'ok' : 'down';
      endResponse(
        Response.json(
          { status, database: { status: database, type: deps.db.options.type } },
          { status: status === 'down' ? 503 : 200 },
        ),
      );
    },
  };
}

/** Builds the GraphQL app from its dependencies. It never listens and reads no environment. */
export function createServer(deps: ServerDeps) {
  return createYoga<Record<string, unknown>, Context>({
    schema,
    graphqlEndpoint: '/graphql',
    healthCheckEndpoint: '/livez',
    landingPage: false,
    logging: yogaLogger(deps.logger),
    graphiql: deps.graphiql
      ? { title: 'Hotpath', headers: JSON.stringify(deps.graphiql.defaultHeaders ?? {}) }
      : false,
    maskedErrors: {
      maskError(error, message, isDev) {
        const original = error instanceof GraphQLError ? error.originalError : error;
        if (!(original instanceof GraphQLError) && !(error instanceof GraphQLError && !original)) {
          deps.logger.error({ err: original ?? error }, 'unexpected error');
        }
        return maskError(error, message, isDev);
      },
    },
    plugins: [useHealth(deps), useInputErrorCodes()],
    context: async ({ request }) => {
      const viewer = await deps.authenticate(request.headers.get('authorization'));
      if (!viewer) {
        throw unauthenticated(
          request.headers.has('authorization')
            ? 'Unknown API key.'
            : 'Send an API key: Authorization: Bearer <key>.',
        );
      }
      return { viewer, services: deps.services, db: deps.db };
    },
  });
}

export type HotpathServer = ReturnType<typeof createServer>;

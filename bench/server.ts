/**
 * One benchmark target in its own process, started by bench/run.ts. It reads its settings from
 * the environment, listens on 127.0.0.1 on a free port, sends `{ port }` over IPC and serves
 * until SIGTERM. BENCH_TARGET picks what it serves:
 * - `ceiling`: node:http writing the bytes in BENCH_BODY_FILE, with BENCH_CONTENT_TYPE;
 * - `hotpath`: the app as src/main.ts builds it from parseConfig(env), without seeding or warming;
 * - `stock`: plain Yoga over the same schema and services with the stock
 *   @envelop/response-cache and createRedisCache from @envelop/response-cache-redis.
 */
import 'reflect-metadata';
import { AsyncLocalStorage } from 'node:async_hooks';
import { readFileSync } from 'node:fs';
import { createServer, type RequestListener } from 'node:http';
import { useResponseCache } from '@envelop/response-cache';
import { createRedisCache } from '@envelop/response-cache-redis';
import { createYoga } from 'graphql-yoga';
import { Redis } from 'ioredis';
import { createApp } from '../src/app.js';
import { parseConfig } from '../src/config.js';
import type { Context } from '../src/context.js';
import { openDatabase } from '../src/db/data-source.js';
import { unauthenticated } from '../src/errors.js';
import { createLogger, yogaLogger } from '../src/logger.js';
import { schema } from '../src/schema/index.js';

type Target = 'ceiling' | 'hotpath' | 'stock';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`bench/server.ts: ${name} is required`);
  return value;
}

async function ceiling() {
  const body = readFileSync(required('BENCH_BODY_FILE'));
  const headers = {
    'content-type': required('BENCH_CONTENT_TYPE'),
    'content-length': String(body.length),
  };
  const handler: RequestListener = (req, res) => {
    // Read the POST like a real server would, then write the precomputed bytes.
    req.resume();
    req.on('end', () => {
      res.writeHead(200, headers);
      res.end(body);
    });
  };
  return { handler, close: async () => {} };
}

/**
 * BENCH_COUNT_STATEMENTS=1: every SQL statement is counted by the `x-bench-kind` header of the
 * request that caused it (`read`, `write`; `background` outside any request: the outbox sweep,
 * a stale-while-revalidate refresh); GET /bench/statements answers the counts.
 */
const requestKind = new AsyncLocalStorage<string>();
const statements: Record<string, number> = {};
const statementCounter = {
  logQuery(query: string) {
    const kind = query.includes('cache_outbox')
      ? 'outbox'
      : /^\s*SELECT/i.test(query)
        ? (requestKind.getStore() ?? 'background')
        : `${requestKind.getStore() ?? 'background'}-write`;
    statements[kind] = (statements[kind] ?? 0) + 1;
  },
  logQueryError() {},
  logQuerySlow() {},
  logSchemaBuild() {},
  logMigration() {},
  log() {},
};

function countingStatements(handler: RequestListener): RequestListener {
  return (req, res) => {
    if (req.url === '/bench/statements') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(statements));
      return;
    }
    const kind = String(req.headers['x-bench-kind'] ?? 'other');
    requestKind.run(kind, () => handler(req, res));
  };
}

/** Hotpath over the bench's SQLite file, with the cache the environment asks for. */
async function openHotpath(env: NodeJS.ProcessEnv) {
  const config = parseConfig(env);
  const logger = createLogger(config.logLevel);
  const counting = env.BENCH_COUNT_STATEMENTS === '1';
  const db = await openDatabase(config.database, counting ? { logger: statementCounter } : {});
  const app = createApp({
    db,
    logger,
    cache: config.cache,
    opsToken: required('OPS_TOKEN'),
    defaultTimezone: config.defaultTimezone,
  });
  const close = async () => {
    await app.close();
    await db.destroy();
  };
  return { app, db, logger, close };
}

async function hotpath() {
  const { app, close } = await openHotpath(process.env);
  if (!(await app.start())) throw new Error('the cache store did not become ready');
  const handler = app.http;
  return {
    handler: process.env.BENCH_COUNT_STATEMENTS === '1' ? countingStatements(handler) : handler,
    close,
  };
}

/** The baseline DESIGN §10 measures against: what Yoga users get from the stock plugins. */
async function stock() {
  // Hotpath with its own cache off provides the same services and authentication.
  const { app, db, logger, close } = await openHotpath({ ...process.env, CACHE_ENABLED: 'false' });
  const redis = new Redis(required('BENCH_REDIS_URL'), {
    keyPrefix: `${required('BENCH_STOCK_PREFIX')}:`,
  });
  await new Promise<void>((resolve, reject) => {
    redis.once('ready', resolve);
    redis.once('error', reject);
  });
  const yoga = createYoga<Record<string, unknown>, Context>({
    schema,
    graphqlEndpoint: '/graphql',
    landingPage: false,
    graphiql: false,
    logging: yogaLogger(logger),
    plugins: [
      useResponseCache<Context>({
        session: (context) => (context.viewer.kind === 'tenant' ? context.viewer.tenantId : null),
        cache: createRedisCache({ redis }),
        ttl: 300_000,
      }),
    ],
    context: async ({ request }) => {
      const viewer = await app.auth.viewerOf(request);
      if (!viewer) throw unauthenticated('Unknown API key.');
      return { viewer, services: app.services, db, cache: null };
    },
  });
  return {
    handler: yoga as unknown as RequestListener,
    close: async () => {
      redis.disconnect();
      await close();
    },
  };
}

async function main() {
  const target = required('BENCH_TARGET') as Target;
  const built =
    target === 'ceiling' ? await ceiling() : target === 'hotpath' ? await hotpath() : await stock();
  const server = createServer(built.handler);
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    if (!address || typeof address === 'string') throw new Error('no port');
    process.send?.({ port: address.port });
  });
  process.on('SIGTERM', () => {
    server.close(() => {
      built.close().finally(() => process.exit(0));
    });
    server.closeAllConnections();
  });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

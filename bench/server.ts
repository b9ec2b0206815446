/**
 * One benchmark target in its own process, started by bench/run.ts (and bench/polling.ts). It
 * reads its settings from the environment, listens on 127.0.0.1 on a free port, sends
 * `{ port }` over IPC and serves until SIGTERM. BENCH_TARGET picks what it serves:
 * - `ceiling`: node:http writing the bytes in BENCH_BODY_FILE, with BENCH_CONTENT_TYPE; with
 *   BENCH_CEILING_HTTP=1, node:http doing a hit's HTTP work around the same bytes and nothing
 *   else (bench:curves's `http` case);
 * - `hotpath`: the app as src/main.ts builds it from parseConfig(env), without seeding or warming;
 * - `hotpath-bare`: bench:miss's `bare` target (below), not a server to deploy;
 * - a peer of bench/peers.ts (`apollo-memory`, `mercurius-jit-redis`, `stock`…): another server
 *   and response cache over the same schema, services and API keys, with its Redis keys under
 *   BENCH_PEER_PREFIX on BENCH_REDIS_URL.
 *
 * Asked `{ type: 'counts' }` over IPC, it answers `{ type: 'counts', ...Counts }`: how often the
 * agenda's root resolver ran and how many SQL statements requests caused. On a cache hit neither
 * moves, whichever server and cache answered it; that is how the bench proves hits.
 */
import 'reflect-metadata';
import { AsyncLocalStorage } from 'node:async_hooks';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type RequestListener } from 'node:http';
import type { GraphQLFieldResolver } from 'graphql';
import { createApp } from '../src/app.js';
import { parseConfig } from '../src/config.js';
import { openDatabase } from '../src/db/data-source.js';
import { createLogger } from '../src/logger.js';
import { schema } from '../src/schema/index.js';
import { startTracing } from '../src/telemetry/tracing.js';
import { hitHttp } from './lib/hit-http.js';
import { PLAIN_PEERS, type PlainPeer, startPeer } from './peers.js';
import { PEERS, type Peer } from './targets.js';

type Target = 'ceiling' | 'hotpath' | 'hotpath-bare' | Peer;

/** What run.ts reads to prove that a cached target served hits. */
export interface Counts {
  /** Calls of Query.agenda's resolver: one per execution of the bench's query. */
  agendaResolves: number;
  /** SQL statements, the cache invalidation outbox's own polling left out. */
  statements: number;
}

const counts: Counts = { agendaResolves: 0, statements: 0 };

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`bench/server.ts: ${name} is required`);
  return value;
}

/**
 * Counts the agenda's root resolver calls. Every server here reads `field.resolve` from the same
 * schema object (mercurius-cache wraps it in turn, so its hits skip this count too), so it must
 * be wrapped before any server is built.
 */
function countAgendaResolves(): void {
  const field = schema.getQueryType()?.getFields().agenda;
  if (!field?.resolve) throw new Error('bench/server.ts: Query.agenda has no resolver');
  const resolve: GraphQLFieldResolver<unknown, unknown> = field.resolve;
  field.resolve = (source, args, context, info) => {
    counts.agendaResolves++;
    return resolve(source, args, context, info);
  };
}

async function ceiling() {
  const body = readFileSync(required('BENCH_BODY_FILE'));
  const contentType = required('BENCH_CONTENT_TYPE');
  const headers = {
    'content-type': contentType,
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
  return listen(
    process.env.BENCH_CEILING_HTTP === '1' ? hitHttp(body, contentType) : handler,
    async () => {},
  );
}

/**
 * BENCH_COUNT_STATEMENTS=1 (bench/polling.ts): every SQL statement is also counted by the
 * `x-bench-kind` header of the request that caused it (`read`, `write`; `background` outside any
 * request: the outbox sweep, a stale-while-revalidate refresh; `keys`: the API keys' lookups,
 * revocation poll and last-use flush); GET /bench/statements answers those counts.
 */
const byKind = process.env.BENCH_COUNT_STATEMENTS === '1';
const requestKind = new AsyncLocalStorage<string>();
const statements: Record<string, number> = {};
/**
 * The API keys' upkeep (revocation poll, last-use flush, as test/support/app.ts) and lookups (a
 * key is read once a minute per instance, whatever the request): not what a request costs.
 */
const KEY_UPKEEP =
  /revoked_at"?\s*>=|^UPDATE\s+"?api_keys"?\s+SET\s+"?last_used_at|FROM\s+"?api_keys"?/i;
const statementCounter = {
  logQuery(query: string) {
    const outbox = query.includes('cache_outbox');
    if (!outbox) counts.statements++;
    if (!byKind) return;
    const kind = outbox
      ? 'outbox'
      : KEY_UPKEEP.test(query)
        ? 'keys'
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
  // OTEL_* turns tracing on, as in src/main.ts (bench/tracing.ts measures both ways).
  const tracing = await startTracing(config.tracing);
  const logger = createLogger(config.logLevel);
  const db = await openDatabase(config.database, { logger: statementCounter });
  const app = createApp({
    db,
    logger,
    cache: config.cache,
    opsToken: required('OPS_TOKEN'),
    defaultTimezone: config.defaultTimezone,
    introspection: config.introspection,
    // PostgreSQL: the outbox LISTENs for other instances' invalidations, as src/main.ts does.
    databaseUrl: config.database.url,
    // Live queries' caps and timings (LIVE_*): bench:live raises the stream caps.
    live: config.live,
    // /metrics is private: the bench reads it with METRICS_TOKEN (bench/run.ts).
    metrics: { token: config.metrics.token },
    tracing,
  });
  const close = async () => {
    await app.close();
    await db.destroy();
    await tracing.shutdown();
  };
  return { app, db, logger, close };
}

async function hotpath() {
  const { app, close } = await openHotpath(process.env);
  if (!(await app.start())) throw new Error('the cache store did not become ready');
  return listen(byKind ? countingStatements(app.http) : app.http, close);
}

/**
 * Hotpath with the cache off, each POST run by Yoga's getResultForParams: Yoga's onParams and
 * onExecutionResult hooks and every envelop plugin (limits, validation, the compiled query,
 * the context and its API key), but none of Yoga's HTTP handling: no server adapter, no
 * onRequest, onRequestParse, onResultProcess or onResponse hook, no Fetch Response; the
 * result's JSON is written with node:http. It skips what Hotpath needs (its front's limits,
 * CORS, error codes, the cache's headers and stats), so it only measures how much of a miss is
 * Yoga's request handling: what a miss path beside Yoga could save at most (issue 19).
 */
async function bare() {
  const { app, close } = await openHotpath({ ...process.env, CACHE_ENABLED: 'false' });
  const { yoga } = app;
  const run = async (req: IncomingMessage, raw: Buffer) => {
    const request = new yoga.fetchAPI.Request(`http://${req.headers.host}${req.url}`, {
      method: 'POST',
      headers: req.headers as Record<string, string>,
    });
    const params = JSON.parse(raw.toString('utf8'));
    return JSON.stringify(await yoga.getResultForParams({ params, request }, {}));
  };
  return listen((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      run(req, Buffer.concat(chunks)).then(
        (json) => {
          res.writeHead(200, {
            'content-type': 'application/json; charset=utf-8',
            'content-length': Buffer.byteLength(json),
          });
          res.end(json);
        },
        (error: unknown) => {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(String(error));
        },
      );
    });
  }, close);
}

/** A peer over Hotpath's services and API keys, with Hotpath's own cache off. */
async function peer(name: Peer | PlainPeer) {
  const { app, db, logger, close } = await openHotpath({ ...process.env, CACHE_ENABLED: 'false' });
  const running = await startPeer(name, {
    schema,
    services: app.services,
    db,
    logger,
    authenticate: app.auth.authenticate,
    redisUrl: process.env.BENCH_REDIS_URL || 'redis://127.0.0.1:6379',
    prefix: required('BENCH_PEER_PREFIX'),
  });
  return {
    port: running.port,
    close: async () => {
      await running.close();
      await close();
    },
  };
}

function listen(handler: RequestListener, close: () => Promise<void>) {
  const server = createServer(handler);
  return new Promise<{ port: number; close: () => Promise<void> }>((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (!address || typeof address === 'string') throw new Error('no port');
      resolve({
        port: address.port,
        close: async () => {
          await new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          });
          await close();
        },
      });
    });
  });
}

async function main() {
  const target = required('BENCH_TARGET') as Target | PlainPeer;
  if (
    target !== 'ceiling' &&
    target !== 'hotpath' &&
    target !== 'hotpath-bare' &&
    !PEERS.includes(target as Peer) &&
    !PLAIN_PEERS.includes(target as PlainPeer)
  )
    throw new Error(`bench/server.ts: unknown BENCH_TARGET ${target}`);
  countAgendaResolves();
  const built =
    target === 'ceiling'
      ? await ceiling()
      : target === 'hotpath'
        ? await hotpath()
        : target === 'hotpath-bare'
          ? await bare()
          : await peer(target);
  process.on('message', (message: { type?: string }) => {
    if (message?.type === 'counts') process.send?.({ type: 'counts', ...counts });
  });
  process.send?.({ port: built.port });
  process.on('SIGTERM', () => {
    built.close().finally(() => process.exit(0));
  });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

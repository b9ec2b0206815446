import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { createApp } from './app.js';
import { ConfigError, parseConfig } from './config.js';
import { openDatabase } from './db/data-source.js';
import { demoKeys, isEmpty, seedDemo } from './db/seed.js';
import { createBoundedServer } from './http/node-server.js';
import { createLogger } from './logger.js';
import { startTracing } from './telemetry/tracing.js';

async function main() {
  let config: ReturnType<typeof parseConfig>;
  try {
    config = parseConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    process.exit(1);
  }
  // Before anything else runs: the SDK's context manager and propagator are global.
  const tracing = await startTracing(config.tracing);
  const logger = createLogger(config.logLevel);
  if (tracing.on) logger.info('tracing: spans go to the OTLP endpoint (OTEL_*)');
  const db = await openDatabase(config.database);
  logger.info({ database: db.options.type }, 'database ready');

  if (config.seedDemo && (await isEmpty(db))) {
    await seedDemo(db, { logger });
  }
  const demoTenants = await demoKeys(db);

  const opsToken = config.opsToken ?? `ops_${randomBytes(24).toString('base64url')}`;
  const app = createApp({
    db,
    logger,
    cache: config.cache,
    opsToken,
    defaultTimezone: config.defaultTimezone,
    limits: config.limits,
    databaseUrl: config.database.url,
    introspection: config.introspection,
    metrics: { token: config.metrics.token, separatePort: config.metrics.port !== undefined },
    auth: config.auth,
    live: config.live,
    tracing,
    budget: config.budget ?? undefined,
    graphiql: config.graphiql && {
      defaultHeaders: demoTenants[0] ? { Authorization: `Bearer ${demoTenants[0].apiKey}` } : {},
    },
  });
  await app.start();
  logger.info({ backend: app.cache.backend }, 'cache ready');

  let warming: NodeJS.Timeout | undefined;
  if (app.cache.backend !== 'DISABLED' && config.cache.warmIntervalSeconds > 0) {
    const warm = () =>
      app.warmer.warm().catch((err) => logger.error({ err }, 'cache warming failed'));
    warming = setInterval(warm, config.cache.warmIntervalSeconds * 1000);
    warming.unref();
    setTimeout(warm, 1_000).unref();
  }

  let closing = false;
  const registry = app.cache.stats.registry;
  const server = createBoundedServer(
    (req, res) => {
      // While draining, every answer closes its connection: clients reconnect elsewhere.
      if (closing) res.setHeader('connection', 'close');
      app.http(req, res);
    },
    config.http,
    registry,
  );
  // METRICS_PORT: /metrics there only, for a network the public never reaches.
  const metricsServer =
    config.metrics.port === undefined
      ? undefined
      : createBoundedServer(app.metricsListener, config.http);
  metricsServer?.listen(config.metrics.port, config.host, () => {
    const address = metricsServer.address();
    const port = typeof address === 'object' && address ? address.port : config.metrics.port;
    console.log(`Metrics on http://localhost:${port}/metrics`);
  });
  server.listen(config.port, config.host, () => {
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    const url = `http://localhost:${port}/graphql`;
    logger.info({ url }, 'listening');
    const lines = [`Hotpath is listening on ${url}`];
    if (!config.opsToken) lines.push(`Operator token (generated for this run): ${opsToken}`);
    for (const t of demoTenants) lines.push(`Demo API key of ${t.name}: ${t.apiKey}`);
    console.log(lines.join('\n'));
  });

  /**
   * SIGTERM drains: /readyz turns 503 at once and requests are still served for
   * SHUTDOWN_DELAY_MS (the load balancer moves away); then no new connection is taken, the
   * requests in flight are answered, pending invalidations and the drain hooks finish, and the
   * cache and database close. Past SHUTDOWN_TIMEOUT_MS the process exits with status 1.
   */
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info({ signal, delayMs: config.shutdown.delayMs }, 'draining');
    const force = setTimeout(() => {
      logger.error({ timeoutMs: config.shutdown.timeoutMs }, 'drain timed out: exiting');
      process.exit(1);
    }, config.shutdown.timeoutMs);
    force.unref();
    clearInterval(warming);
    app.startDraining();
    await new Promise((resolve) => setTimeout(resolve, config.shutdown.delayMs));
    // Live streams never end by themselves: they end now, with `complete`, so that their
    // clients reconnect to another instance and the server below can close.
    const ended = app.live.endAll();
    if (ended > 0) logger.info({ streams: ended }, 'live queries ended');
    metricsServer?.close();
    metricsServer?.closeAllConnections();
    const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
    // Keep-alive sockets idle now, or once their request in flight is answered, are closed.
    server.closeIdleConnections();
    const idle = setInterval(() => server.closeIdleConnections(), 100);
    await stopped;
    clearInterval(idle);
    await app.drain().catch((err) => logger.error({ err }, 'draining failed'));
    await app.close().catch((err) => logger.error({ err }, 'closing the cache failed'));
    await db.destroy().catch((err) => logger.error({ err }, 'closing the database failed'));
    await tracing.shutdown().catch((err) => logger.error({ err }, 'flushing the spans failed'));
    logger.info({ signal }, 'drained: exiting');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

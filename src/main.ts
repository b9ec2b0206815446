import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { createServer as createHttpServer } from 'node:http';
import { createApp } from './app.js';
import { ConfigError, parseConfig } from './config.js';
import { openDatabase } from './db/data-source.js';
import { demoKeys, isEmpty, seedDemo } from './db/seed.js';
import { createLogger } from './logger.js';

async function main() {
  let config: ReturnType<typeof parseConfig>;
  try {
    config = parseConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    process.exit(1);
  }
  const logger = createLogger(config.logLevel);
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
    graphiql: config.graphiql && {
      defaultHeaders: demoTenants[0] ? { Authorization: `Bearer ${demoTenants[0].apiKey}` } : {},
    },
  });
  await app.cache.ready();
  logger.info({ backend: app.cache.backend }, 'cache ready');

  let warming: NodeJS.Timeout | undefined;
  if (app.cache.backend !== 'DISABLED' && config.cache.warmIntervalSeconds > 0) {
    const warm = () =>
      app.warmer.warm().catch((err) => logger.error({ err }, 'cache warming failed'));
    warming = setInterval(warm, config.cache.warmIntervalSeconds * 1000);
    warming.unref();
    setTimeout(warm, 1_000).unref();
  }

  const server = createHttpServer(app.http);
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

  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    clearInterval(warming);
    server.close(async () => {
      await app.close().catch((err) => logger.error({ err }, 'closing the cache failed'));
      await db.destroy().catch((err) => logger.error({ err }, 'closing the database failed'));
      process.exit(0);
    });
    server.closeIdleConnections();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

import 'reflect-metadata';
import { ConfigError, parseConfig } from '../config.js';
import { createLogger } from '../logger.js';
import { openDatabase } from './data-source.js';
import { formatDemoKeys, reseedDemo } from './seed.js';

/** `npm run seed`: replaces the demo tenants' data (and nothing else) with a fresh copy. */
async function main() {
  const config = parseConfig(process.env);
  if (config.env === 'production' && !config.seedDemo) {
    // The demo keys are public: they must not open a production database by accident.
    console.error('Not seeding demo tenants in production; set SEED_DEMO=true to do it anyway.');
    process.exitCode = 1;
    return;
  }
  const logger = createLogger(config.logLevel);
  const db = await openDatabase(config.database);
  try {
    const seed = await reseedDemo(db, { logger });
    process.stdout.write(formatDemoKeys(seed.tenants));
  } finally {
    await db.destroy();
  }
}

main().catch((error) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exitCode = 1;
});

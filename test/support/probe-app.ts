/**
 * The app as a probe process runs it (tsx-names-probe.ts, young-garbage-probe.ts): the demo
 * seeded into a SQLite file of its own, configured from the environment with `env` over it,
 * started, with the demo tenant's API key and the variables of its first user's agenda today.
 */
import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '../../src/app.js';
import { parseConfig } from '../../src/config.js';
import { openDatabase } from '../../src/db/data-source.js';
import { DEMO_TENANTS, seedDemo } from '../../src/db/seed.js';
import { createLogger } from '../../src/logger.js';
import { localDate } from '../../src/time.js';

const OPS_TOKEN = 'ops-token-for-the-probe';

export async function startProbeApp(name: string, env: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), `hp-${name}-`));
  const config = parseConfig({
    ...process.env,
    SQLITE_PATH: join(dir, 'probe.sqlite'),
    SEED_DEMO: 'false',
    CACHE_WARM_INTERVAL: '0',
    LOG_LEVEL: 'warn',
    OPS_TOKEN,
    ...env,
  });
  const db = await openDatabase(config.database);
  const seed = await seedDemo(db);
  const app = createApp({
    db,
    logger: createLogger('warn'),
    cache: config.cache,
    opsToken: OPS_TOKEN,
    defaultTimezone: config.defaultTimezone,
    introspection: config.introspection,
  });
  if (!(await app.start())) throw new Error('the cache store did not become ready');
  const demo = DEMO_TENANTS[0];
  const tenant = seed.tenants.find((t) => t.id === demo.id);
  if (!tenant) throw new Error('no demo tenant');
  return {
    app,
    apiKey: demo.apiKey,
    variables: { userId: tenant.users[0].id, date: localDate(new Date(), tenant.timezone) },
    async close() {
      await app.close();
      await db.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

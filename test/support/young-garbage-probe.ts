/**
 * Run by test/api/young-garbage.test.ts with `node --trace-gc-nvp --import tsx`: executes
 * agenda misses in process (Yoga's getResultForParams: envelop's plugins, Pothos and its
 * DataLoaders, the compiled query, with the execution deadline on), each with a new variable,
 * between a `young-garbage:start` and a `young-garbage:end` line, so that the test reads what
 * V8's collections printed for those misses alone. The cache is off: a stored entry is meant
 * to outlive its request.
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
import { WARM_DOCUMENTS } from '../../src/warming/warming.js';

const MISSES = Number(process.env.PROBE_MISSES ?? 3_000);
const dir = mkdtempSync(join(tmpdir(), 'hp-young-garbage-'));
const config = parseConfig({
  ...process.env,
  SQLITE_PATH: join(dir, 'probe.sqlite'),
  SEED_DEMO: 'false',
  CACHE_ENABLED: 'false',
  CACHE_WARM_INTERVAL: '0',
  LOG_LEVEL: 'warn',
  OPS_TOKEN: 'ops-token-for-the-probe',
  JIT_AFTER_RUNS: '1',
});
const db = await openDatabase(config.database);
const seed = await seedDemo(db);
const app = createApp({
  db,
  logger: createLogger('warn'),
  cache: config.cache,
  opsToken: 'ops-token-for-the-probe',
  defaultTimezone: config.defaultTimezone,
  introspection: config.introspection,
});
await app.start();
const demo = DEMO_TENANTS[0];
const tenant = seed.tenants.find((t) => t.id === demo.id);
if (!tenant) throw new Error('no demo tenant');
const variables = { userId: tenant.users[0].id, date: localDate(new Date(), tenant.timezone) };

async function miss(n: number) {
  const request = new app.yoga.fetchAPI.Request('http://localhost/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${demo.apiKey}` },
  });
  // A variable the document doesn't declare: a new request each time (graphql-js ignores it).
  const params = { query: WARM_DOCUMENTS.agenda, variables: { ...variables, probe: n } };
  const result = (await app.yoga.getResultForParams({ params, request }, {})) as {
    data?: { agenda?: { appointments?: unknown[] } };
    errors?: unknown[];
  };
  if (result.errors || !result.data?.agenda?.appointments?.length)
    throw new Error(`not the agenda: ${JSON.stringify(result).slice(0, 300)}`);
}

for (let n = 0; n < 300; n++) await miss(n);
process.stdout.write('young-garbage:start\n');
for (let n = 0; n < MISSES; n++) await miss(300 + n);
process.stdout.write('young-garbage:end\n');
await app.close();
await db.destroy();
rmSync(dir, { recursive: true, force: true });

/**
 * The cache path is linear (issue 6), measured (`npm run bench:depth`): a 1-wide chain
 * `user { services { user { services … } } }` from 5 to 40 levels, against a real `src/main.ts`
 * process with the query limits raised so that the chains get through. Cache on (memory): the
 * miss that executes and stores, then hits; cache off: every request executes. Medians of 3
 * interleaved rounds (each round names its operation afresh, so its first request is a miss),
 * server and client on separate cores when taskset exists (lib/pin.ts). Writes
 * docs/benchmarks.md.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_TENANTS } from '../src/db/seed.js';
import { chainQuery } from './hostile-requests.js';
import { startMainProcess } from './lib/child.js';
import { LOADER_CPU, pinSelf, SERVER_CPU } from './lib/pin.js';
import { loads, markdownTable, median, writeDocSection } from './lib/report.js';

const DEPTHS = [5, 10, 15, 20, 25, 30, 35, 40];
const ROUNDS = 3;
const HITS = 5;
const pin = pinSelf();

const RAISED = { LIMIT_DEPTH: '100', LIMIT_COST: '0', LIMIT_TOKENS: '100000' };

async function startServer(cacheEnabled: boolean) {
  const dir = mkdtempSync(join(tmpdir(), 'hotpath-depth-bench-'));
  const opsToken = `ops-${randomBytes(12).toString('hex')}`;
  const main = await startMainProcess(
    {
      NODE_ENV: 'production',
      OPS_TOKEN: opsToken,
      SEED_DEMO: 'true',
      GRAPHIQL: 'false',
      LOG_LEVEL: 'error',
      SQLITE_PATH: join(dir, 'hotpath.sqlite'),
      PORT: '0',
      CACHE_ENABLED: String(cacheEnabled),
      ...RAISED,
    },
    pin ? SERVER_CPU : undefined,
  );
  const url = `http://localhost:${main.port}`;
  const tenant = DEMO_TENANTS[0];
  const gql = async (auth: string, query: string, variables: unknown = {}) => {
    const started = performance.now();
    const response = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${auth}` },
      body: JSON.stringify({ query, variables }),
    });
    const text = await response.text();
    const ms = performance.now() - started;
    const body = JSON.parse(text);
    if (body.errors) throw new Error(`${query.slice(0, 80)}: ${JSON.stringify(body.errors)}`);
    return { ms, bytes: text.length, cache: response.headers.get('x-cache'), data: body.data };
  };
  // A provider with exactly one service: the chain stays one wide however deep it goes.
  const user = await gql(
    opsToken,
    'mutation($i: CreateUserInput!) { createUser(input: $i) { id } }',
    { i: { tenantId: tenant.id, name: 'One service', plan: 'PRO' } },
  );
  const userId = user.data.createUser.id as string;
  await gql(
    tenant.apiKey,
    'mutation($i: CreateServiceInput!) { createService(input: $i) { id } }',
    { i: { userId, name: 'Only', durationMinutes: 30, priceCents: 100 } },
  );
  return {
    chain: (levels: number, round: number) =>
      gql(tenant.apiKey, chainQuery(levels).replace('Chain', `Chain_${round}`), { u: userId }),
    stop: async () => {
      await main.stop(0);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const on = await startServer(true);
const off = await startServer(false);
const rows = new Map<number, { bytes: number; off: number[]; miss: number[]; hit: number[] }>();
try {
  for (let round = 0; round < ROUNDS; round++) {
    for (const levels of DEPTHS) {
      const row = rows.get(levels) ?? { bytes: 0, off: [], miss: [], hit: [] };
      rows.set(levels, row);
      const miss = await on.chain(levels, round);
      if (miss.cache !== 'MISS') throw new Error(`expected a MISS at ${levels}, got ${miss.cache}`);
      row.miss.push(miss.ms);
      row.bytes = miss.bytes;
      const hits: number[] = [];
      for (let i = 0; i < HITS; i++) {
        const hit = await on.chain(levels, round);
        if (hit.cache !== 'HIT') throw new Error(`expected a HIT at ${levels}, got ${hit.cache}`);
        hits.push(hit.ms);
      }
      row.hit.push(median(hits));
      const offs: number[] = [];
      for (let i = 0; i < HITS; i++) offs.push((await off.chain(levels, round)).ms);
      row.off.push(median(offs));
    }
  }
} finally {
  await on.stop();
  await off.stop();
}

const fmt = (ms: number) => ms.toFixed(2);
const table = markdownTable(
  ['levels', 'response bytes', 'cache off, ms', 'cache on: miss, ms', 'cache on: hit, ms'],
  DEPTHS.map((levels) => {
    const row = rows.get(levels) as { bytes: number; off: number[]; miss: number[]; hit: number[] };
    return [levels, row.bytes, fmt(median(row.off)), fmt(median(row.miss)), fmt(median(row.hit))];
  }),
);
const markdown = [
  '## Depth: the cache path is linear (issue 6)',
  '',
  `Run: ${new Date().toISOString()}, \`npm run bench:depth\` (bench/depth.ts). A 1-wide chain ` +
    '`user { services { user { … } } }` of the given number of levels below `user`, on a ' +
    'real `src/main.ts` (NODE_ENV=production, SQLite, demo data) with LIMIT_DEPTH=100, ' +
    'LIMIT_TOKENS=100000 and LIMIT_COST=0 (off) so that it gets through. Medians of 3 interleaved ' +
    `rounds; hits and cache-off rows are each the median of ${HITS} requests` +
    (pin ? `; server on core ${SERVER_CPU}, client on core ${LOADER_CPU} (taskset).` : '.') +
    ` Load average before: ${loads(loadavg())}.`,
  '',
  table,
  '',
  'Before the fix (issue 6, same chain): 8 s at 20 levels and over 8 minutes at 26 with the ' +
    'cache on, and about 20 ms at 36 with it off. The time went to ' +
    "@envelop/response-cache's `removeMetadataFieldsFromResult`, which walks every list twice, " +
    'so each nested list doubled the work; Hotpath now reads the result once itself ' +
    '(src/cache/result-entities.ts), and test/cache/linear.test.ts counts the values it reads.',
].join('\n');
writeDocSection('depth', markdown);
console.log(markdown);

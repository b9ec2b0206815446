/**
 * Issue 6's hostile client, measured (`npm run bench:hostile`): every request of
 * bench/hostile-requests.ts sent 10 at a time to a real `src/main.ts` process (production
 * settings, default limits, demo data), once with the memory cache and once on Redis. It records
 * each answer's status, codes and time, /health's latency meanwhile, and the server's RSS from
 * /proc, and writes the table to docs/benchmarks.md.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  DEMO_USER,
  type HostileAnswer,
  HUGE_TEMPLATE,
  hostileRequests,
  sendHostile,
} from './hostile-requests.js';
import { rssMb, startMainProcess } from './lib/child.js';
import { LOADER_CPU, pinSelf, SERVER_CPU } from './lib/pin.js';
import { loads, markdownTable, writeDocSection } from './lib/report.js';
import { benchRedisUrl } from './lib/settings.js';

const AT_ONCE = 10;
const redisUrl = benchRedisUrl();
const pin = pinSelf();

interface Row {
  category: string;
  name: string;
  statuses: number[];
  codes: string[];
  maxMs: number;
  stack: boolean;
}

interface Run {
  backend: string;
  rows: Row[];
  idleRssMb: number;
  peakRssMb: number;
  healthMaxMs: number;
  alive: boolean;
  healthAfter: number;
}

async function run(backend: string, env: Record<string, string>): Promise<Run> {
  const dir = mkdtempSync(join(tmpdir(), 'hotpath-hostile-bench-'));
  const main = await startMainProcess(
    {
      NODE_ENV: 'production',
      OPS_TOKEN: `ops-${randomBytes(12).toString('hex')}`,
      SEED_DEMO: 'true',
      GRAPHIQL: 'false',
      SQLITE_PATH: join(dir, 'hotpath.sqlite'),
      PORT: '0',
      ...env,
    },
    pin ? SERVER_CPU : undefined,
  );
  const { app, pid } = main;
  try {
    const url = `http://localhost:${main.port}`;
    const [, key] = await app.printed(/Demo API key of .+: (hp_\S+)/);
    const gql = (query: string, variables: unknown) =>
      fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify({ query, variables }),
      }).then((r) => r.json());
    await gql(HUGE_TEMPLATE.query, HUGE_TEMPLATE.variables());
    await gql('query($u: ID!) { user(id: $u) { name services { name } } }', { u: DEMO_USER });
    await sleep(1_000);
    const idleRssMb = rssMb(pid);

    let peakRssMb = idleRssMb;
    let healthMaxMs = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        peakRssMb = Math.max(peakRssMb, rssMb(pid));
        await sleep(20);
      }
    })();
    const health = (async () => {
      while (sampling) {
        const started = performance.now();
        await fetch(`${url}/health`).then((r) => r.arrayBuffer());
        healthMaxMs = Math.max(healthMaxMs, performance.now() - started);
        await sleep(100);
      }
    })();

    const rows: Row[] = [];
    for (const request of hostileRequests()) {
      const answers: HostileAnswer[] = await Promise.all(
        Array.from({ length: AT_ONCE }, () => sendHostile(url, key, request)),
      );
      rows.push({
        category: request.category,
        name: request.name,
        statuses: [...new Set(answers.map((a) => a.status))],
        codes: [...new Set(answers.flatMap((a) => a.codes.map((c) => c ?? 'NONE')))],
        maxMs: Math.max(...answers.map((a) => a.ms)),
        stack: answers.some((a) => a.stack),
      });
    }
    sampling = false;
    await Promise.all([sampler, health]);
    const alive = app.child.exitCode === null;
    const healthAfter = alive ? (await fetch(`${url}/health`)).status : 0;
    return { backend, rows, idleRssMb, peakRssMb, healthMaxMs, alive, healthAfter };
  } finally {
    await main.stop(0);
    rmSync(dir, { recursive: true, force: true });
  }
}

const runs = [
  await run('memory', {}),
  await run('Redis', {
    REDIS_URL: redisUrl,
    CACHE_PREFIX: `hp-bench-hostile-${randomBytes(4).toString('hex')}`,
  }),
];

const fmt = (n: number) => n.toFixed(n < 10 ? 1 : 0);
const [memory, redis] = runs;
const rows = memory.rows.map((row, i) => [
  row.category,
  row.name,
  row.statuses.join(', '),
  row.codes.join(', ') || '–',
  fmt(row.maxMs),
  fmt(redis.rows[i].maxMs),
]);
const all = runs.flatMap((r) => r.rows);
const fiveHundreds = all.filter((r) => r.statuses.some((s) => s >= 500)).length;
const uncoded = all.filter((r) => r.codes.includes('NONE')).length;
const stacks = all.filter((r) => r.stack).length;
const summary = runs.map(
  (r) =>
    `- **${r.backend}**: RSS ${fmt(r.idleRssMb)} MB idle, peak ${fmt(r.peakRssMb)} MB; slowest ` +
    `answer ${fmt(Math.max(...r.rows.map((x) => x.maxMs)))} ms; /health at worst ` +
    `${fmt(r.healthMaxMs)} ms during the run; process ${r.alive ? 'alive' : 'DEAD'}, /health ` +
    `${r.healthAfter} after it.`,
);

const markdown = [
  '## Hostile requests (issue 6)',
  '',
  `Run: ${new Date().toISOString()}, \`npm run bench:hostile\` (bench/hostile.ts). A real ` +
    '`src/main.ts` process with NODE_ENV=production, the default limits and the demo data; ' +
    `each request sent ${AT_ONCE} times at once` +
    (pin ? `, server on core ${SERVER_CPU} and client on core ${LOADER_CPU} (taskset).` : '.') +
    ` Load average before: ${loads(loadavg())}.`,
  '',
  markdownTable(
    ['category', 'request', 'status', 'codes', 'max ms, memory', 'max ms, Redis'],
    rows,
  ),
  '',
  ...summary,
  `- Responses with a 5xx: ${fiveHundreds}; errors without a code: ${uncoded}; with a stack trace: ${stacks}.`,
].join('\n');

writeDocSection('hostile', markdown);
console.log(markdown);

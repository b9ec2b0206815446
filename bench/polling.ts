/**
 * `npm run bench:polling`: the polling scenario of seed 003 (a dashboard of megaStats polled
 * every 2 s, "95% fewer queries"), as issue 7 states it, compressed in time: 100 dashboards
 * each poll megaStats and one analytics report, and the tenant writes (a booking or a sale,
 * alternately). Every interval is divided by BENCH_SPEEDUP (default 4): the dashboards poll
 * every 500 ms and a write lands every 250 ms, so the ratio of reads to writes is the
 * scenario's. Hotpath runs in its own process pinned to core 1 (taskset), this load generator
 * on core 0; each setting runs BENCH_ROUNDS times (default 3), interleaved, and the medians
 * are reported. Settings: the cache off; Redis with CACHE_TIMEOUT_MS=50 (the old default) and
 * with the new default. Counts come from the server: SQL statements by the request kind that
 * caused them (reads, writes, background). A read is stale when it shows fewer bookings or less
 * revenue than the writes answered before it was sent. Writes the result to docs/benchmarks.md
 * between the polling markers.
 */
import 'reflect-metadata';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { openDatabase } from '../src/db/data-source.js';
import { Store } from '../src/db/entities/store.entity.js';
import { type BenchServer, startBenchServer } from './lib/child.js';
import { interleaved } from './lib/load.js';
import { LOADER_CPU, pinSelf, SERVER_CPU } from './lib/pin.js';
import { median, percentile, writeSection } from './lib/report.js';
import { seedProvider, seedTenant } from './lib/seed.js';
import { benchRedisUrl } from './lib/settings.js';

const DASHBOARDS = 100;
const speedup = Number(process.env.BENCH_SPEEDUP ?? 4);
const durationS = Number(process.env.BENCH_POLLING_DURATION ?? 20);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const redisUrl = benchRedisUrl();
const POLL_MS = 2_000 / speedup;
const WRITE_MS = 1_000 / speedup;

const MEGA_STATS = `query DashboardStats { megaStats { id computedAt today { total } } }`;
const today = new Date().toISOString().slice(0, 10);
const monthStart = `${today.slice(0, 8)}01`;
const REPORT = `query DashboardReport($input: AnalyticsQueryInput!) {
  analytics(input: $input) { id computedAt rows { keys values } }
}`;
const reportInput = {
  metrics: ['REVENUE', 'ORDER_COUNT'],
  dateRange: { start: monthStart, end: today },
};
const BOOK = `mutation Book($i: CreateAppointmentInput!) { createAppointment(input: $i) { id } }`;
const SALE = `mutation Sale($i: RecordSaleInput!) { recordSale(input: $i) { id } }`;

interface Setting {
  id: string;
  label: string;
  env: Record<string, string>;
}

const SETTINGS: Setting[] = [
  { id: 'off', label: 'cache off', env: { CACHE_ENABLED: 'false' } },
  ...['50', '250'].map((ms) => ({
    id: `redis-${ms}`,
    label: `Redis, CACHE_TIMEOUT_MS=${ms}`,
    env: { REDIS_URL: redisUrl, CACHE_TIMEOUT_MS: ms },
  })),
];

interface Result {
  reads: number;
  writes: number;
  stale: number;
  failed: number;
  byCache: Record<string, number>;
  statements: Record<string, number>;
  /** Store calls that failed or timed out (hotpath_cache_errors_total). */
  storeErrors: number;
  p50: number;
  p99: number;
  max: number;
}

async function seed(path: string) {
  const db = await openDatabase({ sqlitePath: path });
  const tenant = await seedTenant(db, 'Clinic', 'America/Sao_Paulo');
  const { userId, serviceId } = await seedProvider(db, tenant.id, 'Dr');
  const store = await db
    .getRepository(Store)
    .save({ id: randomUUID(), tenantId: tenant.id, name: 'Front desk', createdAt: new Date() });
  await db.destroy();
  return { key: tenant.key, userId, serviceId, storeId: store.id };
}

/** Whether this process (core 0) and the servers (core 1) are pinned: set by main. */
let pinned = false;
let child: BenchServer | null = null;

async function startServer(env: Record<string, string>): Promise<number> {
  child = await startBenchServer(env, {
    output: 'inherit',
    ...(pinned ? { cpu: SERVER_CPU } : {}),
  });
  return child.port;
}

async function stopServer() {
  const running = child;
  child = null;
  await running?.stop();
}

async function run(setting: Setting, sqlitePath: string, world: Awaited<ReturnType<typeof seed>>) {
  const port = await startServer({
    PATH: process.env.PATH ?? '',
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    OPS_TOKEN: 'bench-ops-token-0123456789',
    SQLITE_PATH: sqlitePath,
    SEED_DEMO: 'false',
    CACHE_WARM_INTERVAL: '0',
    CACHE_PREFIX: `hp-poll-${randomBytes(4).toString('hex')}`,
    BENCH_TARGET: 'hotpath',
    BENCH_COUNT_STATEMENTS: '1',
    ...setting.env,
  });
  const url = `http://127.0.0.1:${port}/graphql`;
  const post = async (kind: string, query: string, variables: unknown) => {
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${world.key}`,
        'x-bench-kind': kind,
      },
      body: JSON.stringify({ query, variables }),
    });
    return { cache: res.headers.get('x-cache') ?? 'none', body: (await res.json()) as any };
  };
  // Counts the writes start from.
  const base = await post('setup', MEGA_STATS, {});
  const baseReport = await post('setup', REPORT, { input: reportInput });
  const baseBookings = base.body.data.megaStats.today.total as number;
  const orders = (body: any) => (body.data.analytics.rows[0]?.values[1] ?? 0) as number;
  const baseOrders = orders(baseReport.body);
  const before = (await (
    await fetch(`http://127.0.0.1:${port}/bench/statements`)
  ).json()) as Record<string, number>;

  const result: Result = {
    reads: 0,
    writes: 0,
    stale: 0,
    failed: 0,
    byCache: {},
    statements: {},
    storeErrors: 0,
    p50: 0,
    p99: 0,
    max: 0,
  };
  const latencies: number[] = [];
  let bookings = 0;
  let sales = 0;
  const started = performance.now();
  const done = () => performance.now() - started > durationS * 1000;

  async function dashboard() {
    await sleep(Math.random() * POLL_MS);
    while (!done()) {
      const next = performance.now() + POLL_MS;
      const floorBookings = baseBookings + bookings;
      const floorOrders = baseOrders + sales;
      for (const [query, variables] of [
        [MEGA_STATS, {}],
        [REPORT, { input: reportInput }],
      ] as const) {
        const t = performance.now();
        const res = await post('read', query, variables).catch(() => null);
        latencies.push(performance.now() - t);
        result.reads++;
        if (!res || res.body.errors) {
          result.failed++;
          continue;
        }
        result.byCache[res.cache] = (result.byCache[res.cache] ?? 0) + 1;
        const stale =
          query === MEGA_STATS
            ? res.body.data.megaStats.today.total < floorBookings
            : orders(res.body) < floorOrders;
        if (stale) result.stale++;
      }
      await sleep(Math.max(0, next - performance.now()));
    }
  }

  async function writer() {
    let n = 0;
    while (!done()) {
      const next = performance.now() + WRITE_MS;
      n++;
      if (n % 2 === 1) {
        const startsAt = new Date(Date.now() + 60_000 + n * 1_000);
        // Only today's bookings count in today.total: book within today (UTC-3 aware margin).
        const res = await post('write', BOOK, {
          i: {
            userId: world.userId,
            serviceId: world.serviceId,
            clientName: 'Walk-in',
            startsAt: new Date(Math.min(startsAt.getTime(), endOfLocalDay())),
          },
        });
        if (res.body.errors) result.failed++;
        else bookings++;
      } else {
        const res = await post('write', SALE, {
          i: { storeId: world.storeId, channel: 'desk', amountCents: 1_000, soldAt: new Date() },
        });
        if (res.body.errors) result.failed++;
        else sales++;
      }
      result.writes++;
      await sleep(Math.max(0, next - performance.now()));
    }
  }

  await Promise.all([...Array.from({ length: DASHBOARDS }, dashboard), writer()]);
  const after = (await (await fetch(`http://127.0.0.1:${port}/bench/statements`)).json()) as Record<
    string,
    number
  >;
  for (const [kind, count] of Object.entries(after)) {
    result.statements[kind] = count - (before[kind] ?? 0);
  }
  const metrics = await (
    await fetch(`http://127.0.0.1:${port}/metrics`, {
      headers: { authorization: 'Bearer bench-ops-token-0123456789' },
    })
  ).text();
  result.storeErrors = Number(/^hotpath_cache_errors_total (\d+)/m.exec(metrics)?.[1] ?? 0);
  latencies.sort((a, b) => a - b);
  result.p50 = percentile(latencies, 0.5) ?? 0;
  result.p99 = percentile(latencies, 0.99) ?? 0;
  result.max = latencies[latencies.length - 1] ?? 0;
  await stopServer();
  return result;
}

/** The last millisecond of today in São Paulo (UTC-3), so bookings count in today.total. */
function endOfLocalDay() {
  const local = new Date(Date.now() - 3 * 3_600_000);
  const end = Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate(), 23, 59);
  return end + 3 * 3_600_000;
}

async function main() {
  pinned = pinSelf();
  const dir = mkdtempSync(join(tmpdir(), 'hp-polling-'));
  const results = new Map<string, Result[]>();
  const load = loadavg();
  try {
    await interleaved(rounds, SETTINGS, async (setting, round) => {
      // A fresh database per run: every run starts from the same counts.
      const path = join(dir, `${setting.id}-${round}.sqlite`);
      const world = await seed(path);
      process.stderr.write(`round ${round}/${rounds}: ${setting.label}… `);
      const result = await run(setting, path, world);
      process.stderr.write(
        `${result.reads} reads, ${result.statements.read ?? 0} read statements, ${result.stale} stale\n`,
      );
      results.set(setting.id, [...(results.get(setting.id) ?? []), result]);
    });
  } finally {
    await stopServer();
    rmSync(dir, { recursive: true, force: true });
  }

  const perRead = (r: Result) => (r.statements.read ?? 0) / Math.max(1, r.reads);
  const off = median((results.get('off') ?? []).map(perRead));
  const lines = [
    `## Polling scenario (issue 7, seed 003): last run ${new Date().toISOString().slice(0, 19)}Z`,
    '',
    `- ${DASHBOARDS} dashboards each poll megaStats and one analytics report (this month) every ${POLL_MS} ms, ` +
      `and a write lands every ${WRITE_MS} ms, alternately a booking today and a sale today: the scenario's ` +
      `2 s and 1 s divided by ${speedup}. ${durationS} s per run, ${rounds} interleaved rounds, medians.`,
    pinned
      ? `- NODE_ENV=production, Hotpath pinned to core ${SERVER_CPU} and the load generator to core ${LOADER_CPU} (taskset); SQLite file; shared Redis.`
      : '- NODE_ENV=production, not pinned (no taskset or a single core); SQLite file; shared Redis.',
    `- Load average before: ${load.map((l) => l.toFixed(2)).join(' / ')}`,
    "- Statements: SQL the server ran, by the request that caused it. `read`: for the dashboards' reads; " +
      "`write` (+`write-write`): the writes' own; `background`: outside any request (SWR refreshes); " +
      "`outbox`: the invalidation outbox (a write's row and its delete, the sweeps).",
    '',
    '| Setting | reads | HIT / STALE / MISS / BYPASS | read stmts | per read | cut vs off | write stmts | outbox stmts | background | store errors | stale reads | failed | p50 ms | p99 ms | max ms |',
    '| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const setting of SETTINGS) {
    const rs = results.get(setting.id) ?? [];
    const m = (f: (r: Result) => number) => median(rs.map(f));
    const readStatements = m((r) => r.statements.read ?? 0);
    const ratio = m(perRead);
    const cache = ['HIT', 'STALE', 'MISS', 'BYPASS']
      .map((c) => m((r) => r.byCache[c] ?? 0))
      .join(' / ');
    lines.push(
      `| ${setting.label} | ${m((r) => r.reads)} | ${cache} | ${readStatements} | ${ratio.toFixed(4)} | ` +
        `${setting.id === 'off' ? '–' : `${(100 * (1 - ratio / off)).toFixed(2)}%`} | ` +
        `${m((r) => (r.statements.write ?? 0) + (r.statements['write-write'] ?? 0))} | ${m((r) => r.statements.outbox ?? 0)} | ` +
        `${m((r) => (r.statements.background ?? 0) + (r.statements['background-write'] ?? 0))} | ` +
        `${m((r) => r.storeErrors)} | ${m((r) => r.stale)} | ${m((r) => r.failed)} | ${m((r) => r.p50).toFixed(1)} | ${m((r) => r.p99).toFixed(1)} | ${m((r) => r.max).toFixed(0)} |`,
    );
  }
  const table = lines.join('\n');
  console.log(table);
  const begin = '<!-- polling:begin (written by npm run bench:polling) -->';
  const end = '<!-- polling:end -->';
  writeSection(begin, end, `${begin}\n${table}\n${end}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

/**
 * `npm run bench:fair`: issue 17 measured. Two instances (src/main.ts) on one PostgreSQL and one
 * Redis. Tenant A floods distinct analytics reports (every one a miss) from 32 connections and
 * waits as long as each 429's Retry-After says; tenant B runs its ordinary mix (the agenda, the
 * services, one report: mostly hits) from 8 connections, split over both instances. Reported:
 * B's p50/p99 and errors alone and beside A, the cost A is admitted per second across both
 * instances against its restore rate, and the server CPU a 429 costs; then the same with
 * BUDGETS_ENABLED=false. The section between the fair markers of docs/benchmarks.md is
 * rewritten (docs/benchmarks.md, between the fair markers).
 *
 * BENCH_DURATION (s per phase, default 20; BENCH_QUICK=1: 4), BENCH_DATABASE_URL (default
 * postgres://postgres@127.0.0.1:5432/test), BENCH_REDIS_URL (default redis://127.0.0.1:6379).
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import { openDatabase } from '../src/db/data-source.js';
import { DEMO_TENANTS, seedDemo } from '../src/db/seed.js';
import { freePort } from '../test/support/redis.js';
import { startReadyProcess, stopProcess } from './lib/child.js';
import { processCpuSeconds } from './lib/cpu.js';
import { deleteKeys } from './lib/redis.js';
import { int, loads, markdownTable, percentile, writeDocSection } from './lib/report.js';
import { positive } from './lib/settings.js';

const quick = process.env.BENCH_QUICK === '1';
const durationS = quick ? 4 : positive('BENCH_DURATION', 20);
const databaseUrl = process.env.BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
const redisUrl = process.env.BENCH_REDIS_URL || 'redis://127.0.0.1:6379';
const A_CONNECTIONS = 32;
const B_CONNECTIONS = 8;
/**
 * A's plan: a bucket of 1,000 points, 100 back per second. The bucket holds A's dearest request
 * (a report asks for 503 points: analytics' weight and its rows' declared bound) with room to
 * spare, as a plan should: a request dearer than the whole bucket waits for a full one, and the
 * restore is lost for as long as the bucket sits full (README: Budgets).
 */
const A_PLAN = { maximumAvailable: 1_000, restoreRate: 100 };

const AGENDA = `query FairAgenda($u: ID!, $d: Date!) {
  agenda(userId: $u, date: $d) { id date appointments { id clientName startsAt status service { name } } }
}`;
const SERVICES = 'query FairServices($u: ID!) { services(userId: $u) { id name priceCents } }';
const REPORT = `query FairReport($input: AnalyticsQueryInput!) {
  analytics(input: $input) { id rows { keys values } totalRows }
}`;
const SET_PLAN = `mutation FairPlan($t: ID!, $p: TenantPlanInput!) {
  setTenantPlan(tenantId: $t, plan: $p) { tenantId }
}`;

interface Answer {
  status: number;
  retryAfter: number;
  cost: number;
  /** extensions.cost.throttleStatus.currentlyAvailable (null without budgets). */
  available: number | null;
  ms: number;
}

async function post(url: string, key: string, query: string, variables: object): Promise<Answer> {
  const started = performance.now();
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as {
    errors?: unknown[];
    extensions?: {
      cost?: {
        actualQueryCost: number | null;
        throttleStatus?: { currentlyAvailable: number };
      };
    };
  };
  const ms = performance.now() - started;
  const status = res.status === 200 && body.errors ? 299 : res.status;
  return {
    status,
    retryAfter: Number(res.headers.get('retry-after') ?? 0),
    cost: body.extensions?.cost?.actualQueryCost ?? 0,
    available: body.extensions?.cost?.throttleStatus?.currentlyAvailable ?? null,
    ms,
  };
}

/** `connections` loops sending `next()` until `until`; a 429 waits its Retry-After. */
async function loop(
  urls: string[],
  key: string,
  connections: number,
  until: number,
  next: (i: number) => [string, object],
) {
  const stats = {
    ok: 0,
    throttled: 0,
    errors: 0,
    cost: 0,
    latencies: [] as number[],
    /** The bucket as the last answer (by arrival) left it. */
    lastAvailable: null as number | null,
  };
  let sent = 0;
  await Promise.all(
    Array.from({ length: connections }, async (_, c) => {
      while (performance.now() < until) {
        const [query, variables] = next(sent++);
        const answer = await post(urls[c % urls.length]!, key, query, variables).catch(() => null);
        if (answer?.available != null) stats.lastAvailable = answer.available;
        if (!answer) stats.errors++;
        else if (answer.status === 429) {
          stats.throttled++;
          await sleep(Math.min(answer.retryAfter * 1000, Math.max(0, until - performance.now())));
        } else if (answer.status !== 200) stats.errors++;
        else {
          stats.ok++;
          stats.cost += answer.cost;
          stats.latencies.push(answer.ms);
        }
      }
    }),
  );
  stats.latencies.sort((x, y) => x - y);
  return stats;
}

interface Phase {
  budgets: boolean;
  flood: boolean;
  bP50: number;
  bP99: number;
  bOk: number;
  bErrors: number;
  bThrottled: number;
  aOk: number;
  aThrottled: number;
  aCostPerS: number;
  /**
   * What A was admitted beyond what its bucket held at the start and still held at the end
   * (A's actual costs, less the bucket's drawdown), per second: the restored points A used.
   */
  aSustainedPerS: number;
}

async function main() {
  const loadBefore = loadavg();
  const schema = `hp_fair_${randomBytes(4).toString('hex')}`;
  const prefix = `hp-fair-${randomBytes(4).toString('hex')}`;
  const db = await openDatabase({ url: databaseUrl, sqlitePath: '', schema });
  const redis = new Redis(redisUrl);
  const opsToken = `ops-${randomBytes(12).toString('hex')}`;
  const phases: Phase[] = [];
  const cpuPer429: Record<'hit' | 'miss', number | null> = { hit: null, miss: null };
  try {
    const seeded = await seedDemo(db);
    const [a, b] = DEMO_TENANTS;
    const bTenant = seeded.tenants.find((t) => t.id === b!.id)!;
    const bUser = bTenant.users[0]!;
    const today = new Date().toISOString().slice(0, 10);
    const year = Number(today.slice(0, 4)) - 1;
    const bMix: [string, object][] = [
      [AGENDA, { u: bUser.id, d: today }],
      [SERVICES, { u: bUser.id }],
      [AGENDA, { u: bUser.id, d: today }],
      [SERVICES, { u: bUser.id }],
      [
        REPORT,
        {
          input: {
            metrics: ['REVENUE'],
            dateRange: { start: `${year}-01-01`, end: `${year}-12-31` },
          },
        },
      ],
    ];
    // A: a distinct report each time (another day range): every one a miss.
    const aNext = (i: number): [string, object] => {
      const start = new Date(Date.UTC(year - 1, 0, 1) + (i % 700) * 86_400_000);
      const end = new Date(start.getTime() + (1 + (Math.floor(i / 700) % 300)) * 86_400_000);
      const day = (d: Date) => d.toISOString().slice(0, 10);
      return [
        REPORT,
        {
          input: {
            metrics: ['REVENUE', 'ORDER_COUNT'],
            dateRange: { start: day(start), end: day(end) },
          },
        },
      ];
    };

    for (const budgets of [true, false]) {
      await deleteKeys(redis, `${prefix}*`);
      const env = {
        ...process.env,
        NODE_ENV: 'production',
        OPS_TOKEN: opsToken,
        HOST: '127.0.0.1',
        DATABASE_URL: databaseUrl,
        DATABASE_SCHEMA: schema,
        REDIS_URL: redisUrl,
        CACHE_PREFIX: prefix,
        CACHE_WARM_INTERVAL: '0',
        SEED_DEMO: 'false',
        LOG_LEVEL: 'warn',
        SHUTDOWN_DELAY_MS: '0',
        BUDGETS_ENABLED: String(budgets),
        // B's default plan is generous: only A's is tight (set below, as operators would).
        BUDGET_MAX_POINTS: '1000000',
        BUDGET_RESTORE_RATE: '100000',
      } as Record<string, string>;
      const instances: { url: string; pid: number; stop: () => Promise<void> }[] = [];
      try {
        for (let i = 0; i < 2; i++) {
          const port = await freePort();
          const url = `http://127.0.0.1:${port}`;
          const child = await startReadyProcess(
            [process.execPath, '--import', 'tsx', 'src/main.ts'],
            { ...env, PORT: String(port) },
            url,
          );
          instances.push({ url, pid: child.pid!, stop: () => stopProcess(child) });
        }
        const urls = instances.map((i) => i.url);
        await post(urls[0]!, opsToken, SET_PLAN, { t: a!.id, p: A_PLAN });
        await sleep(1_100); // in force on both instances
        for (const [query, variables] of bMix) await post(urls[0]!, b!.apiKey, query, variables);
        for (const flood of [false, true]) {
          const until = performance.now() + durationS * 1000;
          const bLoop = loop(urls, b!.apiKey, B_CONNECTIONS, until, (i) => bMix[i % bMix.length]!);
          const aLoop = flood ? loop(urls, a!.apiKey, A_CONNECTIONS, until, aNext) : null;
          const [bs, as] = await Promise.all([bLoop, aLoop]);
          const phase: Phase = {
            budgets,
            flood,
            bP50: percentile(bs.latencies, 0.5),
            bP99: percentile(bs.latencies, 0.99),
            bOk: bs.ok,
            bErrors: bs.errors,
            bThrottled: bs.throttled,
            aOk: as?.ok ?? 0,
            aThrottled: as?.throttled ?? 0,
            // extensions.cost's actual costs of A's answers (none with budgets off), its first
            // bucket included.
            aCostPerS: as ? as.cost / durationS : 0,
            aSustainedPerS:
              as && budgets
                ? (as.cost -
                    (A_PLAN.maximumAvailable - (as.lastAvailable ?? A_PLAN.maximumAvailable))) /
                  durationS
                : 0,
          };
          phases.push(phase);
          console.log(JSON.stringify(phase));
        }
        if (budgets) {
          // A 429's CPU: A with an empty bucket, hammered without waiting, on one instance.
          await post(urls[0]!, opsToken, SET_PLAN, {
            t: a!.id,
            p: { maximumAvailable: 1, restoreRate: 1 },
          });
          await sleep(1_100);
          // Repeats of one report (after the first, hits) and distinct reports (misses), both
          // refused at the front once A's bucket is empty.
          for (const kind of ['hit', 'miss'] as const) {
            let n = 1_000_000;
            const before = processCpuSeconds(instances[0]!.pid);
            const result = await autocannon({
              url: `${urls[0]}/graphql`,
              method: 'POST',
              headers: {
                'content-type': 'application/json',
                authorization: `Bearer ${a!.apiKey}`,
              },
              requests: [
                {
                  setupRequest: (request) => ({
                    ...request,
                    body: JSON.stringify({
                      query: REPORT,
                      variables: aNext(kind === 'hit' ? 1 : n++)[1],
                    }),
                  }),
                },
              ],
              connections: 16,
              duration: Math.min(durationS, 4),
            });
            const cpu = processCpuSeconds(instances[0]!.pid) - before;
            cpuPer429[kind] = result.non2xx > 0 ? (cpu * 1e6) / result.non2xx : null;
            console.log(
              `${kind} 429s: ${result.non2xx} of ${result.requests.total}, CPU ${cpu.toFixed(2)} s: ${cpuPer429[kind]?.toFixed(1)} µs each`,
            );
          }
        }
      } finally {
        for (const instance of instances) await instance.stop();
      }
    }
    report(phases, cpuPer429, loadBefore, loadavg());
  } finally {
    await deleteKeys(redis, `${prefix}*`);
    redis.disconnect();
    await db.query(`DROP SCHEMA "${schema}" CASCADE`);
    await db.destroy();
  }
}

function report(
  phases: Phase[],
  cpuPer429: Record<'hit' | 'miss', number | null>,
  before: number[],
  after: number[],
) {
  const ms = (n: number) => n.toFixed(1);
  const us = (n: number | null) => (n === null ? 'n/a' : `${n.toFixed(1)} µs`);
  const rows = phases.map((p) => [
    p.budgets ? 'on' : 'off',
    p.flood ? 'A floods' : 'B alone',
    ms(p.bP50),
    ms(p.bP99),
    int(p.bOk),
    p.bErrors + p.bThrottled,
    p.flood ? int(p.aOk) : '',
    p.flood ? int(p.aThrottled) : '',
    p.flood && p.budgets ? int(p.aCostPerS) : p.flood ? 'n/a' : '',
    p.flood && p.budgets ? int(p.aSustainedPerS) : p.flood ? 'n/a' : '',
  ]);
  const on = phases.filter((p) => p.budgets);
  const aFlood = on.find((p) => p.flood);
  const ratio = (set: Phase[]) => {
    const alone = set.find((p) => !p.flood);
    const flood = set.find((p) => p.flood);
    return alone && flood ? (flood.bP99 / alone.bP99).toFixed(2) : 'n/a';
  };
  const block = [
    `Run: ${new Date().toISOString()}, \`npm run bench:fair\`${quick ? ' (BENCH_QUICK=1)' : ''}, ${durationS} s per phase. Two src/main.ts instances (NODE_ENV=production) on PostgreSQL and Redis, unpinned; B from ${B_CONNECTIONS} connections, A from ${A_CONNECTIONS} honouring Retry-After; A's plan ${A_PLAN.maximumAvailable} points, ${A_PLAN.restoreRate}/s, for its one API key (buckets are per key). Load average before: ${loads(before)}, after: ${loads(after)}.`,
    '',
    markdownTable(
      [
        'budgets',
        'phase',
        'B p50 ms',
        'B p99 ms',
        'B answers',
        'B errors',
        'A answers',
        'A 429s',
        'A cost/s admitted',
        'A restored points/s used',
      ],
      rows,
    ),
    '',
    `B's p99 beside A / alone: ${ratio(on)} with budgets, ${ratio(phases.filter((p) => !p.budgets))} without. A's admitted cost per second across both instances (the actual costs of its answers): ${aFlood ? int(aFlood.aCostPerS) : 'n/a'}, its first bucket of ${int(A_PLAN.maximumAvailable)} included (up to ${int(A_PLAN.maximumAvailable / durationS)}/s of it over this run); less the bucket's drawdown (its size less what the last answer left), the restored points A used: ${aFlood ? int(aFlood.aSustainedPerS) : 'n/a'} per second against its restore rate of ${A_PLAN.restoreRate} (${aFlood ? ((aFlood.aSustainedPerS / A_PLAN.restoreRate) * 100).toFixed(0) : 'n/a'}%; target within 10%). Server CPU per 429 (all CPU of one instance over its 429s, so an upper bound): ${us(cpuPer429.hit)} refusing a hit (the hit path), ${us(cpuPer429.miss)} refusing a distinct miss (at the front: A's bucket is empty).`,
  ].join('\n');
  writeDocSection('fair', block);
  console.log(block);
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});

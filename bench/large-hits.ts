/**
 * `npm run bench:large-hits`: issues 19 and 17 on a large body. What a hit of a ~112 KB
 * response (BENCH_BODY_BYTES) costs the server, with and without `Accept-Encoding: gzip`, with
 * budgets off and on (extensions.cost spliced into every hit), against the node:http ceiling
 * writing the same bytes. Targets: ≤ 2× the ceiling's server CPU for that body, gzip or not.
 *
 * Servers, each a process of its own (pinned to CPU 1 with taskset; this process and
 * autocannon on CPU 0):
 * - two ceilings (bench/server.ts): node:http writing the JSON, and writing its gzip;
 * - Hotpath (src/main.ts, production) on Redis with its in-process copies (the default
 *   CACHE_NEAR_MAX_BYTES), budgets off; and the same with BUDGETS_ENABLED (a bucket large
 *   enough that no hit is refused).
 * The body is the first demo tenant's analytics report (every metric and dimension) over the
 * number of days whose JSON is nearest BENCH_BODY_BYTES. Every response of the load is checked:
 * a 200, `X-Cache: HIT` (Hotpath), Content-Encoding gzip exactly when asked, and a body of the
 * * expected length (budgets on: within a few bytes). Medians of BENCH_RUNS interleaved rounds.
 *
 * BENCH_DURATION (s, default 5), BENCH_WARMUP (s, default 1), BENCH_RUNS (default 3),
 * BENCH_BODY_BYTES (default 112000), BENCH_REDIS_URL (default redis://127.0.0.1:6379).
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { Redis } from 'ioredis';
import { DateTime } from 'luxon';
import { openDatabase } from '../src/db/data-source.js';
import { DEMO_TENANTS, seedDemo } from '../src/db/seed.js';
import { localDate } from '../src/time.js';
import { inheritedEnv, startBenchServer, startMainProcess } from './lib/child.js';
import { cpuWindow } from './lib/cpu.js';
import { post } from './lib/http.js';
import { interleaved, runLoad } from './lib/load.js';
import { pinSelf, SERVER_CPU } from './lib/pin.js';
import { deleteKeys } from './lib/redis.js';
import { int, loads, markdownTable, median, writeDocSection } from './lib/report.js';
import { benchRedisUrl, positive } from './lib/settings.js';

const durationS = positive('BENCH_DURATION', 5);
const warmupS = positive('BENCH_WARMUP', 1);
const runs = positive('BENCH_RUNS', 3, true);
const targetBytes = positive('BENCH_BODY_BYTES', 112_000, true);
const redisUrl = benchRedisUrl();

for (const name of Object.keys(process.env)) {
  if (
    /^(CACHE_|REDIS_|DATABASE_|LIMIT_|APQ_|BUDGET|COST_|SQLITE_PATH$|SEED_DEMO$|PORT$|HOST$)/.test(
      name,
    )
  )
    delete process.env[name];
}

const fail = (message: string): never => {
  throw new Error(message);
};

const REPORT = `query LargeHit($input: AnalyticsQueryInput!) {
  analytics(input: $input) { id metrics dimensions rows { keys values } totalRows }
}`;

interface Target {
  label: string;
  url: string;
  pid: number;
  stop: () => Promise<void>;
  /** Hotpath: hotpath_cache_inflations_total from its /metrics. */
  inflations?: () => Promise<number>;
}

/** A counter's value in a Prometheus text exposition (0 when absent). */
async function counter(url: string, token: string, name: string): Promise<number> {
  const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  const line = (await response.text()).split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.split(' ')[1]) : 0;
}

interface Case {
  id: string;
  label: string;
  target: Target;
  gzip: boolean;
  /** Hotpath: X-Cache must be HIT. */
  hotpath: boolean;
  budgets: boolean;
  /** The body's length (budgets on: within a few bytes, the bucket's figures vary). */
  length: number;
}

interface Sample {
  /** Bodies the server inflated per request (Hotpath). */
  inflations: number;
  reqPerSec: number;
  p99: number;
  cpuPerRequest: number;
}

/** Checks each response's head (and length) as autocannon parses it. */
function checking(c: Case, tally: { bad: number; first: string | null }) {
  return (client: unknown) => {
    const emitter = client as {
      on(
        event: 'headers',
        listener: (info: { statusCode: number; headers: string[] }) => void,
      ): void;
      on(event: 'body', listener: (chunk: Buffer) => void): void;
      on(event: 'response', listener: () => void): void;
    };
    let problem: string | null = null;
    let length = 0;
    emitter.on('headers', (info) => {
      length = 0;
      const header = (name: string) => {
        for (let i = 0; i < info.headers.length; i += 2)
          if (info.headers[i].toLowerCase() === name) return info.headers[i + 1];
        return undefined;
      };
      if (info.statusCode !== 200) problem = `status ${info.statusCode}`;
      else if (c.hotpath && header('x-cache') !== 'HIT') problem = `X-Cache ${header('x-cache')}`;
      else if (c.hotpath && (header('content-encoding') === 'gzip') !== c.gzip)
        problem = `Content-Encoding ${header('content-encoding') ?? '(none)'}`;
      else problem = null;
    });
    emitter.on('body', (chunk) => {
      length += chunk.length;
    });
    emitter.on('response', () => {
      // Budgets on: the bucket's figures in the cost vary by a few digits.
      const off = Math.abs(length - c.length);
      if (!problem && (c.budgets ? off > 16 : off !== 0))
        problem = `a body of ${length} bytes, expected ${c.length}`;
      if (problem) {
        tally.bad++;
        tally.first ??= problem;
      }
      problem = null;
    });
  };
}

async function load(c: Case, body: string, headers: Record<string, string>, seconds: number) {
  const tally = { bad: 0, first: null as string | null };
  const server = cpuWindow(c.target.pid);
  const inflatedBefore = (await c.target.inflations?.()) ?? 0;
  const result = await runLoad({
    url: c.target.url,
    headers,
    body,
    duration: seconds,
    setupClient: checking(c, tally),
    problems: () => [tally.bad && `${tally.bad} responses not as expected (first: ${tally.first})`],
    errorPrefix: `(${c.id}) `,
  });
  const cpuPerRequest = server.perRequest(result.requests);
  const inflated = ((await c.target.inflations?.()) ?? 0) - inflatedBefore;
  return { ...result, cpuPerRequest, inflations: inflated / result.requests };
}

async function main() {
  const pinned = pinSelf();
  const loadBefore = loadavg();
  const work = mkdtempSync(join(tmpdir(), 'hotpath-large-hits-'));
  const sqlitePath = join(work, 'bench.sqlite');
  const base = `hp-bench-large-${randomBytes(4).toString('hex')}`;
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  const targets: Target[] = [];
  try {
    await redis.connect();
    const db = await openDatabase({ sqlitePath });
    const seed = await seedDemo(db);
    await db.destroy();
    const demo = DEMO_TENANTS[0];
    const tenant = seed.tenants.find((t) => t.id === demo.id) ?? fail('the first demo tenant');
    const end = localDate(new Date(), tenant.timezone);
    const plain = { 'content-type': 'application/json', authorization: `Bearer ${demo.apiKey}` };
    const gzipping = { ...plain, 'accept-encoding': 'gzip' };
    const requestOf = (days: number) =>
      JSON.stringify({
        query: REPORT,
        variables: {
          input: {
            metrics: ['REVENUE', 'AVERAGE_TICKET', 'ORDER_COUNT'],
            dimensions: ['MONTH', 'DAY', 'STORE', 'CHANNEL'],
            dateRange: {
              start: DateTime.fromISO(end)
                .minus({ days: days - 1 })
                .toISODate(),
              end,
            },
          },
        },
      });

    const opsToken = `ops_${randomBytes(24).toString('base64url')}`;
    const env = (prefix: string, extra: Record<string, string>) => ({
      ...inheritedEnv(),
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      OPS_TOKEN: opsToken,
      HOST: '127.0.0.1',
      PORT: '0',
      SQLITE_PATH: sqlitePath,
      SEED_DEMO: 'false',
      GRAPHIQL: 'false',
      REDIS_URL: redisUrl,
      CACHE_PREFIX: prefix,
      CACHE_WARM_INTERVAL: '0',
      CACHE_TTL_ANALYTICS: '86400',
      CACHE_TIMEOUT_MS: '1000',
      SHUTDOWN_DELAY_MS: '0',
      ...extra,
    });
    const main = async (label: string, prefix: string, extra: Record<string, string>) => {
      const server = await startMainProcess(env(prefix, extra), pinned ? SERVER_CPU : undefined);
      const metrics = `http://127.0.0.1:${server.port}/metrics`;
      const target = {
        label,
        url: `http://127.0.0.1:${server.port}/graphql`,
        pid: server.pid,
        stop: () => server.stop(),
        inflations: () => counter(metrics, opsToken, 'hotpath_cache_inflations_total'),
      };
      targets.push(target);
      return target;
    };
    const off = await main('Hotpath, budgets off', `${base}-off`, {});
    const on = await main('Hotpath, budgets on', `${base}-on`, {
      BUDGETS_ENABLED: 'true',
      BUDGET_MAX_POINTS: '1000000000',
      BUDGET_RESTORE_RATE: '1000000',
    });

    // The number of days whose report is nearest the target size (a MISS each, budgets off).
    let days = 1;
    let json: Buffer = Buffer.alloc(0);
    for (let lo = 1, hi = 366; lo <= hi; ) {
      const mid = Math.floor((lo + hi) / 2);
      const miss = await post(off.url, plain, requestOf(mid));
      if (miss.status !== 200) fail(`the report of ${mid} days: ${miss.status}`);
      if (Math.abs(miss.body.length - targetBytes) < Math.abs(json.length - targetBytes)) {
        days = mid;
        json = miss.body;
      }
      if (miss.body.length < targetBytes) lo = mid + 1;
      else hi = mid - 1;
    }
    const body = requestOf(days);
    // The entries the load hits: a MISS then a plain and a gzip HIT on each server.
    let gzipLength = 0;
    let costLength = 0;
    for (const target of [off, on]) {
      await post(target.url, plain, body);
      const hit = await post(target.url, plain, body);
      const zipped = await post(target.url, gzipping, body);
      if (hit.headers['x-cache'] !== 'HIT' || zipped.headers['content-encoding'] !== 'gzip')
        fail(`${target.label}: no plain and gzip HIT (${hit.headers['x-cache']})`);
      const inflated = gunzipSync(zipped.body);
      const parsed = JSON.parse(inflated.toString('utf8')) as { extensions?: { cost?: unknown } };
      if (target === off) {
        if (!hit.body.equals(json) || !inflated.equals(json))
          fail('budgets off: the hits are not the JSON');
        gzipLength = zipped.body.length;
      } else {
        if (!parsed.extensions?.cost) fail('budgets on: the gzip hit carries no extensions.cost');
        costLength = hit.body.length;
        // The stored gzip, `}` replaced by the cost (whose figures may differ by a digit or two).
        if (Math.abs(zipped.body.length - gzipLength - (costLength - json.length)) > 16)
          fail('budgets on: the gzip hit is not the stored gzip with the cost tail');
      }
    }
    const gzip = gzipSync(json);
    writeFileSync(join(work, 'body.json'), json);
    writeFileSync(join(work, 'body.gz'), gzip);
    const ceiling = async (label: string, file: string) => {
      const server = await startBenchServer(
        {
          ...inheritedEnv(),
          NODE_ENV: 'production',
          BENCH_TARGET: 'ceiling',
          BENCH_BODY_FILE: join(work, file),
          BENCH_CONTENT_TYPE: 'application/json',
        },
        { cpu: pinned ? SERVER_CPU : undefined },
      );
      const target = {
        label,
        url: `http://127.0.0.1:${server.port}/graphql`,
        pid: server.pid,
        stop: server.stop,
      };
      targets.push(target);
      return target;
    };
    const ceilingJson = await ceiling('ceiling, the JSON', 'body.json');
    const ceilingGzip = await ceiling('ceiling, its gzip', 'body.gz');
    console.log(
      `Body: the report of ${days} days, ${int(json.length)} bytes of JSON, ` +
        `${int(gzipLength)} as Hotpath sends it gzipped`,
    );

    const cases: Case[] = [
      {
        id: 'cj',
        label: 'ceiling: node:http writing the JSON',
        target: ceilingJson,
        gzip: false,
        hotpath: false,
        budgets: false,
        length: json.length,
      },
      {
        id: 'cg',
        label: 'ceiling: node:http writing a gzip of it',
        target: ceilingGzip,
        gzip: true,
        hotpath: false,
        budgets: false,
        length: gzip.length,
      },
      {
        id: 'p0',
        label: 'hit without gzip, budgets off',
        target: off,
        gzip: false,
        hotpath: true,
        budgets: false,
        length: json.length,
      },
      {
        id: 'g0',
        label: 'hit with gzip, budgets off',
        target: off,
        gzip: true,
        hotpath: true,
        budgets: false,
        length: gzipLength,
      },
      {
        id: 'p1',
        label: 'hit without gzip, budgets on',
        target: on,
        gzip: false,
        hotpath: true,
        budgets: true,
        length: costLength,
      },
      {
        id: 'g1',
        label: 'hit with gzip, budgets on',
        target: on,
        gzip: true,
        hotpath: true,
        budgets: true,
        length: gzipLength + costLength - json.length,
      },
    ];
    const samples = new Map<string, Sample[]>(cases.map((c) => [c.id, []]));
    await interleaved(runs, cases, async (c, round) => {
      const headers = c.gzip ? gzipping : plain;
      process.stdout.write(`[${round}/${runs}] ${c.label}: warming up… `);
      await load(c, body, headers, warmupS);
      process.stdout.write(`measuring ${durationS} s… `);
      const sample = await load(c, body, headers, durationS);
      samples.get(c.id)?.push(sample);
      console.log(
        `${Math.round(sample.reqPerSec)} req/s, p99 ${sample.p99.toFixed(2)} ms, ` +
          `${Math.round(sample.cpuPerRequest)} µs CPU/req` +
          (c.hotpath ? `, ${sample.inflations.toFixed(4)} inflations/req` : ''),
      );
    });
    const cpu = (id: string) => median((samples.get(id) ?? []).map((s) => s.cpuPerRequest));
    const rows = cases.map((c) => {
      const own = samples.get(c.id) ?? [];
      return [
        c.label,
        int(median(own.map((s) => s.reqPerSec))),
        median(own.map((s) => s.p99)).toFixed(2),
        int(cpu(c.id)),
        c.hotpath ? `${(cpu(c.id) / cpu('cj')).toFixed(2)}×` : '',
        c.hotpath && c.gzip ? `${(cpu(c.id) / cpu('cg')).toFixed(2)}×` : '',
        c.hotpath ? median(own.map((s) => s.inflations)).toFixed(4) : '',
      ];
    });
    const markdown = [
      `A hit of the analytics report over ${days} days: ${int(json.length)} bytes of JSON, ` +
        `${int(gzipLength)} gzipped. Hotpath on Redis with its in-process copies; budgets on ` +
        'splice extensions.cost into every hit. Server CPU per request, medians of ' +
        `${runs} interleaved runs of ${durationS} s (50 connections)` +
        `${pinned ? ', server on CPU 1, autocannon on CPU 0' : ', NOT pinned (no taskset)'}. ` +
        `Load average before/after: ${loads(loadBefore)} / ${loads(loadavg())}. ` +
        'Target (issue 19): ≤ 2× the JSON ceiling, gzip or not.',
      '',
      markdownTable(
        [
          'case',
          'req/s',
          'p99 ms',
          'server µs/req',
          '× JSON ceiling',
          '× gzip ceiling',
          'inflations/req',
        ],
        rows,
      ),
    ].join('\n');
    writeDocSection('large-hits', markdown);
    console.log(`\n${markdown}`);
  } finally {
    await Promise.all(targets.map((t) => t.stop()));
    if (redis.status === 'ready') await deleteKeys(redis, `${base}-*`);
    redis.disconnect();
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});

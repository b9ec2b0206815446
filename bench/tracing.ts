/**
 * `npm run bench:tracing`: issue 18's "with tracing off, a hit pays at most 1 µs more". The
 * hit targets of `npm run bench` (memory and Redis) run with tracing off (no OTEL_* variable,
 * as in production by default) and on (OTEL_EXPORTER_OTLP_ENDPOINT pointing at an OTLP sink in
 * this process that decodes and counts the spans), in BENCH_RUNS interleaved rounds (default 3),
 * each case from a fresh bench/server.ts, pinned as `npm run bench` pins it. Every measured
 * request must be a hit. The table gives the medians of req/s, latency and the server's CPU µs
 * per hit; "on − off" is what tracing costs a hit when it is on.
 *
 * What "off" costs against the code before issue 18 is the same hit measured from two
 * checkouts: `BENCH_LAYOUT_BEFORE=<commit before issue 18> npm run bench:layout` (its section
 * says after/before per hit). BENCH_DURATION (default 8), BENCH_WARMUP (default 2) and
 * BENCH_REDIS_URL tune it, as for `npm run bench`.
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { type BenchServer, inheritedEnv, startBenchServer } from './lib/child.js';
import { microsPerRequest, othersShare } from './lib/cpu.js';
import { interleaved } from './lib/load.js';
import { pinSelf, SERVER_CPU } from './lib/pin.js';
import { deleteKeys } from './lib/redis.js';
import { int, loads, markdownTable, medianOf, writeDocSection } from './lib/report.js';
import { benchRedisUrl, positive } from './lib/settings.js';
import {
  agendaLoad,
  fail,
  hitShare,
  METRICS_TOKEN,
  measureWindow,
  post,
  type Reference,
  seedAgendaWorkload,
  waitUntilAnswers,
  warm,
} from './run-checks.js';
import { TARGETS, type TargetSpec } from './targets.js';

const durationS = positive('BENCH_DURATION', 8);
const warmupS = positive('BENCH_WARMUP', 2);
const runs = positive('BENCH_RUNS', 3, true);
const redisUrl = benchRedisUrl();

interface Sample {
  reqPerSec: number;
  p50: number;
  p99: number;
  cpuPerHit: number;
  hitShare: number;
  othersCpu: number | null;
  spansPerRequest: number;
}

/** off: no OTEL_*; on: every request traced; sampled: 1% of traces (a production setting). */
type Tracing = 'off' | 'on' | 'sampled';

interface Case {
  tracing: Tracing;
  target: TargetSpec;
  samples: Sample[];
}

/** An OTLP/HTTP sink: decodes each JSON body and counts its spans. */
async function startSink() {
  let spans = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
      for (const rs of body.resourceSpans ?? [])
        for (const ss of rs.scopeSpans ?? []) spans += ss.spans?.length ?? 0;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans: () => spans,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const label = (c: Case) => `tracing ${c.tracing}, ${c.target.label}`;
const fixed = (n: number | null, digits = 0) => (n === null ? '–' : n.toFixed(digits));
const pct = (n: number | null) => (n === null ? '–' : `${Math.round(n * 100)}%`);

async function main() {
  const pinned = pinSelf();
  const work = mkdtempSync(join(tmpdir(), 'hotpath-bench-tracing-'));
  const prefix = `hotpath-tracing-${randomBytes(4).toString('hex')}`;
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  const sink = await startSink();
  const loadBefore = loadavg();
  let running: BenchServer | null = null;
  try {
    await redis.connect();
    const { workload } = await seedAgendaWorkload(join(work, 'bench.sqlite'));
    const base = {
      ...inheritedEnv(),
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      OPS_TOKEN: `ops_${randomBytes(24).toString('base64url')}`,
      METRICS_TOKEN,
      SQLITE_PATH: join(work, 'bench.sqlite'),
      CACHE_WARM_INTERVAL: '0',
      // As bench:layout: on a busy machine the default 50 ms opens the breaker, and the hits
      // compared would turn into misses.
      CACHE_TIMEOUT_MS: '1000',
    };
    const traced = {
      OTEL_EXPORTER_OTLP_ENDPOINT: sink.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_SERVICE_NAME: 'hotpath-bench',
    };
    const sampled = {
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.01',
    };
    const cases: Case[] = ['memory', 'redis'].flatMap((id) => {
      const target = TARGETS.find((t) => t.id === id) ?? fail(`no ${id} target`);
      const variants: Tracing[] = ['off', 'on', 'sampled'];
      return variants.map((tracing) => ({ tracing, target, samples: [] as Sample[] }));
    });
    let reference: Reference | null = null;
    const started = Date.now();
    await interleaved(runs, cases, async (c, round) => {
      process.stdout.write(`[${round}/${runs}] ${label(c)}: `);
      const casePrefix = `${prefix}.${c.tracing}`;
      if (c.target.redis) await deleteKeys(redis, `${casePrefix}:*`);
      running = await startBenchServer(
        {
          ...base,
          ...(c.tracing === 'off' ? {} : traced),
          ...(c.tracing === 'sampled' ? sampled : {}),
          BENCH_TARGET: 'hotpath',
          CACHE_PREFIX: casePrefix,
          ...(c.target.redis ? { REDIS_URL: redisUrl } : {}),
        },
        pinned ? { cpu: SERVER_CPU } : {},
      );
      const server = running;
      await waitUntilAnswers(workload, server.port);
      if (!reference) {
        const { text } = await post(workload, server.port);
        reference = { json: JSON.parse(text), body: text, contentType: 'application/json' };
      }
      const expectBody = await warm(c.target, workload, server.port, reference);
      const load = agendaLoad(workload, server.port, expectBody, `bench: ${label(c)}: `);
      await load(warmupS);
      const spansBefore = sink.spans();
      const window = await measureWindow(server, redis, true, () => load(durationS));
      const { measured, cpuBefore, cpuAfter, outcomes } = window;
      running = null;
      await server.stop(); // flushes the spans still batched (the SDK's shutdown)
      if (window.resolverCalls > 0.01 * measured.requests)
        fail(`${label(c)}: the query ran ${window.resolverCalls} times in the window`);
      const sample: Sample = {
        reqPerSec: measured.reqPerSec,
        p50: measured.p50,
        p99: measured.p99,
        cpuPerHit: microsPerRequest(cpuAfter.server - cpuBefore.server, measured.requests) ?? 0,
        hitShare: outcomes ? hitShare(outcomes.before, outcomes.after) : 0,
        othersCpu: othersShare(cpuBefore, cpuAfter),
        spansPerRequest: (sink.spans() - spansBefore) / measured.requests,
      };
      c.samples.push(sample);
      console.log(
        `${int(sample.reqPerSec)} req/s, ${fixed(sample.cpuPerHit, 1)} µs CPU/hit, ` +
          `${pct(sample.hitShare)} hits, ${sample.spansPerRequest.toFixed(2)} spans/request`,
      );
    });
    const minutes = ((Date.now() - started) / 60_000).toFixed(1);
    const m = (c: Case, pick: (s: Sample) => number | null) => medianOf(c.samples, pick);
    const rows = cases.map((c) => [
      c.tracing,
      c.target.redis ? 'Redis' : 'memory',
      int(m(c, (s) => s.reqPerSec) ?? 0),
      fixed(
        m(c, (s) => s.p50),
        2,
      ),
      fixed(
        m(c, (s) => s.p99),
        2,
      ),
      fixed(
        m(c, (s) => s.cpuPerHit),
        1,
      ),
      fixed(
        m(c, (s) => s.spansPerRequest),
        2,
      ),
      pct(Math.min(...c.samples.map((s) => s.hitShare))),
      pct(m(c, (s) => s.othersCpu)),
    ]);
    const table = markdownTable(
      [
        'tracing',
        'store',
        'req/s',
        'p50 ms',
        'p99 ms',
        'server CPU µs/hit',
        'spans/request',
        'hits (lowest round)',
        'others’ CPU',
      ],
      rows,
    );
    const costs = ['memory', 'Redis'].map((store) => {
      const pick = (t: Tracing) =>
        cases.find((c) => c.tracing === t && (c.target.redis ? 'Redis' : 'memory') === store) ??
        fail(`no ${store} case`);
      const cpu = (t: Tracing) => m(pick(t), (s) => s.cpuPerHit) ?? 0;
      return (
        `- ${store}: tracing on costs ${(cpu('on') - cpu('off')).toFixed(1)} µs of CPU per hit ` +
        `(on − off), 1% sampled ${(cpu('sampled') - cpu('off')).toFixed(1)} µs.`
      );
    });
    const date = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const markdown = [
      `## Tracing (issue 18): a hit with tracing off, on, and 1% sampled (${date})`,
      '',
      `${runs} interleaved rounds of ${warmupS} s warm-up + ${durationS} s measured per case, ` +
        `${pinned ? 'server on CPU 1, load on CPU 0' : 'not pinned'}, ${cpus().length} cores, ` +
        `load average ${loads(loadBefore)} before and ${loads(loadavg())} after; the run took ` +
        `${minutes} min. Medians over the rounds. "on": spans exported over OTLP/HTTP (JSON) ` +
        'to a sink in the bench process.',
      '',
      table,
      '',
      ...costs,
      '',
      '`npm run bench:tracing` writes this section (bench/tracing.ts). What "off" costs against',
      'the code before issue 18 is measured from two checkouts by `BENCH_LAYOUT_BEFORE=<commit>',
      'npm run bench:layout`.',
    ].join('\n');
    console.log(`\n${table}\n\n${costs.join('\n')}`);
    writeDocSection('tracing', markdown);
  } finally {
    await (running as BenchServer | null)?.stop();
    if (redis.status === 'ready') await deleteKeys(redis, `${prefix}*`);
    redis.disconnect();
    await sink.close();
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(`\n${error instanceof Error ? error.message : error}`);
  process.exitCode = 1;
});

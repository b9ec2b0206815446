/**
 * `npm run bench`: DESIGN §10 and issue 8 side by side in one run. Every target serves the same
 * agenda query from its own child process (bench/server.ts): the node:http ceiling, Hotpath
 * (cache off, memory hit, Redis hit) and the peers of bench/peers.ts (Yoga, Apollo Server,
 * mercurius, each with its response cache, in memory and on Redis). autocannon loads one target
 * at a time from this process over loopback. With taskset, the target runs on CPU 1 and this
 * process on CPU 0.
 *
 * BENCH_RUNS rounds (default 3), interleaved: each round runs every target once, in the same
 * order, from a fresh process and an empty cache. The table gives the median per target of
 * req/s, p50, p99 and the server's CPU per request (from /proc), and issue 8's targets computed
 * from them. It goes to stdout and, when every target ran, to docs/benchmarks.md.
 *
 * BENCH_TARGETS (a comma-separated subset of the ids in bench/targets.ts; the ceiling always
 * runs), BENCH_DURATION (seconds measured, default 8), BENCH_WARMUP (seconds, default 2) and
 * BENCH_REDIS_URL (default redis://127.0.0.1:6379) tune it.
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { DEMO_TENANTS } from '../src/db/seed.js';
import { WARM_DOCUMENTS } from '../src/warming/warming.js';
import { type BenchServer, inheritedEnv, startBenchServer } from './lib/child.js';
import { microsPerRequest, othersShare } from './lib/cpu.js';
import { interleaved } from './lib/load.js';
import { pinSelf, SERVER_CPU } from './lib/pin.js';
import { deleteKeys, scanKeys } from './lib/redis.js';
import { docPath, int as fmtInt, loads } from './lib/report.js';
import { benchRedisUrl, positive } from './lib/settings.js';
import {
  agendaLoad,
  checkAgenda,
  checkPerTenant,
  fail,
  hitShare,
  keyPattern,
  METRICS_TOKEN,
  measureWindow,
  post,
  type Reference,
  seedAgendaWorkload,
  type Workload,
  waitUntilAnswers,
  warm,
} from './run-checks.js';
import {
  figures,
  generated,
  gitCommit,
  type Result,
  type RunInfo,
  reading,
  type Sample,
  tableRows,
  textTable,
  writeDoc,
} from './run-report.js';
import { evaluateTargets, selectTargets, TARGETS, type TargetSpec } from './targets.js';

/** A cached row may execute the query for at most this share of its measured requests. */
const MISS_ALLOWANCE = 0.01;

const durationS = positive('BENCH_DURATION', 8);
const warmupS = positive('BENCH_WARMUP', 2);
const runs = positive('BENCH_RUNS', 3, true);
const selected = selectTargets(process.env.BENCH_TARGETS);
const everyTarget = selected.length === TARGETS.length;
const redisUrl = benchRedisUrl();

/** The target running now, stopped by main's finally if a check throws. */
let running: BenchServer | null = null;

async function start(env: Record<string, string>, pinned: boolean): Promise<BenchServer> {
  running = await startBenchServer(env, pinned ? { cpu: SERVER_CPU } : {});
  return running;
}

async function stopRunning(): Promise<void> {
  const server = running;
  running = null;
  await server?.stop();
}

// ---------------------------------------------------------------------------------------------
// One round of one target
interface Context {
  workload: Workload;
  reference: Reference;
  redis: Redis;
  prefix: string;
  pinned: boolean;
  /** Another demo tenant's API key (checkPerTenant). */
  otherTenantKey: string;
  env: (target: TargetSpec) => Record<string, string>;
}

async function measureOnce(target: TargetSpec, ctx: Context): Promise<Sample> {
  const { workload, reference, redis } = ctx;
  // Every round starts from an empty cache: the keys of the previous round go first.
  if (target.redis) await deleteKeys(redis, keyPattern(ctx.prefix, target.id));
  const server = await start(ctx.env(target), ctx.pinned);
  const { port } = server;
  await waitUntilAnswers(workload, port);
  const expectBody = await warm(target, workload, port, reference);
  if (target.cached) await checkPerTenant(target, workload, port, ctx.otherTenantKey);
  if (target.redis && (await scanKeys(redis, keyPattern(ctx.prefix, target.id))).length === 0)
    fail(`${target.label} stored nothing in Redis while warming`);
  const load = agendaLoad(workload, port, expectBody);
  process.stdout.write('warming up… ');
  await load(warmupS);
  process.stdout.write(`measuring ${durationS} s… `);
  const window = await measureWindow(server, redis, target.kind === 'hotpath', () =>
    load(durationS),
  );
  await stopRunning();

  const { measured, cpuBefore, cpuAfter, resolverCalls, statements, outcomes } = window;
  // A peer that does not serve hits is a broken bench, not a slow row. (Hotpath's own rows
  // report their hit share instead: a breaker opening under load is the product's behaviour.)
  if (
    target.kind === 'peer' &&
    (resolverCalls > MISS_ALLOWANCE * measured.requests ||
      statements > MISS_ALLOWANCE * measured.requests)
  )
    fail(
      `${target.label} did not serve hits: Query.agenda's resolver ran ${resolverCalls} times and ` +
        `${statements} SQL statements were sent for ${measured.requests} requests`,
    );
  const share = outcomes ? hitShare(outcomes.before, outcomes.after) : null;
  return {
    ...measured,
    cpuPerRequest: microsPerRequest(cpuAfter.server - cpuBefore.server, measured.requests) ?? 0,
    redisCpuPerRequest: target.redis
      ? microsPerRequest(cpuAfter.redis - cpuBefore.redis, measured.requests)
      : null,
    resolverCalls,
    statements,
    hitShare: target.cached ? share : null,
    storeErrors: outcomes ? outcomes.after.errors - outcomes.before.errors : 0,
    storeErrorsTotal: outcomes?.after.errors ?? 0,
    othersCpu: othersShare(cpuBefore, cpuAfter),
    bytes: Buffer.byteLength(expectBody),
  };
}

/** Hotpath's answer, from a cache-off process: what every target must serve. */
async function referenceOf(ctx: Omit<Context, 'reference'>): Promise<Reference> {
  const off = TARGETS.find((t) => t.id === 'off') ?? fail('no cache-off target');
  const { port } = await start(ctx.env(off), false);
  try {
    await waitUntilAnswers(ctx.workload, port);
    const { response, text } = await post(ctx.workload, port);
    if (response.status !== 200) fail(`HTTP ${response.status} from Hotpath: ${text}`);
    checkAgenda(text, ctx.workload);
    return {
      json: JSON.parse(text),
      body: text,
      contentType: response.headers.get('content-type') ?? 'application/json',
    };
  } finally {
    await stopRunning();
  }
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const pinned = pinSelf();
  const work = mkdtempSync(join(tmpdir(), 'hotpath-bench-'));
  const sqlitePath = join(work, 'bench.sqlite');
  const bodyFile = join(work, 'agenda.json');
  const prefix = `hotpath-bench-${randomBytes(4).toString('hex')}`;
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  const loadBefore = loadavg();
  if (loadBefore[0] > 1)
    console.warn(
      `Load average ${loads(loadBefore)} on ${cpus().length} cores: the machine has been busy, ` +
        'expect noisy numbers (see the others column).',
    );
  if (!pinned) console.warn('Not pinned: taskset is missing or the machine has one core.');
  console.log(
    `${selected.length} targets × ${runs} rounds of ${warmupS} + ${durationS} s` +
      (everyTarget ? '' : ` (BENCH_TARGETS: ${selected.map((t) => t.id).join(', ')})`),
  );

  try {
    await redis.connect();
    const { workload, variables, tenant } = await seedAgendaWorkload(sqlitePath);

    const base = {
      ...inheritedEnv(),
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      OPS_TOKEN: `ops_${randomBytes(24).toString('base64url')}`,
      METRICS_TOKEN,
      SQLITE_PATH: sqlitePath,
      // CACHE_PREFIX allows no colon.
      CACHE_PREFIX: `${prefix}.hotpath`,
      CACHE_WARM_INTERVAL: '0',
    };
    let contentType = 'application/json';
    const env = (target: TargetSpec): Record<string, string> => {
      switch (target.kind) {
        case 'ceiling':
          return {
            ...base,
            BENCH_TARGET: 'ceiling',
            BENCH_BODY_FILE: bodyFile,
            BENCH_CONTENT_TYPE: contentType,
          };
        case 'hotpath':
          return {
            ...base,
            BENCH_TARGET: 'hotpath',
            ...(target.id === 'off' ? { CACHE_ENABLED: 'false' } : {}),
            ...(target.id === 'redis' ? { REDIS_URL: redisUrl } : {}),
          };
        case 'peer':
          return {
            ...base,
            BENCH_TARGET: target.id,
            BENCH_REDIS_URL: redisUrl,
            BENCH_PEER_PREFIX: prefix,
          };
      }
    };
    const otherTenantKey = DEMO_TENANTS[1]?.apiKey ?? fail('a second demo tenant');
    const partial = { workload, redis, prefix, pinned, otherTenantKey, env };
    process.stdout.write('Hotpath (cache off) for the reference response… ');
    const reference = await referenceOf(partial);
    // The ceiling writes the bytes Hotpath answers with.
    writeFileSync(bodyFile, reference.body);
    contentType = reference.contentType;
    console.log(`${Buffer.byteLength(reference.body)} bytes`);
    const ctx: Context = { ...partial, reference };

    const results: Result[] = selected.map((target) => ({ target, samples: [] }));
    await interleaved(runs, results, async (result, round) => {
      process.stdout.write(`[${round}/${runs}] ${result.target.label}: starting… `);
      const sample = await measureOnce(result.target, ctx);
      result.samples.push(sample);
      const share = sample.hitShare === null ? '' : `, ${Math.floor(100 * sample.hitShare)}% hits`;
      console.log(
        `${fmtInt(sample.reqPerSec)} req/s, ${fmtInt(sample.cpuPerRequest)} µs CPU/req${share}`,
      );
    });

    const info: RunInfo = {
      date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      commit: gitCommit(),
      query: WARM_DOCUMENTS.agenda,
      variables,
      tenant: tenant.name,
      pinned,
      loadBefore,
      loadAfter: loadavg(),
      runs,
      warmupS,
      durationS,
      redisUrl,
    };
    const verdicts = evaluateTargets(results.map(figures)).map((v) => v.line);
    const read = reading(results);
    console.log(`\n${textTable(tableRows(results))}\n`);
    console.log('Targets (issue 8):');
    for (const line of verdicts) console.log(`  ${line}`);
    console.log('');
    for (const line of read.lines) console.log(line);
    if (everyTarget) {
      writeDoc(generated(results, info, verdicts, read.lines));
      console.log(`\nWritten to ${docPath}`);
    } else {
      console.log(`\nBENCH_TARGETS ran a subset: ${docPath} is left as it was.`);
    }
    if (!read.hitBeatsMiss) {
      console.error('\nTARGET MISSED: a cache hit is not faster than a miss.');
      process.exitCode = 1;
    }
  } finally {
    await stopRunning();
    if (redis.status === 'ready') {
      const removed = await deleteKeys(redis, `${prefix}*`);
      console.log(`Removed ${removed} Redis keys under ${prefix}*`);
    }
    redis.disconnect();
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch(async (error) => {
  console.error(`\n${error instanceof Error ? error.message : error}`);
  process.exitCode = 1;
});

/**
 * `npm run bench:layout`: issue 15's "hits within 5% of before, measured in the same run". The
 * hit targets of `npm run bench` (Hotpath, memory hit and Redis hit) run from two checkouts in
 * one run: this one ("after") and BENCH_LAYOUT_BEFORE ("before", default b15385d, the last
 * commit before the layout work), checked out with `git worktree add` in a temporary directory
 * that shares this checkout's node_modules. Each server is its checkout's own bench/server.ts,
 * started and pinned as `npm run bench` starts it (the server on CPU 1, this process and
 * autocannon on CPU 0), over one seeded SQLite file, each with its own Redis prefix.
 *
 * BENCH_RUNS rounds (default 3), interleaved: each round runs before/memory, after/memory,
 * before/Redis, after/Redis, each from a fresh process and an empty cache, so that a slow
 * moment of the machine touches both checkouts alike. Every measured request must be a hit
 * (Query.agenda's resolver may run for at most 1% of them, and /metrics gives the hit share).
 * The table gives the medians of req/s and of the server's CPU µs per hit (and Redis's), and
 * the ratios after/before, each the median of the rounds' own ratios; it goes to stdout and
 * docs/benchmarks.md (the layout section).
 *
 * BENCH_DURATION (measured seconds, default 8), BENCH_WARMUP (default 2) and BENCH_REDIS_URL
 * tune it, as for `npm run bench`. BENCH_LAYOUT_STORES (default `memory,redis`) picks the stores;
 * `redis-nocopy` adds Redis hits without copies in process (CACHE_NEAR_MAX_BYTES=0), where every
 * hit is a lookup in Redis. `cluster` and `cluster-nocopy` are the same two on a private Redis
 * Cluster (3 masters, 3 replicas, started by the run on the load generator's core and stopped at
 * the end; test/support/redis-topologies.ts), emptied before each case: Redis's CPU is then the
 * sum over its six processes. BENCH_LAYOUT_BEFORE=eb1b0d1 BENCH_LAYOUT_STORES=cluster,cluster-nocopy
 * measured what turning auto-pipelining off on a cluster cost a hit (README: The Redis store).
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { startRedisCluster } from '../test/support/redis-topologies.js';
import {
  type Case,
  type Checkout,
  label,
  layoutTable,
  noCopies,
  onCluster,
  pct,
  type Sample,
  STORES,
  type StoreId,
  verdictLines,
} from './layout-report.js';
import {
  type BenchServer,
  checkOut,
  inheritedEnv,
  startBenchServer,
  type Checkout as Worktree,
} from './lib/child.js';
import { microsPerRequest, othersShare, redisCpuSeconds } from './lib/cpu.js';
import { interleaved } from './lib/load.js';
import { LOADER_CPU, pinProcess, pinSelf, SERVER_CPU } from './lib/pin.js';
import { deleteKeys } from './lib/redis.js';
import { int, loads, writeDocSection } from './lib/report.js';
import { benchRedisUrl, positive } from './lib/settings.js';
import {
  agendaLoad,
  checkAgenda,
  fail,
  hitShare,
  type InfoSource,
  METRICS_TOKEN,
  measureWindow,
  post,
  type Reference,
  seedAgendaWorkload,
  type Workload,
  waitUntilAnswers,
  warm,
} from './run-checks.js';
import { gitCommit } from './run-report.js';
import { TARGETS } from './targets.js';

const before = process.env.BENCH_LAYOUT_BEFORE || 'b15385d';
const durationS = positive('BENCH_DURATION', 8);
const warmupS = positive('BENCH_WARMUP', 2);
const runs = positive('BENCH_RUNS', 3, true);
/** The stores compared: issue 15's two by default; see above for the others. */
const stores = (process.env.BENCH_LAYOUT_STORES || 'memory,redis').split(',').map((store) => {
  const id = store.trim();
  if (!Object.hasOwn(STORES, id))
    throw new Error(`BENCH_LAYOUT_STORES: ${id} is not one of ${Object.keys(STORES).join(', ')}`);
  return id as StoreId;
});
const redisUrl = benchRedisUrl();
/** A hit row may execute the query for at most this share of its measured requests. */
const MISS_ALLOWANCE = 0.01;

/** The server running now, stopped by main's finally if a check throws. */
let running: BenchServer | null = null;

async function stopRunning() {
  const server = running;
  running = null;
  await server?.stop();
}

/** BENCH_LAYOUT_BEFORE checked out (detached) under `work`, with this node_modules. */
function checkOutBefore(work: string): Checkout & { worktree: Worktree } {
  const worktree = checkOut(before, join(work, 'before'));
  return { name: 'before', dir: worktree.dir, commit: worktree.commit, worktree };
}

interface Run {
  workload: Workload;
  redis: Redis;
  prefix: string;
  pinned: boolean;
  base: Record<string, string>;
  reference: Reference | null;
  /** The private cluster, when a store wants one. */
  cluster: PrivateCluster | null;
}

/** The bench's own Redis Cluster: its seed nodes, its CPU (INFO cpu summed) and a FLUSHALL. */
interface PrivateCluster extends InfoSource {
  nodes: string;
  flush(): Promise<void>;
  stop(): Promise<void>;
}

async function startPrivateCluster(pinned: boolean): Promise<PrivateCluster> {
  const handle = await startRedisCluster();
  const clients = handle.processes.map((p) => {
    if (pinned && p.child.pid) pinProcess(p.child.pid, LOADER_CPU);
    return new Redis(p.port, '127.0.0.1', { maxRetriesPerRequest: 1 });
  });
  return {
    nodes: handle.nodes.map((node) => `${node.host}:${node.port}`).join(','),
    async info() {
      let seconds = 0;
      for (const client of clients) seconds += redisCpuSeconds(await client.info('cpu'));
      return `used_cpu_user:${seconds}\r\nused_cpu_sys:0\r\n`;
    },
    async flush() {
      const masters = new Set(await handle.masterPorts());
      // A replica refuses writes: the masters' FLUSHALL reaches it.
      await Promise.all(
        handle.processes
          .filter((p) => masters.has(p.port))
          .map((p) => clients[handle.processes.indexOf(p)].flushall()),
      );
    },
    async stop() {
      for (const client of clients) client.disconnect();
      await handle.stop();
    },
  };
}

/** Each checkout's entries under a prefix of its own (CACHE_PREFIX allows no colon). */
const prefixOf = (run: Run, c: Case) => `${run.prefix}.${c.checkout.name}`;

async function measureOnce(c: Case, run: Run): Promise<Sample> {
  const { workload, redis } = run;
  // Every round starts from an empty cache.
  const cluster = onCluster(c.store) ? run.cluster : null;
  if (cluster) await cluster.flush();
  else if (c.target.redis) await deleteKeys(redis, `${prefixOf(run, c)}:*`);
  const env = {
    ...run.base,
    BENCH_TARGET: 'hotpath',
    CACHE_PREFIX: prefixOf(run, c),
    ...(cluster
      ? { REDIS_CLUSTER_NODES: cluster.nodes }
      : c.target.redis
        ? { REDIS_URL: redisUrl }
        : {}),
    ...(noCopies(c.store) ? { CACHE_NEAR_MAX_BYTES: '0' } : {}),
  };
  running = await startBenchServer(env, {
    ...(run.pinned ? { cpu: SERVER_CPU } : {}),
    ...(c.checkout.dir ? { checkout: c.checkout.dir } : {}),
  });
  const server = running;
  await waitUntilAnswers(workload, server.port);
  if (!run.reference) run.reference = await referenceFrom(workload, server.port);
  // The same JSON from both checkouts, and X-Cache: HIT once warm.
  const expectBody = await warm(c.target, workload, server.port, run.reference);
  const load = agendaLoad(workload, server.port, expectBody, `bench: ${label(c)}: `);
  process.stdout.write('warming up… ');
  await load(warmupS);
  process.stdout.write(`measuring ${durationS} s… `);
  const window = await measureWindow(server, cluster ?? redis, true, () => load(durationS));
  await stopRunning();
  const { measured, cpuBefore, cpuAfter, resolverCalls, outcomes } = window;
  if (resolverCalls > MISS_ALLOWANCE * measured.requests || !outcomes)
    fail(`${label(c)}: the query ran ${resolverCalls} times for ${measured.requests} requests`);
  return {
    reqPerSec: measured.reqPerSec,
    p50: measured.p50,
    p99: measured.p99,
    cpuPerHit: microsPerRequest(cpuAfter.server - cpuBefore.server, measured.requests) ?? 0,
    redisCpuPerHit: c.target.redis
      ? microsPerRequest(cpuAfter.redis - cpuBefore.redis, measured.requests)
      : null,
    hitShare: hitShare(outcomes.before, outcomes.after),
    othersCpu: othersShare(cpuBefore, cpuAfter),
  };
}

/** The first answer of the run, checked to be the agenda: what every case must serve. */
async function referenceFrom(workload: Workload, port: number): Promise<Reference> {
  const { response, text } = await post(workload, port);
  if (response.status !== 200) fail(`HTTP ${response.status} from Hotpath: ${text}`);
  checkAgenda(text, workload);
  return {
    json: JSON.parse(text),
    body: text,
    contentType: response.headers.get('content-type') ?? 'application/json',
  };
}

async function main() {
  const pinned = pinSelf();
  const work = mkdtempSync(join(tmpdir(), 'hotpath-bench-layout-'));
  const sqlitePath = join(work, 'bench.sqlite');
  const prefix = `hotpath-layout-${randomBytes(4).toString('hex')}`;
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  const loadBefore = loadavg();
  if (loadBefore[0] > 1)
    console.warn(
      `Load average ${loads(loadBefore)} on ${cpus().length} cores: expect noisy numbers.`,
    );
  if (!pinned) console.warn('Not pinned: taskset is missing or the machine has one core.');
  let beforeCheckout: ReturnType<typeof checkOutBefore> | null = null;
  let cluster: PrivateCluster | null = null;
  try {
    if (stores.some(onCluster)) cluster = await startPrivateCluster(pinned);
    beforeCheckout = checkOutBefore(work);
    const after: Checkout = { name: 'after', dir: undefined, commit: gitCommit() };
    console.log(
      `before: ${beforeCheckout.commit}, after: ${after.commit}; ${2 * stores.length} cases × ${runs} rounds of ` +
        `${warmupS} + ${durationS} s`,
    );
    await redis.connect();
    const run: Run = {
      workload: (await seedAgendaWorkload(sqlitePath)).workload,
      redis,
      prefix,
      pinned,
      reference: null,
      cluster,
      base: {
        ...inheritedEnv(),
        NODE_ENV: 'production',
        LOG_LEVEL: 'warn',
        OPS_TOKEN: `ops_${randomBytes(24).toString('base64url')}`,
        METRICS_TOKEN,
        SQLITE_PATH: sqlitePath,
        CACHE_WARM_INTERVAL: '0',
        // What is compared is a hit's cost, not failing open: on a busy machine the default
        // 50 ms store timeout opens the breaker and turns hits into misses (both checkouts
        // take the same setting).
        CACHE_TIMEOUT_MS: '1000',
      },
    };
    const cases: Case[] = stores.flatMap((store) => {
      const id = store === 'memory' ? 'memory' : 'redis';
      const target = TARGETS.find((t) => t.id === id) ?? fail(`no ${id} target`);
      return [beforeCheckout as Checkout, after].map((checkout) => ({
        checkout,
        target,
        store,
        samples: [],
      }));
    });
    const started = Date.now();
    await interleaved(runs, cases, async (c, round) => {
      process.stdout.write(`[${round}/${runs}] ${label(c)}: starting… `);
      const sample = await measureOnce(c, run);
      c.samples.push(sample);
      console.log(
        `${int(sample.reqPerSec)} req/s, ${int(sample.cpuPerHit)} µs CPU/hit, ` +
          `${pct(sample.hitShare)} hits`,
      );
    });
    const minutes = ((Date.now() - started) / 60_000).toFixed(1);

    const table = layoutTable(cases);
    const verdicts = verdictLines(cases);
    const date = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const markdown = [
      `## The layout (issue 15): hits before and after, in one run (${date})`,
      '',
      `before: \`${beforeCheckout.commit}\` (BENCH_LAYOUT_BEFORE), after: \`${after.commit}\`. ` +
        `${runs} interleaved rounds of ${warmupS} s warm-up + ${durationS} s measured per case, ` +
        `${pinned ? 'server on CPU 1, load on CPU 0' : 'not pinned'}, ${cpus().length} cores, ` +
        `load average ${loads(loadBefore)} before and ${loads(loadavg())} after; the run took ` +
        `${minutes} min. Medians over the rounds.`,
      '',
      table,
      '',
      ...verdicts,
      '',
      '`npm run bench:layout` writes this section (bench/layout.ts). The ratios are what the',
      'issue asks for; the absolute figures move with the machine. "others’ CPU" is the share of',
      'the machine that neither the server, Redis nor the load generator used: above a few',
      'percent, the figures are noisy.',
    ].join('\n');
    console.log(`\n${table}\n\n${verdicts.join('\n')}`);
    writeDocSection('layout', markdown);
  } finally {
    await stopRunning();
    if (redis.status === 'ready') {
      const removed = await deleteKeys(redis, `${prefix}*`);
      console.log(`Removed ${removed} Redis keys under ${prefix}*`);
    }
    redis.disconnect();
    await cluster?.stop();
    beforeCheckout?.worktree.remove();
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(`\n${error instanceof Error ? error.message : error}`);
  process.exitCode = 1;
});

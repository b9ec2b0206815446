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
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir, type } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import { openDatabase } from '../src/db/data-source.js';
import { DEMO_TENANTS, seedDemo } from '../src/db/seed.js';
import { localDate } from '../src/time.js';
import { WARM_DOCUMENTS } from '../src/warming/warming.js';
import { hasTaskset } from '../test/support/process.js';
import {
  CONNECTIONS,
  LOADER_CPU,
  median,
  microsPerRequest,
  percentile,
  positive,
  processTicks,
  redisCpuSeconds,
  SERVER_CPU,
} from './measure.js';
import type { Counts } from './server.js';
import {
  evaluateTargets,
  type Figures,
  FULL_HITS,
  selectTargets,
  TARGETS,
  type TargetId,
  type TargetSpec,
} from './targets.js';

const WARM_REQUESTS = 20;
/** A cached row may execute the query for at most this share of its measured requests. */
const MISS_ALLOWANCE = 0.01;

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const serverEntry = join(root, 'bench', 'server.ts');
const docPath = join(root, 'docs', 'benchmarks.md');

const durationS = positive('BENCH_DURATION', 8);
const warmupS = positive('BENCH_WARMUP', 2);
const runs = positive('BENCH_RUNS', 3, true);
const selected = selectTargets(process.env.BENCH_TARGETS);
const everyTarget = selected.length === TARGETS.length;
const redisUrl = process.env.BENCH_REDIS_URL || 'redis://127.0.0.1:6379';

/** Settings the children read from the environment; the bench sets each one itself. */
const CHILD_SETTINGS =
  /^(NODE_ENV|HOST|PORT|LOG_LEVEL|DEBUG|OPS_TOKEN|GRAPHIQL|DEFAULT_TIMEZONE|SEED_DEMO|SQLITE_PATH|DATABASE_.*|REDIS_.*|CACHE_.*|BENCH_.*)$/;

function inheritedEnv(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(process.env).filter(
      (entry): entry is [string, string] =>
        entry[1] !== undefined && !CHILD_SETTINGS.test(entry[0]),
    ),
  );
}

function fail(message: string): never {
  throw new Error(`bench: ${message}`);
}

// ---------------------------------------------------------------------------------------------
// CPU pinning

/**
 * Pins this process (autocannon; every thread, hence -a) to LOADER_CPU, so that the targets,
 * started through `taskset -c SERVER_CPU`, get the other core to themselves. False when taskset
 * is missing or the machine has a single core: the doc then says the run was not pinned.
 */
function pinSelf(): boolean {
  if (cpus().length < 2 || !hasTaskset()) return false;
  try {
    execFileSync('taskset', ['-a', '-p', '-c', String(LOADER_CPU), String(process.pid)], {
      stdio: 'ignore',
    });
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Children

let running: ChildProcess | null = null;

function startChild(env: Record<string, string>, pinned: boolean): Promise<number> {
  const node = [process.execPath, '--import', 'tsx', serverEntry];
  // taskset execs node, so the child's pid is the server's: /proc/<pid>/stat is its CPU.
  const command = pinned ? ['taskset', '-c', String(SERVER_CPU), ...node] : node;
  const child = spawn(command[0], command.slice(1), {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  running = child;
  // The target logs warnings and errors only; show them, set apart from the progress lines.
  for (const stream of [child.stdout, child.stderr]) {
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      const lines = chunk.trimEnd().split('\n');
      process.stderr.write(`\n${lines.map((line) => `  │ ${line}`).join('\n')}\n`);
    });
  }
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error('the target did not listen within 60 s')),
      60_000,
    );
    const onMessage = (message: { port?: number }) => {
      if (typeof message?.port !== 'number') return;
      clearTimeout(timer);
      child.off('message', onMessage);
      resolve(message.port);
    };
    child.on('message', onMessage);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the target exited (${signal ?? code}) before listening`));
    });
  });
}

async function stopChild(): Promise<void> {
  const child = running;
  running = null;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

/** The child's own counts of agenda resolver calls and SQL statements (bench/server.ts). */
function childCounts(child: ChildProcess): Promise<Counts> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.off('message', onMessage);
      reject(new Error('the target did not answer { type: "counts" } within 5 s'));
    }, 5_000);
    const onMessage = (message: { type?: string } & Counts) => {
      if (message?.type !== 'counts') return;
      clearTimeout(timer);
      child.off('message', onMessage);
      resolve({ agendaResolves: message.agendaResolves, statements: message.statements });
    };
    child.on('message', onMessage);
    child.send({ type: 'counts' });
  });
}

// ---------------------------------------------------------------------------------------------
// Requests

interface Workload {
  url: (port: number) => string;
  headers: Record<string, string>;
  body: string;
  userId: string;
  date: string;
}

async function post(workload: Workload, port: number) {
  const response = await fetch(workload.url(port), {
    method: 'POST',
    headers: workload.headers,
    body: workload.body,
  });
  return { response, text: await response.text() };
}

async function waitUntilAnswers(workload: Workload, port: number): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      await post(workload, port);
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** The body must be today's agenda of the chosen user, with appointments in it. */
function checkAgenda(text: string, workload: Workload): void {
  let parsed: {
    data?: { agenda?: { date?: string; user?: { id?: string }; appointments?: unknown[] } };
    errors?: unknown;
  };
  try {
    parsed = JSON.parse(text);
  } catch {
    fail(`the response is not JSON: ${text.slice(0, 200)}`);
  }
  const agenda = parsed.data?.agenda;
  if (parsed.errors || !agenda) fail(`the response is not an agenda: ${text.slice(0, 500)}`);
  if (agenda.user?.id !== workload.userId || agenda.date !== workload.date)
    fail(`the agenda is not ${workload.userId} on ${workload.date}: ${text.slice(0, 300)}`);
  if (!Array.isArray(agenda.appointments) || agenda.appointments.length === 0)
    fail('the agenda has no appointments: the seed should give the first user some today');
}

interface Reference {
  /** Hotpath's response, parsed: every target's body must equal it as JSON. */
  json: unknown;
  body: string;
  contentType: string;
}

function sameJson(text: string, reference: Reference): boolean {
  try {
    return isDeepStrictEqual(JSON.parse(text), reference.json);
  } catch {
    return false;
  }
}

/**
 * Sequential requests so that the cache is hot. Each answer must be a 200 whose body equals
 * Hotpath's as JSON (servers differ in bytes: Apollo ends its body with a newline). Returns the
 * target's own bytes, which every measured response must then repeat exactly.
 */
async function warm(target: TargetSpec, workload: Workload, port: number, reference: Reference) {
  let body = '';
  for (let i = 0; i < WARM_REQUESTS; i++) {
    const { response, text } = await post(workload, port);
    if (response.status !== 200) fail(`${target.label}: HTTP ${response.status}: ${text}`);
    if (!sameJson(text, reference))
      fail(`${target.label}: the body differs from Hotpath's:\n${text.slice(0, 500)}`);
    const xCache = response.headers.get('x-cache');
    const expected = target.kind !== 'hotpath' ? null : target.cached ? 'HIT' : 'BYPASS';
    if (i === WARM_REQUESTS - 1 && expected && xCache !== expected)
      fail(`${target.label}: X-Cache is ${xCache} after warming, expected ${expected}`);
    body = text;
  }
  return body;
}

/**
 * The cache must be keyed per tenant: once the agenda is cached for its tenant, the very same
 * request with another tenant's API key must not get it (it is someone else's user: NOT_FOUND).
 */
async function checkPerTenant(
  target: TargetSpec,
  workload: Workload,
  port: number,
  otherTenantKey: string,
) {
  const response = await fetch(workload.url(port), {
    method: 'POST',
    headers: { ...workload.headers, authorization: `Bearer ${otherTenantKey}` },
    body: workload.body,
  });
  const text = await response.text();
  let code: unknown;
  try {
    code = JSON.parse(text).errors?.[0]?.extensions?.code;
  } catch {}
  if (code !== 'NOT_FOUND')
    fail(
      `${target.label}: another tenant's request for the cached agenda got ` +
        `HTTP ${response.status} ${text.slice(0, 300)}, not NOT_FOUND: the cache is not per tenant`,
    );
}

interface LoadResult {
  requests: number;
  reqPerSec: number;
  p50: number;
  p99: number;
}

/**
 * autocannon with every response checked: 2xx, no errors or timeouts, and exactly the expected
 * body. Latencies are kept at full resolution (autocannon's histogram rounds to whole ms).
 */
function load(workload: Workload, port: number, expectBody: string, duration: number) {
  return new Promise<LoadResult>((resolve, reject) => {
    const latencies: number[] = [];
    const instance = autocannon(
      {
        url: workload.url(port),
        method: 'POST',
        headers: workload.headers,
        body: workload.body,
        connections: CONNECTIONS,
        duration,
        expectBody,
      },
      (error, result) => {
        if (error) return reject(error);
        const problems = [
          result.non2xx && `${result.non2xx} non-2xx responses`,
          result.errors && `${result.errors} errors (${result.timeouts} timeouts)`,
          result.mismatches && `${result.mismatches} bodies differ from the expected agenda`,
          latencies.length === 0 && 'no responses',
        ].filter(Boolean);
        if (problems.length > 0) return reject(new Error(`bench: ${problems.join(', ')}`));
        const sorted = Float64Array.from(latencies).sort();
        resolve({
          requests: latencies.length,
          reqPerSec: latencies.length / result.duration,
          p50: percentile(sorted, 0.5),
          p99: percentile(sorted, 0.99),
        });
      },
    );
    instance.on('response', (_client, _status, _bytes, responseTime) => {
      latencies.push(responseTime);
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Redis

async function deleteKeys(redis: Redis, pattern: string): Promise<number> {
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
    cursor = next;
    if (keys.length > 0) deleted += await redis.unlink(...keys);
  } while (cursor !== '0');
  return deleted;
}

async function countKeys(redis: Redis, pattern: string): Promise<number> {
  let cursor = '0';
  let count = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
    cursor = next;
    count += keys.length;
  } while (cursor !== '0');
  return count;
}

/** Where each Redis-backed target keeps its keys, under the run's prefix. */
function keyPattern(prefix: string, id: TargetId): string {
  switch (id) {
    case 'redis':
      return `${prefix}.hotpath:*`;
    case 'stock':
      return `${prefix}:stock:*`;
    case 'apollo-redis':
      return `${prefix}:apollo:*`;
    case 'mercurius-redis':
      return `${prefix}:mercurius:*`;
    case 'mercurius-jit-redis':
      return `${prefix}:mercurius-jit:*`;
    default:
      return fail(`${id} keeps nothing in Redis`);
  }
}

// ---------------------------------------------------------------------------------------------
// CPU, from /proc (Linux) and Redis's INFO

const clockTicks = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

/** A process's CPU time (user + system) in seconds. */
const processCpu = (pid: number | 'self') =>
  processTicks(readFileSync(`/proc/${pid}/stat`, 'utf8')) / clockTicks;

const redisCpu = async (redis: Redis) => redisCpuSeconds(await redis.info('cpu'));

interface CpuSample {
  server: number;
  redis: number;
  self: number;
  machineBusy: number;
  machineTotal: number;
}

async function cpuSample(pid: number, redis: Redis): Promise<CpuSample> {
  const [, ...ticks] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
  const [user, nice, system, idle, iowait, irq, softirq, steal] = ticks.map(Number);
  const busy = user + nice + system + irq + softirq + steal;
  return {
    server: processCpu(pid),
    redis: await redisCpu(redis),
    self: processCpu('self'),
    machineBusy: busy / clockTicks,
    machineTotal: (busy + idle + iowait) / clockTicks,
  };
}

/** Share of the machine's CPU time that neither the bench, the target nor Redis used. */
function othersShare(before: CpuSample, after: CpuSample): number | null {
  const total = after.machineTotal - before.machineTotal;
  if (total <= 0) return null;
  const ours =
    after.server - before.server + (after.redis - before.redis) + (after.self - before.self);
  return Math.max(0, (after.machineBusy - before.machineBusy - ours) / total);
}

// ---------------------------------------------------------------------------------------------
// Hotpath's own count of cache outcomes (/metrics)

type Outcomes = Record<'hit' | 'miss' | 'bypass' | 'errors', number>;

/** /metrics is private (issue 14): the bench's processes take this token for it. */
const METRICS_TOKEN = 'bench-metrics-token-0123456789';

async function cacheOutcomes(port: number): Promise<Outcomes> {
  const text = await (
    await fetch(`http://127.0.0.1:${port}/metrics`, {
      headers: { authorization: `Bearer ${METRICS_TOKEN}` },
    })
  ).text();
  const count = (series: string) =>
    Number(new RegExp(`^${series.replace(/[{}]/g, '\\$&')} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
  const requests = (outcome: string) => count(`hotpath_cache_requests_total{outcome="${outcome}"}`);
  return {
    hit: requests('hit'),
    miss: requests('miss'),
    bypass: requests('bypass'),
    errors: count('hotpath_cache_errors_total'),
  };
}

function hitShare(before: Outcomes, after: Outcomes): number {
  const hits = after.hit - before.hit;
  const all = hits + after.miss - before.miss + after.bypass - before.bypass;
  return all === 0 ? 0 : hits / all;
}

// ---------------------------------------------------------------------------------------------
// One round of one target

interface Sample extends LoadResult {
  /** Server CPU (user + system) per request answered, µs. */
  cpuPerRequest: number;
  /** Redis's CPU per request answered, µs; null for targets without Redis. */
  redisCpuPerRequest: number | null;
  /** Calls of Query.agenda's resolver and SQL statements during the measured run. */
  resolverCalls: number;
  statements: number;
  /** Share of the measured requests Hotpath answered from its cache; null: not Hotpath. */
  hitShare: number | null;
  /** Store calls that failed or timed out during the measured run, and since start (Hotpath). */
  storeErrors: number;
  storeErrorsTotal: number;
  othersCpu: number | null;
  /** Bytes of the target's response body. */
  bytes: number;
}

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
  const port = await startChild(ctx.env(target), ctx.pinned);
  const child = running ?? fail('no child');
  await waitUntilAnswers(workload, port);
  const expectBody = await warm(target, workload, port, reference);
  if (target.cached) await checkPerTenant(target, workload, port, ctx.otherTenantKey);
  if (target.redis && (await countKeys(redis, keyPattern(ctx.prefix, target.id))) === 0)
    fail(`${target.label} stored nothing in Redis while warming`);
  process.stdout.write('warming up… ');
  await load(workload, port, expectBody, warmupS);
  process.stdout.write(`measuring ${durationS} s… `);
  const hotpath = target.kind === 'hotpath';
  const outcomesBefore = hotpath ? await cacheOutcomes(port) : null;
  const countsBefore = await childCounts(child);
  const cpuBefore = await cpuSample(child.pid ?? fail('no pid'), redis);
  const measured = await load(workload, port, expectBody, durationS);
  const cpuAfter = await cpuSample(child.pid ?? fail('no pid'), redis);
  const countsAfter = await childCounts(child);
  const outcomesAfter = hotpath ? await cacheOutcomes(port) : null;
  await stopChild();

  const resolverCalls = countsAfter.agendaResolves - countsBefore.agendaResolves;
  const statements = countsAfter.statements - countsBefore.statements;
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
  const share = outcomesBefore && outcomesAfter ? hitShare(outcomesBefore, outcomesAfter) : null;
  return {
    ...measured,
    cpuPerRequest: microsPerRequest(cpuAfter.server - cpuBefore.server, measured.requests) ?? 0,
    redisCpuPerRequest: target.redis
      ? microsPerRequest(cpuAfter.redis - cpuBefore.redis, measured.requests)
      : null,
    resolverCalls,
    statements,
    hitShare: target.cached ? share : null,
    storeErrors: outcomesAfter && outcomesBefore ? outcomesAfter.errors - outcomesBefore.errors : 0,
    storeErrorsTotal: outcomesAfter?.errors ?? 0,
    othersCpu: othersShare(cpuBefore, cpuAfter),
    bytes: Buffer.byteLength(expectBody),
  };
}

/** Hotpath's answer, from a cache-off process: what every target must serve. */
async function referenceOf(ctx: Omit<Context, 'reference'>): Promise<Reference> {
  const off = TARGETS.find((t) => t.id === 'off') ?? fail('no cache-off target');
  const port = await startChild(ctx.env(off), false);
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
    await stopChild();
  }
}

// ---------------------------------------------------------------------------------------------
// Medians and the report

interface Result {
  target: TargetSpec;
  samples: Sample[];
}

const med = (samples: Sample[], pick: (s: Sample) => number | null): number | null => {
  const values = samples.map(pick).filter((v): v is number => v !== null);
  return values.length === 0 ? null : median(values);
};

function figures(result: Result): Figures {
  return {
    id: result.target.id,
    label: result.target.label,
    reqPerSec: med(result.samples, (s) => s.reqPerSec) ?? 0,
    p50: med(result.samples, (s) => s.p50) ?? 0,
    p99: med(result.samples, (s) => s.p99) ?? 0,
    cpuPerRequest: med(result.samples, (s) => s.cpuPerRequest) ?? 0,
    hitShare: med(result.samples, (s) => s.hitShare),
  };
}

const fmtInt = (n: number) => Math.round(n).toLocaleString('en-US');
const fmtMs = (n: number) => n.toFixed(2);
const fmtRatio = (n: number) => n.toFixed(2);
const orDash = (n: number | null, format: (n: number) => string) => (n === null ? '–' : format(n));

const HEADER = [
  'Target',
  'req/s',
  '× ceiling',
  'p50 ms',
  'p99 ms',
  'CPU µs/req',
  '× ceiling CPU',
  'Redis CPU µs/req',
  'hits',
  'agenda resolver / SQL',
  'bytes',
  'runs (req/s)',
  'others',
];

function tableRows(results: Result[]): string[][] {
  const ceiling = figures(results.find((r) => r.target.id === 'ceiling') ?? fail('no ceiling'));
  return results.map((r) => {
    const f = figures(r);
    const share = med(r.samples, (s) => s.hitShare);
    const others = med(r.samples, (s) => s.othersCpu);
    const sum = (pick: (s: Sample) => number) => r.samples.reduce((n, s) => n + pick(s), 0);
    return [
      r.target.label,
      fmtInt(f.reqPerSec),
      fmtRatio(f.reqPerSec / ceiling.reqPerSec),
      fmtMs(f.p50),
      fmtMs(f.p99),
      fmtInt(f.cpuPerRequest),
      (f.cpuPerRequest / ceiling.cpuPerRequest).toFixed(1),
      orDash(
        med(r.samples, (s) => s.redisCpuPerRequest),
        (n) => n.toFixed(1),
      ),
      orDash(share, (n) => `${Math.floor(100 * n)}%`),
      r.target.kind === 'ceiling'
        ? '–'
        : `${fmtInt(sum((s) => s.resolverCalls))} / ${fmtInt(sum((s) => s.statements))}`,
      fmtInt(r.samples[0].bytes),
      r.samples.map((s) => fmtInt(s.reqPerSec)).join(', '),
      orDash(others, (n) => `${Math.round(100 * n)}%`),
    ];
  });
}

function markdownTable(rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  const align = HEADER.map((_, i) => (i === 0 || i === 11 ? '---' : '---:'));
  return [line(HEADER), line(align), ...rows.map(line)].join('\n');
}

function textTable(rows: string[][]): string {
  const all = [HEADER, ...rows];
  const widths = HEADER.map((_, i) => Math.max(...all.map((r) => r[i].length)));
  return all
    .map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  '))
    .join('\n');
}

/** Hit against miss, from the medians: the facts that decide the exit code. */
function reading(results: Result[]): { lines: string[]; hitBeatsMiss: boolean } {
  const by = (id: TargetId) => results.find((r) => r.target.id === id);
  const ceiling = figures(by('ceiling') ?? fail('no ceiling result'));
  const offResult = by('off');
  const off = offResult ? figures(offResult) : null;
  const lines: string[] = [];
  const pct = (f: Figures) => `${Math.round((100 * f.reqPerSec) / ceiling.reqPerSec)}%`;
  let hitBeatsMiss = true;
  for (const id of ['memory', 'redis'] as const) {
    const result = by(id);
    if (!result) continue;
    const hit = figures(result);
    const share = med(result.samples, (s) => s.hitShare) ?? 0;
    const errors = result.samples.reduce((n, s) => n + s.storeErrors, 0);
    const earlier = result.samples.reduce((n, s) => n + s.storeErrorsTotal - s.storeErrors, 0);
    if (share < FULL_HITS) {
      lines.push(
        `${hit.label}: only ${Math.floor(100 * share)}% of the measured requests were hits ` +
          `(median); ${fmtInt(errors)} store calls failed or timed out ` +
          '(`hotpath_cache_errors_total`), which opens the breaker and sends requests to the ' +
          "database. This row is not a hit's cost.",
      );
      continue;
    }
    if (!off) {
      lines.push(`${hit.label}: ${pct(hit)} of the ceiling's req/s (cache off not run).`);
      continue;
    }
    const faster = hit.reqPerSec > off.reqPerSec && hit.p50 < off.p50;
    hitBeatsMiss &&= faster;
    lines.push(
      `${hit.label}: ${(hit.reqPerSec / off.reqPerSec).toFixed(1)}× the req/s of cache off, ` +
        `p50 ${fmtMs(hit.p50)} ms against ${fmtMs(off.p50)} ms, ${pct(hit)} of the ceiling's ` +
        `req/s (${faster ? 'a hit is faster than a miss' : 'TARGET MISSED: a hit is not faster than a miss'}).` +
        (earlier > 0
          ? ` Before the measured runs, while it was warmed up, ${fmtInt(earlier)} store calls ` +
            'failed or timed out (`hotpath_cache_errors_total`).'
          : ''),
    );
  }
  const hitRows = (['memory', 'redis'] as const).filter((id) => by(id));
  const fullHits = hitRows.filter(
    (id) => (med(by(id)?.samples ?? [], (s) => s.hitShare) ?? 0) >= FULL_HITS,
  );
  if (hitRows.length > 0 && fullHits.length === 0) {
    hitBeatsMiss = false;
    lines.push('TARGET NOT SHOWN: no cached Hotpath row served (nearly) only hits.');
  }
  const redis = fullHits.includes('redis') ? by('redis') : undefined;
  const stock = by('stock');
  if (redis && stock) {
    const r = figures(redis);
    const s = figures(stock);
    lines.push(
      `Against the stock baseline on the same Redis: ${r.label} serves ` +
        `${(r.reqPerSec / s.reqPerSec).toFixed(2)}× its req/s ` +
        `(stock: ${pct(s)} of the ceiling, Hotpath: ${pct(r)}).`,
    );
  }
  return { lines, hitBeatsMiss };
}

interface RunInfo {
  date: string;
  commit: string;
  query: string;
  variables: { userId: string; date: string };
  tenant: string;
  pinned: boolean;
  loadBefore: number[];
  loadAfter: number[];
}

function gitCommit(): string {
  try {
    const sha = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root }).toString();
    const dirty = execFileSync('git', ['status', '--porcelain'], { cwd: root }).toString();
    return `${sha.trim()}${dirty.trim() ? ' (with uncommitted changes)' : ''}`;
  } catch {
    return 'unknown';
  }
}

const BEGIN = '<!-- bench:begin (written by npm run bench; edit outside these markers) -->';
const END = '<!-- bench:end -->';

const DEFAULT_DOC = `# Benchmarks

What DESIGN §10 claims, measured side by side in one run by \`npm run bench\` (bench/run.ts).
The section between the markers is rewritten on every run; the notes after it are kept.

${BEGIN}
${END}
`;

const loads = (l: number[]) => l.map((n) => n.toFixed(2)).join(' / ');

function generated(results: Result[], info: RunInfo, verdicts: string[], read: string[]): string {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  return [
    `## Last run: ${info.date}`,
    '',
    `- Machine: ${cpus().length} cores, ${cpu}, ${type()} ${release()}`,
    `- Node ${process.version}, NODE_ENV=production, autocannon 8 in the parent process`,
    info.pinned
      ? `- Pinned with taskset: each target on CPU ${SERVER_CPU}, autocannon (the bench process, ` +
        `all its threads) on CPU ${LOADER_CPU}; Redis not pinned`
      : '- Not pinned (no taskset or a single core): targets, autocannon and Redis share the cores',
    `- Load: ${CONNECTIONS} connections over loopback; ${runs} interleaved round${runs === 1 ? '' : 's'}, each running ` +
      `every target once in this order from a fresh process and an empty cache: ${WARM_REQUESTS} ` +
      `checked requests, ${warmupS} s of warm-up, ${durationS} s measured. Figures are medians ` +
      "over the rounds (`runs` lists each round's req/s); latencies from every response",
    `- Code: ${info.commit}; SQLite file seeded once by seedDemo; Redis at ${redisUrl.replace(/\/\/[^@]*@/, '//')}`,
    `- Load average (1/5/15 min) before the run: ${loads(info.loadBefore)}; after: ${loads(info.loadAfter)}`,
    '',
    markdownTable(tableRows(results)),
    '',
    "`× ceiling`: req/s as a share of the ceiling's. `CPU µs/req`: the target process's user + " +
      'system time (`/proc/<pid>/stat`) over the measured run, per request answered; `× ceiling ' +
      "CPU` divides it by the ceiling's. `Redis CPU µs/req`: Redis's own (`INFO cpu`) over the " +
      'same window; Redis is shared, so anything else using it counts too. `hits`: share of the ' +
      'measured requests Hotpath answered from its cache (its `/metrics`). `agenda resolver / ' +
      "SQL`: calls of Query.agenda's resolver and SQL statements sent during the measured runs, " +
      'summed over the rounds. On a hit neither moves (mercurius-cache answers the resolvers ' +
      'from its cache, above the counter), so a cached row shows 0 / 0; a peer above 1% of its ' +
      'requests stops the bench. ' +
      "`bytes`: the target's response body (the same JSON as Hotpath's; Apollo adds a newline). " +
      "`others`: share of the machine's CPU that processes other than the bench, the target " +
      'and Redis took during the measured run; rows with much of it are understated.',
    '',
    '### Targets (issue 8)',
    '',
    ...verdicts.map((l) => `- ${l}`),
    '',
    '### Reading',
    '',
    ...read.map((l) => `- ${l}`),
    '',
    '### The rows',
    '',
    ...results.map((r) => `- **${r.target.label}** (\`${r.target.id}\`): ${r.target.serves}`),
    '',
    '### The request',
    '',
    `\`POST /graphql\` as ${info.tenant}'s demo API key (\`Authorization: Bearer …\`), with`,
    '',
    '```graphql',
    info.query,
    '```',
    '',
    `variables \`${JSON.stringify(info.variables)}\` (its first user, today in its time zone).`,
  ].join('\n');
}

function writeDoc(content: string): void {
  mkdirSync(dirname(docPath), { recursive: true });
  const current = existsSync(docPath) ? readFileSync(docPath, 'utf8') : DEFAULT_DOC;
  const start = current.indexOf(BEGIN);
  const end = current.indexOf(END);
  const base = start >= 0 && end > start ? current : DEFAULT_DOC;
  const from = base.indexOf(BEGIN) + BEGIN.length;
  const to = base.indexOf(END);
  writeFileSync(docPath, `${base.slice(0, from)}\n${content}\n${base.slice(to)}`);
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
    const db = await openDatabase({ sqlitePath });
    const seed = await seedDemo(db);
    await db.destroy();
    const demo = DEMO_TENANTS[0];
    const tenant = seed.tenants.find((t) => t.id === demo.id) ?? fail('the first demo tenant');
    const user = tenant.users[0] ?? fail('the first demo user');
    const variables = { userId: user.id, date: localDate(new Date(), tenant.timezone) };
    const workload: Workload = {
      url: (port) => `http://127.0.0.1:${port}/graphql`,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${demo.apiKey}` },
      body: JSON.stringify({ query: WARM_DOCUMENTS.agenda, variables }),
      ...variables,
    };

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
    for (let round = 1; round <= runs; round++) {
      for (const result of results) {
        process.stdout.write(`[${round}/${runs}] ${result.target.label}: starting… `);
        const sample = await measureOnce(result.target, ctx);
        result.samples.push(sample);
        const share =
          sample.hitShare === null ? '' : `, ${Math.floor(100 * sample.hitShare)}% hits`;
        console.log(
          `${fmtInt(sample.reqPerSec)} req/s, ${fmtInt(sample.cpuPerRequest)} µs CPU/req${share}`,
        );
      }
    }

    const info: RunInfo = {
      date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      commit: gitCommit(),
      query: WARM_DOCUMENTS.agenda,
      variables,
      tenant: tenant.name,
      pinned,
      loadBefore,
      loadAfter: loadavg(),
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
    await stopChild();
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

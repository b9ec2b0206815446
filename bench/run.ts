/**
 * `npm run bench`: DESIGN §10 side by side in one run. Every target serves the same agenda
 * query from its own child process (bench/server.ts), one at a time, and autocannon loads it
 * from this process over loopback. The table goes to stdout and to docs/benchmarks.md.
 *
 * BENCH_DURATION (seconds, default 10), BENCH_WARMUP (seconds, default 2) and BENCH_REDIS_URL
 * (default redis://127.0.0.1:6379) tune it.
 */
import 'reflect-metadata';
import { type ChildProcess, execFileSync, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, release, tmpdir, type } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import { WARM_DOCUMENTS } from '../src/cache/warming.js';
import { parseConfig } from '../src/config.js';
import { openDatabase } from '../src/db/data-source.js';
import { DEMO_TENANTS, seedDemo } from '../src/db/seed.js';
import { localDate } from '../src/time.js';

const CONNECTIONS = 50;
const WARM_REQUESTS = 20;

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const serverEntry = join(root, 'bench', 'server.ts');
const docPath = join(root, 'docs', 'benchmarks.md');

function seconds(name: string, fallback: number): number {
  const raw = process.env[name];
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`);
  return value;
}

const durationS = seconds('BENCH_DURATION', 10);
const warmupS = seconds('BENCH_WARMUP', 2);
const redisUrl = process.env.BENCH_REDIS_URL || 'redis://127.0.0.1:6379';

type TargetId = 'ceiling' | 'off' | 'memory' | 'redis' | 'redis-1s' | 'stock';

interface Target {
  id: TargetId;
  label: string;
  serves: string;
  env: Record<string, string>;
  /** Hotpath: the X-Cache header it answers with once warm; its /metrics count outcomes. */
  xCache?: 'HIT' | 'BYPASS';
}

interface Measured {
  target: Target;
  /** Share of the measured requests Hotpath answered from its cache; null: not Hotpath. */
  hitShare: number | null;
  /** Store calls that failed or timed out during the measured run (Hotpath). */
  storeErrors: number;
  /** The same since the target started, warming included. */
  storeErrorsTotal: number;
  /** Share of the machine's CPU other processes took during the measured run. */
  othersCpu: number | null;
  requests: number;
  reqPerSec: number;
  p50: number;
  p99: number;
}

interface Expected {
  body: string;
  contentType: string;
}

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
// Children

let running: ChildProcess | null = null;

function startChild(env: Record<string, string>): Promise<number> {
  const child = fork(serverEntry, [], {
    cwd: root,
    env,
    execArgv: ['--import', 'tsx'],
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
    child.once('message', (message) => {
      clearTimeout(timer);
      resolve((message as { port: number }).port);
    });
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

/** A few requests so the cache is hot; every answer must be the expected bytes. */
async function warm(target: Target, workload: Workload, port: number, expected: Expected) {
  for (let i = 0; i < WARM_REQUESTS; i++) {
    const { response, text } = await post(workload, port);
    if (response.status !== 200) fail(`${target.label}: HTTP ${response.status}: ${text}`);
    if (text !== expected.body)
      fail(`${target.label}: the body differs from Hotpath's:\n${text.slice(0, 500)}`);
    const xCache = response.headers.get('x-cache');
    if (i === WARM_REQUESTS - 1 && target.xCache && xCache !== target.xCache)
      fail(`${target.label}: X-Cache is ${xCache} after warming, expected ${target.xCache}`);
  }
}

interface LoadResult {
  requests: number;
  reqPerSec: number;
  p50: number;
  p99: number;
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: Float64Array, q: number): number {
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)];
}

/**
 * autocannon with every response checked: 2xx, no errors or timeouts, and exactly the expected
 * body. Latencies are kept at full resolution (autocannon's histogram rounds to whole ms).
 */
function load(workload: Workload, port: number, expected: Expected, duration: number) {
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
        expectBody: expected.body,
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

// ---------------------------------------------------------------------------------------------
// CPU taken by other processes (Linux /proc; null elsewhere)

interface CpuSample {
  machineBusy: number;
  machineTotal: number;
  ours: number;
}

/** utime + stime of a process, in clock ticks. */
function processTicks(pid: number | 'self'): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

/** Redis's own CPU in clock ticks (INFO cpu is in seconds; Linux counts 100 ticks a second). */
async function redisTicks(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const seconds = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1]);
  return (seconds('used_cpu_user') + seconds('used_cpu_sys')) * 100;
}

async function cpuSample(child: ChildProcess | null, redis: Redis): Promise<CpuSample | null> {
  try {
    const [, ...ticks] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
    const [user, nice, system, idle, iowait, irq, softirq, steal] = ticks.map(Number);
    const busy = user + nice + system + irq + softirq + steal;
    const childTicks = child?.pid ? processTicks(child.pid) : 0;
    return {
      machineBusy: busy,
      machineTotal: busy + idle + iowait,
      ours: processTicks('self') + childTicks + (await redisTicks(redis)),
    };
  } catch {
    return null;
  }
}

/** Share of the machine's CPU time that neither the bench, the target nor Redis used. */
function othersShare(before: CpuSample | null, after: CpuSample | null): number | null {
  if (!before || !after) return null;
  const total = after.machineTotal - before.machineTotal;
  if (total <= 0) return null;
  const others = after.machineBusy - before.machineBusy - (after.ours - before.ours);
  return Math.max(0, others / total);
}

// ---------------------------------------------------------------------------------------------
// Hotpath's own count of cache outcomes (/metrics)

type Outcomes = Record<'hit' | 'miss' | 'bypass' | 'errors', number>;

async function cacheOutcomes(port: number): Promise<Outcomes> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
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
// Report

const fmtInt = (n: number) => Math.round(n).toLocaleString('en-US');
const fmtMs = (n: number) => n.toFixed(2);
const fmtRatio = (n: number) => n.toFixed(2);

function tableRows(results: Measured[]): string[][] {
  const ceiling = results.find((r) => r.target.id === 'ceiling') ?? fail('no ceiling result');
  return results.map((r) => [
    r.target.label,
    r.hitShare === null ? '–' : `${Math.floor(100 * r.hitShare)}%`,
    fmtInt(r.reqPerSec),
    fmtRatio(r.reqPerSec / ceiling.reqPerSec),
    fmtMs(r.p50),
    fmtRatio(r.p50 / ceiling.p50),
    fmtMs(r.p99),
    fmtRatio(r.p99 / ceiling.p99),
    r.othersCpu === null ? '?' : `${Math.round(100 * r.othersCpu)}%`,
  ]);
}

const HEADER = [
  'Target',
  'hits',
  'req/s',
  '× ceiling',
  'p50 ms',
  '× ceiling',
  'p99 ms',
  '× ceiling',
  'others',
];

function markdownTable(rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  const align = HEADER.map((_, i) => (i === 0 ? '---' : '---:'));
  return [line(HEADER), line(align), ...rows.map(line)].join('\n');
}

function textTable(rows: string[][]): string {
  const all = [HEADER, ...rows];
  const widths = HEADER.map((_, i) => Math.max(...all.map((r) => r[i].length)));
  return all
    .map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  '))
    .join('\n');
}

/** Below this share of hits a "hit" row measures something else. */
const FULL_HITS = 0.99;

/** The facts the issue asks about, computed, so they stay true when the numbers change. */
function reading(results: Measured[]): { lines: string[]; hitBeatsMiss: boolean } {
  const by = (id: TargetId) => results.find((r) => r.target.id === id);
  const ceiling = by('ceiling') ?? fail('no ceiling result');
  const off = by('off') ?? fail('no cache-off result');
  const lines: string[] = [];
  const pct = (r: Measured) => `${Math.round((100 * r.reqPerSec) / ceiling.reqPerSec)}%`;
  const fullHits: Measured[] = [];
  let hitBeatsMiss = true;
  for (const id of ['memory', 'redis', 'redis-1s'] as const) {
    const hit = by(id);
    if (!hit) continue;
    const share = hit.hitShare ?? 0;
    if (share < FULL_HITS) {
      lines.push(
        `${hit.target.label}: only ${Math.floor(100 * share)}% of the measured requests were ` +
          `hits; ${fmtInt(hit.storeErrors)} store calls failed or timed out ` +
          '(`hotpath_cache_errors_total`), which opens the breaker and sends requests to the ' +
          "database. This row is not a hit's cost.",
      );
      continue;
    }
    fullHits.push(hit);
    const faster = hit.reqPerSec > off.reqPerSec && hit.p50 < off.p50;
    hitBeatsMiss &&= faster;
    const earlier = hit.storeErrorsTotal - hit.storeErrors;
    lines.push(
      `${hit.target.label}: ${(hit.reqPerSec / off.reqPerSec).toFixed(1)}× the req/s of cache ` +
        `off, p50 ${fmtMs(hit.p50)} ms against ${fmtMs(off.p50)} ms, ${pct(hit)} of the ` +
        `ceiling's req/s (${faster ? 'a hit is faster than a miss' : 'TARGET MISSED: a hit is not faster than a miss'}).` +
        (earlier > 0
          ? ` Before the measured run, while it was warmed up, ${fmtInt(earlier)} store calls ` +
            'failed or timed out (`hotpath_cache_errors_total`), enough to open the breaker; ' +
            'it had closed again by the time the measured run started.'
          : ''),
    );
  }
  if (fullHits.length === 0) {
    hitBeatsMiss = false;
    lines.push('TARGET NOT SHOWN: no cached target served (nearly) only hits.');
  }
  const redis = fullHits.find((r) => r.target.id === 'redis' || r.target.id === 'redis-1s');
  const stock = by('stock');
  if (redis && stock) {
    lines.push(
      `Against the stock baseline on the same Redis: ${redis.target.label} serves ` +
        `${(redis.reqPerSec / stock.reqPerSec).toFixed(2)}× its req/s ` +
        `(stock: ${pct(stock)} of the ceiling, Hotpath: ${pct(redis)}).`,
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
  /** Load averages (1, 5, 15 min) before the run. */
  loadavg: number[];
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

function generated(results: Measured[], info: RunInfo, read: string[]): string {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  return [
    `## Last run: ${info.date}`,
    '',
    `- Machine: ${availableParallelism()} cores (nproc), ${cpu}, ${type()} ${release()}`,
    `- Node ${process.version}, NODE_ENV=production, autocannon 8 in the parent process`,
    `- Load: ${CONNECTIONS} connections over loopback, ${durationS} s measured after a ` +
      `${warmupS} s warm-up, one target process at a time; latencies from every response`,
    `- Code: ${info.commit}; SQLite file seeded once by seedDemo; Redis at ${redisUrl.replace(/\/\/[^@]*@/, '//')}`,
    `- Load average (1/5/15 min) before the run: ${info.loadavg.map((l) => l.toFixed(2)).join(' / ')}`,
    '',
    markdownTable(tableRows(results)),
    '',
    '`hits`: share of the measured requests Hotpath answered from its cache, from its own ' +
      '`/metrics`. `× ceiling`: req/s as a share of the ceiling (higher is better), latencies ' +
      "as a multiple of the ceiling's (lower is better). `others`: share of the machine's CPU " +
      'that processes other than the bench, the target and Redis took during the measured ' +
      'run; rows with much of it are understated.',
    '',
    ...results.map((r) => `- **${r.target.label}**: ${r.target.serves}`),
    '',
    '### Reading',
    '',
    ...read.map((l) => `- ${l}`),
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
  const work = mkdtempSync(join(tmpdir(), 'hotpath-bench-'));
  const sqlitePath = join(work, 'bench.sqlite');
  const bodyFile = join(work, 'agenda.json');
  const prefix = `hotpath-bench-${randomBytes(4).toString('hex')}`;
  const stockPrefix = `${prefix}:stock`;
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  const results: Measured[] = [];
  const defaultTimeoutMs = parseConfig({}).cache.timeoutMs;
  const loadAtStart = loadavg();
  if (loadAtStart[0] > 1)
    console.warn(
      `Load average ${loadAtStart.map((l) => l.toFixed(2)).join(' ')} on ${availableParallelism()} ` +
        'cores: the machine has been busy, expect noisy numbers (see the others column).',
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
      SQLITE_PATH: sqlitePath,
      CACHE_PREFIX: prefix,
      CACHE_WARM_INTERVAL: '0',
    };
    const targets: Target[] = [
      {
        id: 'ceiling',
        label: 'node:http ceiling',
        serves: "node:http writing Hotpath's response bytes, precomputed.",
        env: { ...base, BENCH_TARGET: 'ceiling', BENCH_BODY_FILE: bodyFile },
      },
      {
        id: 'off',
        label: 'Hotpath, cache off',
        serves: 'CACHE_ENABLED=false: every request is parsed, validated and executed on SQLite.',
        env: { ...base, BENCH_TARGET: 'hotpath', CACHE_ENABLED: 'false' },
        xCache: 'BYPASS',
      },
      {
        id: 'memory',
        label: 'Hotpath, memory hit',
        serves: 'the in-memory store, warmed: every measured request should be a hit.',
        env: { ...base, BENCH_TARGET: 'hotpath' },
        xCache: 'HIT',
      },
      {
        id: 'redis',
        label: 'Hotpath, Redis hit',
        serves:
          `the Redis store with default settings (CACHE_TIMEOUT_MS=${defaultTimeoutMs}), ` +
          'warmed: every measured request should be a hit.',
        env: { ...base, BENCH_TARGET: 'hotpath', REDIS_URL: redisUrl },
        xCache: 'HIT',
      },
      {
        id: 'redis-1s',
        label: 'Hotpath, Redis hit, 1 s timeout',
        serves:
          'the same with CACHE_TIMEOUT_MS=1000, so that event-loop delay under load cannot ' +
          'count as a store failure.',
        env: { ...base, BENCH_TARGET: 'hotpath', REDIS_URL: redisUrl, CACHE_TIMEOUT_MS: '1000' },
        xCache: 'HIT',
      },
      {
        id: 'stock',
        label: 'Yoga + stock Redis cache',
        serves:
          'plain graphql-yoga over the same schema and services with @envelop/response-cache and ' +
          "@envelop/response-cache-redis's createRedisCache (session: the tenant), warmed. " +
          'Its hits are not counted, but warming must have stored the response in Redis.',
        env: {
          ...base,
          BENCH_TARGET: 'stock',
          BENCH_REDIS_URL: redisUrl,
          BENCH_STOCK_PREFIX: stockPrefix,
        },
      },
    ];

    // The ceiling writes the bytes Hotpath answers with: ask a Hotpath process for them first.
    let expected: Expected | null = null;
    const run = [...targets.slice(1), targets[0]];
    for (const target of run) {
      process.stdout.write(`${target.label}: starting… `);
      const port = await startChild(target.env);
      await waitUntilAnswers(workload, port);
      if (!expected) {
        const { response, text } = await post(workload, port);
        if (response.status !== 200) fail(`HTTP ${response.status} from Hotpath: ${text}`);
        checkAgenda(text, workload);
        expected = { body: text, contentType: response.headers.get('content-type') ?? '' };
        writeFileSync(bodyFile, text);
        for (const t of targets) t.env.BENCH_CONTENT_TYPE = expected.contentType;
      }
      await warm(target, workload, port, expected);
      if (target.id === 'stock' && (await countKeys(redis, `${stockPrefix}:*`)) === 0)
        fail('the stock cache stored nothing in Redis after warming');
      process.stdout.write('warming up… ');
      await load(workload, port, expected, warmupS);
      process.stdout.write(`measuring ${durationS} s… `);
      const before = target.xCache ? await cacheOutcomes(port) : null;
      const cpuBefore = await cpuSample(running, redis);
      const measured = await load(workload, port, expected, durationS);
      const cpuAfter = await cpuSample(running, redis);
      const after = target.xCache ? await cacheOutcomes(port) : null;
      await stopChild();
      results.push({
        target,
        hitShare: before && after ? hitShare(before, after) : null,
        storeErrors: before && after ? after.errors - before.errors : 0,
        storeErrorsTotal: after?.errors ?? 0,
        othersCpu: othersShare(cpuBefore, cpuAfter),
        ...measured,
      });
      const hits = before && after ? `, ${Math.floor(100 * hitShare(before, after))}% hits` : '';
      console.log(`${fmtInt(measured.reqPerSec)} req/s${hits}`);
    }
    results.sort((a, b) => targets.indexOf(a.target) - targets.indexOf(b.target));

    const info: RunInfo = {
      date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      commit: gitCommit(),
      query: WARM_DOCUMENTS.agenda,
      variables,
      tenant: tenant.name,
      loadavg: loadAtStart,
    };
    const read = reading(results);
    console.log(`\n${textTable(tableRows(results))}\n`);
    for (const line of read.lines) console.log(line);
    writeDoc(generated(results, info, read.lines));
    console.log(`\nWritten to ${docPath}`);
    if (!read.hitBeatsMiss) {
      console.error('\nTARGET MISSED: a cache hit is not faster than a miss.');
      process.exitCode = 1;
    }
  } finally {
    await stopChild();
    if (redis.status === 'ready') {
      const removed = await deleteKeys(redis, `${prefix}:*`);
      console.log(`Removed ${removed} Redis keys under ${prefix}:*`);
    }
    redis.disconnect();
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch(async (error) => {
  console.error(`\n${error instanceof Error ? error.message : error}`);
  process.exitCode = 1;
});

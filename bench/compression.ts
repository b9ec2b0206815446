/**
 * `npm run bench:compression`: issue 8's "Compression, done once", measured. Two production
 * `src/main.ts` processes on Redis, each under its own CACHE_PREFIX, one storing bodies as they
 * are (CACHE_COMPRESS_MIN_BYTES=0) and one with the default threshold (gzip from 8 KiB). Each
 * computes the widest 12-month analytics report of the first demo tenant once (a MISS that
 * stores it); the bench then reads the Redis bytes of that entry (MEMORY USAGE, and HSTRLEN of
 * its payload field) and loads the stored report with autocannon in three cases:
 *   (a) compression off, client without Accept-Encoding;
 *   (b) compressed entry, client with `Accept-Encoding: gzip` (the stored bytes, as they are);
 *   (c) compressed entry, client without Accept-Encoding (inflated on every hit).
 * Every response is checked: a 200, `X-Cache: HIT`, Content-Encoding gzip for (b) only, and
 * exactly the expected bytes (for (b) the gzip whose gunzip is (a)'s JSON). With taskset the
 * servers run on CPU 1 and this process (autocannon) on CPU 0. Medians of BENCH_RUNS
 * interleaved rounds (a, b, c, a, b, c, …). The tables go to stdout and to docs/benchmarks.md
 * between the compression markers. The Redis keys of the run are deleted at the end.
 *
 * BENCH_DURATION (s, default 5), BENCH_WARMUP (s, default 1), BENCH_RUNS (default 3),
 * BENCH_REDIS_URL (default redis://127.0.0.1:6379).
 */
import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { type IncomingHttpHeaders, request } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { gunzipSync } from 'node:zlib';
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import { DateTime } from 'luxon';
import { prepareBody } from '../src/cache/store/body.js';
import { parseConfig } from '../src/config.js';
import { openDatabase } from '../src/db/data-source.js';
import { DEMO_TENANTS, seedDemo } from '../src/db/seed.js';
import { localDate } from '../src/time.js';
import { hasTaskset, startMain } from '../test/support/process.js';
import { markdownTable, writeDocSection } from './doc-section.js';
import {
  CONNECTIONS,
  LOADER_CPU,
  median,
  microsPerRequest,
  percentile,
  positive,
  processTicks,
  SERVER_CPU,
} from './measure.js';

const durationS = positive('BENCH_DURATION', 5);
const warmupS = positive('BENCH_WARMUP', 1);
const runs = positive('BENCH_RUNS', 3, true);
const redisUrl = process.env.BENCH_REDIS_URL || 'redis://127.0.0.1:6379';

// The servers inherit this process's environment (startMain): settings of the shell's own
// Hotpath (a DATABASE_URL, a CACHE_COMPRESS_MIN_BYTES) would change what is measured.
for (const name of Object.keys(process.env)) {
  if (/^(CACHE_|REDIS_|DATABASE_|LIMIT_|APQ_|SQLITE_PATH$|SEED_DEMO$|PORT$|HOST$)/.test(name))
    delete process.env[name];
}

function fail(message: string): never {
  throw new Error(`bench:compression: ${message}`);
}

// Every metric and every dimension: the widest report the API allows. `computedAt` is left
// out: each server computes the report itself, and with it the two bodies would differ in
// that one field, where (b)'s gunzip must equal (a)'s JSON byte for byte.
const REPORT = `query CompressionReport($input: AnalyticsQueryInput!) {
  analytics(input: $input) { id metrics dimensions rows { keys values } totalRows }
}`;

// ---------------------------------------------------------------------------------------------
// HTTP

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** A POST through node:http: no header is added (fetch would send Accept-Encoding). */
function post(url: string, headers: Record<string, string>, body: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

// ---------------------------------------------------------------------------------------------
// Servers

interface Server {
  label: string;
  prefix: string;
  url: string;
  pid: number;
  stop: () => Promise<void>;
}

async function startServer(
  label: string,
  env: Record<string, string>,
  pinned: boolean,
): Promise<Server> {
  const app = startMain(env, pinned ? SERVER_CPU : undefined);
  const stop = async () => {
    if (app.child.exitCode !== null || app.child.signalCode !== null) return;
    app.child.kill('SIGTERM');
    const timer = setTimeout(() => app.child.kill('SIGKILL'), 5_000);
    await app.exited;
    clearTimeout(timer);
  };
  try {
    const [, port] = await app.printed(/listening on http:\/\/localhost:(\d+)\/graphql/);
    return {
      label,
      prefix: env.CACHE_PREFIX,
      url: `http://127.0.0.1:${port}/graphql`,
      pid: app.child.pid ?? fail('no pid'),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------
// Redis

async function scanKeys(redis: Redis, pattern: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    found.push(...keys);
  } while (cursor !== '0');
  return found;
}

interface Stored {
  key: string;
  /** MEMORY USAGE of the entry (every field counted: SAMPLES 0). */
  memoryUsage: number;
  /** Length of the payload field `.`: header line + the body as stored. */
  payload: number;
}

/** The server's one response entry (`:r:` in its name), once the MISS has saved it. */
async function storedEntry(redis: Redis, prefix: string): Promise<Stored> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const keys = await scanKeys(redis, `${prefix}:*:r:*`);
    if (keys.length > 1) fail(`${keys.length} entries under ${prefix}, expected one`);
    if (keys.length === 1) {
      const key = keys[0];
      const [memoryUsage, payload] = await Promise.all([
        redis.call('MEMORY', 'USAGE', key, 'SAMPLES', '0'),
        redis.hstrlen(key, '.'),
      ]);
      if (!payload) fail(`${key} has no payload field`);
      return { key, memoryUsage: Number(memoryUsage), payload };
    }
    if (Date.now() > deadline)
      fail(`no entry under ${prefix} 10 s after the MISS: was the report stored at all?`);
    await sleep(50);
  }
}

// ---------------------------------------------------------------------------------------------
// Load, with every response checked

interface Case {
  id: 'a' | 'b' | 'c';
  label: string;
  server: Server;
  headers: Record<string, string>;
  /** The request's JSON body. */
  body: string;
  /** The exact body every response must carry. */
  expected: Buffer;
  gzip: boolean;
}

interface Sample {
  requests: number;
  reqPerSec: number;
  p50: number;
  p99: number;
  cpuPerRequest: number;
  /** This process's CPU per response (autocannon and the checks): is the load generator the bound? */
  loaderCpuPerRequest: number;
  wireBytes: number;
}

/** What is wrong with one response's head; null when it is what the case expects. */
function headProblem(info: { statusCode?: number; headers?: string[] }, c: Case): string | null {
  if (info.statusCode !== 200) return `status ${info.statusCode}`;
  const flat = info.headers ?? [];
  const header = (name: string) => {
    for (let i = 0; i < flat.length; i += 2) if (flat[i].toLowerCase() === name) return flat[i + 1];
    return undefined;
  };
  const xCache = header('x-cache');
  if (xCache !== 'HIT') return `X-Cache ${xCache}`;
  const encoding = header('content-encoding');
  if (c.gzip ? encoding !== 'gzip' : encoding !== undefined)
    return `Content-Encoding ${encoding ?? '(none)'}`;
  return null;
}

/**
 * Checks each response of one autocannon client as it is parsed: its head when the headers
 * are complete, its body chunk by chunk against the expected bytes (no copy). This replaces
 * autocannon's own body handling (a string built per response, which would mangle gzip), so it
 * reaches into its PipelinedRequestsQueue; it fails loudly if that changes.
 */
function checkResponses(client: unknown, c: Case, tally: { bad: number; first: string | null }) {
  const queue = (client as { pipelinedRequests?: Record<string, unknown> }).pipelinedRequests;
  const setHeaders = queue?.setHeaders;
  const terminateRequest = queue?.terminateRequest;
  if (
    !queue ||
    typeof setHeaders !== 'function' ||
    typeof terminateRequest !== 'function' ||
    typeof queue.addBody !== 'function'
  )
    fail("autocannon's client has no pipelinedRequests queue to check responses with");
  let problem: string | null = null;
  let offset = 0;
  queue.setHeaders = function (this: unknown, info: { statusCode?: number; headers?: string[] }) {
    setHeaders.call(this, info);
    problem = headProblem(info, c);
    offset = 0;
  };
  queue.addBody = (chunk: Buffer) => {
    const end = offset + chunk.length;
    if (!problem && (end > c.expected.length || chunk.compare(c.expected, offset, end) !== 0))
      problem = `body differs from the expected ${c.expected.length} bytes from byte ${offset}`;
    offset = end;
  };
  queue.terminateRequest = function (this: unknown) {
    if (!problem && offset !== c.expected.length)
      problem = `body of ${offset} bytes, expected ${c.expected.length}`;
    if (problem) {
      tally.bad++;
      tally.first ??= problem;
    }
    problem = null;
    offset = 0;
    return terminateRequest.call(this);
  };
}

const clockTicks = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();
const cpuSeconds = (pid: number) =>
  processTicks(readFileSync(`/proc/${pid}/stat`, 'utf8')) / clockTicks;

function load(c: Case, seconds: number): Promise<Sample> {
  const tally = { bad: 0, first: null as string | null };
  const latencies: number[] = [];
  let wire = 0;
  const cpuBefore = cpuSeconds(c.server.pid);
  const loaderBefore = cpuSeconds(process.pid);
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: c.server.url,
        method: 'POST',
        headers: c.headers,
        body: c.body,
        connections: CONNECTIONS,
        duration: seconds,
        setupClient: (client) => checkResponses(client, c, tally),
      },
      (error, result) => {
        if (error) return reject(error);
        const cpu = cpuSeconds(c.server.pid) - cpuBefore;
        const loaderCpu = cpuSeconds(process.pid) - loaderBefore;
        const problems = [
          result.non2xx && `${result.non2xx} non-2xx responses`,
          result.errors && `${result.errors} errors (${result.timeouts} timeouts)`,
          tally.bad && `${tally.bad} responses not as expected (first: ${tally.first})`,
          latencies.length === 0 && 'no responses',
        ].filter(Boolean);
        if (problems.length > 0) return reject(new Error(`(${c.id}) ${problems.join(', ')}`));
        const sorted = Float64Array.from(latencies).sort();
        resolve({
          requests: latencies.length,
          reqPerSec: latencies.length / result.duration,
          p50: percentile(sorted, 0.5),
          p99: percentile(sorted, 0.99),
          cpuPerRequest: microsPerRequest(cpu, latencies.length) ?? 0,
          loaderCpuPerRequest: microsPerRequest(loaderCpu, latencies.length) ?? 0,
          wireBytes: wire / latencies.length,
        });
      },
    );
    instance.on('response', (_client, _status, bytes, responseTime) => {
      latencies.push(responseTime);
      wire += bytes;
    });
  });
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const pinned = cpus().length > 1 && hasTaskset();
  if (pinned)
    execFileSync('taskset', ['-a', '-p', '-c', String(LOADER_CPU), String(process.pid)], {
      stdio: 'ignore',
    });
  const loadBefore = loadavg();
  const work = mkdtempSync(join(tmpdir(), 'hotpath-compression-bench-'));
  const sqlitePath = join(work, 'bench.sqlite');
  // CACHE_PREFIX allows no colon; each server has its own, so neither reads the other's entry.
  const base = `hp-bench-compress-${randomBytes(4).toString('hex')}`;
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  const servers: Server[] = [];
  try {
    await redis.connect();
    const db = await openDatabase({ sqlitePath });
    const seed = await seedDemo(db);
    await db.destroy();
    const demo = DEMO_TENANTS[0];
    const tenant = seed.tenants.find((t) => t.id === demo.id) ?? fail('the first demo tenant');
    // The last 12 months, today included, in the tenant's time zone.
    const end = localDate(new Date(), tenant.timezone);
    const start = DateTime.fromISO(end).minus({ years: 1 }).plus({ days: 1 }).toISODate();
    const input = {
      metrics: ['REVENUE', 'AVERAGE_TICKET', 'ORDER_COUNT'],
      dimensions: ['MONTH', 'DAY', 'STORE', 'CHANNEL'],
      dateRange: { start, end },
    };
    const body = JSON.stringify({ query: REPORT, variables: { input } });
    const plain = { 'content-type': 'application/json', authorization: `Bearer ${demo.apiKey}` };
    const gzipping = { ...plain, 'accept-encoding': 'gzip' };

    const env = (prefix: string, extra: Record<string, string>) => ({
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      OPS_TOKEN: `ops_${randomBytes(24).toString('base64url')}`,
      HOST: '127.0.0.1',
      PORT: '0',
      SQLITE_PATH: sqlitePath,
      SEED_DEMO: 'false',
      GRAPHIQL: 'false',
      REDIS_URL: redisUrl,
      CACHE_PREFIX: prefix,
      CACHE_WARM_INTERVAL: '0',
      // A report touching the last 7 days lives 5 min by default; the entry must outlive long
      // runs, or the later ones would measure its refresh (SWR), not hits.
      CACHE_TTL_ANALYTICS: '86400',
      // As bench:scale: on a busy machine a lookup that waits more than the 50 ms default
      // would be a miss and open the breaker; this measures the hit, not the timeout.
      CACHE_TIMEOUT_MS: '1000',
      SHUTDOWN_DELAY_MS: '0',
      ...extra,
    });
    servers.push(
      await startServer(
        'compression off',
        env(`${base}-off`, { CACHE_COMPRESS_MIN_BYTES: '0' }),
        pinned,
      ),
    );
    // The default threshold, as the server will read it from the same environment.
    const gzipEnv = env(`${base}-gzip`, {});
    const threshold = parseConfig(gzipEnv).cache.compressMinBytes;
    if (threshold <= 0)
      fail(`the default CACHE_COMPRESS_MIN_BYTES is ${threshold}: never compress`);
    servers.push(await startServer(`default (gzip from ${int(threshold)} bytes)`, gzipEnv, pinned));
    const [off, gzip] = servers;

    // The MISS of each, then what it stored.
    let gzipBytes: Buffer | null = null;
    const storage: { server: Server; json: Buffer; stored: Stored; storedBody: number }[] = [];
    for (const server of servers) {
      const miss = await post(server.url, plain, body);
      if (miss.status !== 200 || miss.headers['x-cache'] !== 'MISS')
        fail(
          `${server.label}: the first request got ${miss.status} X-Cache ${miss.headers['x-cache']}: ${miss.body.toString().slice(0, 300)}`,
        );
      const parsed = JSON.parse(miss.body.toString()) as {
        data?: { analytics?: { totalRows?: number } };
        errors?: unknown;
      };
      if (parsed.errors || !parsed.data?.analytics?.totalRows)
        fail(`${server.label}: not a report with rows: ${miss.body.toString().slice(0, 300)}`);
      const stored = await storedEntry(redis, server.prefix);
      // The hits the load will repeat: identity, and (compressed entry) gzip as stored.
      const hit = await post(server.url, plain, body);
      if (hit.status !== 200 || hit.headers['x-cache'] !== 'HIT' || hit.headers['content-encoding'])
        fail(
          `${server.label}: the second request got ${hit.status} X-Cache ${hit.headers['x-cache']} Content-Encoding ${hit.headers['content-encoding']}`,
        );
      if (!hit.body.equals(miss.body)) fail(`${server.label}: the HIT's body is not the MISS's`);
      let storedBody = hit.body.length;
      if (server === gzip) {
        const zipped = await post(server.url, gzipping, body);
        if (zipped.headers['content-encoding'] !== 'gzip' || zipped.headers['x-cache'] !== 'HIT')
          fail(
            `the compressed entry was not served as gzip: ${zipped.status} X-Cache ${zipped.headers['x-cache']} Content-Encoding ${zipped.headers['content-encoding']}`,
          );
        storedBody = zipped.body.length;
        gzipBytes = zipped.body;
      }
      storage.push({ server, json: hit.body, stored, storedBody });
    }
    const json = storage[0].json;
    if (!storage[1].json.equals(json))
      fail('the two servers answered different JSON for the same report');
    if (!gzipBytes || !gunzipSync(gzipBytes).equals(json))
      fail("the gzip served for the compressed entry does not inflate to (a)'s JSON");
    const codec = await codecCost(json.toString('utf8'), threshold);
    console.log(
      `Report: ${json.length.toLocaleString('en-US')} bytes of JSON; stored ${storage
        .map((s) => `${s.stored.payload.toLocaleString('en-US')} (${s.server.label})`)
        .join(' and ')} bytes of payload`,
    );

    const cases: Case[] = [
      {
        id: 'a',
        label: '(a) compression off, no Accept-Encoding',
        server: off,
        headers: plain,
        body,
        expected: json,
        gzip: false,
      },
      {
        id: 'b',
        label: '(b) compressed entry, Accept-Encoding: gzip (as stored)',
        server: gzip,
        headers: gzipping,
        body,
        expected: gzipBytes,
        gzip: true,
      },
      {
        id: 'c',
        label: '(c) compressed entry, no Accept-Encoding (inflated per hit)',
        server: gzip,
        headers: plain,
        body,
        expected: json,
        gzip: false,
      },
    ];
    const samples = new Map<Case['id'], Sample[]>(cases.map((c) => [c.id, []]));
    for (let round = 1; round <= runs; round++) {
      for (const c of cases) {
        process.stdout.write(`[${round}/${runs}] ${c.label}: warming up… `);
        await load(c, warmupS);
        process.stdout.write(`measuring ${durationS} s… `);
        const sample = await load(c, durationS);
        samples.get(c.id)?.push(sample);
        console.log(
          `${Math.round(sample.reqPerSec)} req/s, p99 ${sample.p99.toFixed(2)} ms, ` +
            `${Math.round(sample.cpuPerRequest)} µs CPU/req`,
        );
      }
    }
    const markdown = report(storage, cases, samples, {
      pinned,
      loadBefore,
      loadAfter: loadavg(),
      input,
      threshold,
      codec,
    });
    writeDocSection('compression', markdown);
    console.log(`\n${markdown}`);
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    if (redis.status === 'ready') {
      const keys = await scanKeys(redis, `${base}-*`);
      for (let i = 0; i < keys.length; i += 500) await redis.unlink(...keys.slice(i, i + 500));
      console.log(`Removed ${keys.length} Redis keys under ${base}-*`);
    }
    redis.disconnect();
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * What src/cache/body.ts costs for this body, timed in this process (medians of 20): preparing
 * it at save (ETag and gzip, once per save) and inflating it (what (c) does on every hit).
 */
async function codecCost(json: string, threshold: number) {
  const prepareMs: number[] = [];
  const inflateUs: number[] = [];
  for (let i = 0; i < 20; i++) {
    let t = performance.now();
    const prepared = await prepareBody(json, threshold);
    prepareMs.push(performance.now() - t);
    if (prepared.encoding !== 'gzip') fail('prepareBody did not gzip the report');
    t = performance.now();
    prepared.identity();
    inflateUs.push((performance.now() - t) * 1000);
  }
  return { prepareMs: median(prepareMs), inflateUs: median(inflateUs) };
}

// ---------------------------------------------------------------------------------------------
// The report

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const loads = (l: number[]) => l.map((n) => n.toFixed(2)).join(' / ');

function report(
  storage: { server: Server; json: Buffer; stored: Stored; storedBody: number }[],
  cases: Case[],
  samples: Map<Case['id'], Sample[]>,
  info: {
    pinned: boolean;
    loadBefore: number[];
    loadAfter: number[];
    input: object;
    threshold: number;
    codec: { prepareMs: number; inflateUs: number };
  },
): string {
  const [before, after] = storage;
  const ratio = (x: number, y: number) => `${(x / y).toFixed(2)}×`;
  const storageTable = markdownTable(
    [
      'server',
      'response (JSON bytes)',
      'body as stored',
      'payload (`HSTRLEN key .`)',
      '`MEMORY USAGE`',
    ],
    [
      ...storage.map((s) => [
        s.server.label,
        int(s.json.length),
        int(s.storedBody),
        int(s.stored.payload),
        int(s.stored.memoryUsage),
      ]),
      [
        '**before / after**',
        ratio(before.json.length, after.json.length),
        ratio(before.storedBody, after.storedBody),
        ratio(before.stored.payload, after.stored.payload),
        ratio(before.stored.memoryUsage, after.stored.memoryUsage),
      ],
    ],
  );
  const m = (id: Case['id'], pick: (s: Sample) => number) =>
    median((samples.get(id) ?? []).map(pick));
  const hitTable = markdownTable(
    [
      'case',
      'req/s',
      'p50 ms',
      'p99 ms',
      'server CPU µs/req',
      'autocannon CPU µs/req',
      'body bytes',
      'wire bytes/response',
      'runs (req/s)',
    ],
    cases.map((c) => [
      c.label,
      int(m(c.id, (s) => s.reqPerSec)),
      m(c.id, (s) => s.p50).toFixed(2),
      m(c.id, (s) => s.p99).toFixed(2),
      int(m(c.id, (s) => s.cpuPerRequest)),
      int(m(c.id, (s) => s.loaderCpuPerRequest)),
      int(c.expected.length),
      int(m(c.id, (s) => s.wireBytes)),
      (samples.get(c.id) ?? []).map((s) => int(s.reqPerSec)).join(', '),
    ]),
  );
  const cpu = (id: Case['id']) => m(id, (s) => s.cpuPerRequest);
  const rps = (id: Case['id']) => m(id, (s) => s.reqPerSec);
  const signed = (n: number) => `${n >= 0 ? '+' : '−'}${int(Math.abs(n))}`;
  const reading = [
    `- Storage: gzip stores the report in ${((100 * after.stored.payload) / before.stored.payload).toFixed(1)}% ` +
      `of the payload bytes (${int(before.stored.payload)} → ${int(after.stored.payload)}) and ` +
      `${((100 * after.stored.memoryUsage) / before.stored.memoryUsage).toFixed(1)}% of the entry's ` +
      `Redis memory (${int(before.stored.memoryUsage)} → ${int(after.stored.memoryUsage)} bytes).`,
    `- (b) against (a): ${(rps('b') / rps('a')).toFixed(2)}× the req/s, ` +
      `${signed(cpu('b') - cpu('a'))} µs of server CPU per hit, ` +
      `${((100 * m('b', (s) => s.wireBytes)) / m('a', (s) => s.wireBytes)).toFixed(1)}% of the bytes ` +
      'on the wire: a client that takes gzip gets the stored bytes with no work per hit.',
    `- (c) against (a): ${(rps('c') / rps('a')).toFixed(2)}× the req/s, ` +
      `${signed(cpu('c') - cpu('a'))} µs of server CPU per hit: the price of inflating ` +
      `${int(after.storedBody)} bytes into ${int(after.json.length)} on every hit for a client ` +
      'that does not take gzip.',
    `- (c) against (b): inflating costs ${signed(cpu('c') - cpu('b'))} µs of CPU per hit ` +
      `(${(rps('c') / rps('b')).toFixed(2)}× the req/s). In this process \`StoredBody.identity()\` ` +
      `takes ${int(info.codec.inflateUs)} µs for this body, and \`prepareBody\` (ETag and gzip, ` +
      `once per save, the gzip on libuv's thread pool) ${info.codec.prepareMs.toFixed(1)} ms.`,
  ];
  // A load generator with its core (nearly) full caps the row: req/s then says little about
  // the server, its CPU per request still does.
  for (const c of cases) {
    const busy = (m(c.id, (s) => s.loaderCpuPerRequest) * rps(c.id)) / 1e6;
    if (busy >= 0.9)
      reading.push(
        `- ${c.label.slice(0, 3)}: autocannon used ${Math.round(100 * busy)}% of a core: its ` +
          "req/s may be the load generator's bound; compare server CPU per request instead.",
      );
  }
  return [
    `## Compression, done once (issue 8): last run ${new Date().toISOString().slice(0, 19)}Z`,
    '',
    '`npm run bench:compression` (bench/compression.ts). Two production `src/main.ts` processes ' +
      'on Redis, each under its own `CACHE_PREFIX`: `CACHE_COMPRESS_MIN_BYTES=0` (never compress) ' +
      `and the default (gzip from ${int(info.threshold)} bytes), both with \`CACHE_TIMEOUT_MS=1000\` and ` +
      '`CACHE_TTL_ANALYTICS=86400` (the entry must outlive the run). The request: the first demo ' +
      "tenant's widest 12-month report (every metric, every dimension; `computedAt` left out so " +
      `both servers answer the same bytes), variables \`${JSON.stringify(info.input)}\`. Each ` +
      'server answered it once (a MISS that stored it); the Redis figures are of that entry.',
    '',
    storageTable,
    '',
    `Hits: autocannon, ${CONNECTIONS} connections, ${durationS} s measured after ${warmupS} s ` +
      `of warm-up, ${runs} interleaved rounds (a, b, c), medians. ` +
      (info.pinned
        ? `Servers on CPU ${SERVER_CPU}, autocannon on CPU ${LOADER_CPU} (taskset). `
        : 'Not pinned (no taskset or one core). ') +
      'Every response checked: 200, `X-Cache: HIT`, Content-Encoding gzip for (b) only, and ' +
      "exactly the expected bytes ((b): the gzip whose gunzip is (a)'s JSON). Server CPU from " +
      '`/proc/<pid>/stat`; wire bytes: headers and body as autocannon read them. Load average ' +
      `(1/5/15 min) before: ${loads(info.loadBefore)}; after: ${loads(info.loadAfter)}.`,
    '',
    hitTable,
    '',
    ...reading,
  ].join('\n');
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});

/**
 * `npm run bench:compression`: issue 8's "Compression, done once", measured. Two production
 * `src/main.ts` processes on Redis, each under its own CACHE_PREFIX, one storing bodies as they
 * are (CACHE_COMPRESS_MIN_BYTES=0) and one with the default threshold (gzip from 8 KiB). Each
 * computes the widest 12-month analytics report of the first demo tenant once (a MISS that
 * stores it); the bench then reads the Redis bytes of that entry (MEMORY USAGE, and HSTRLEN of
 * its payload field) and loads the stored report with autocannon in three cases:
 *   (a) compression off, client without Accept-Encoding;
 *   (b) compressed entry, client with `Accept-Encoding: gzip` (the stored bytes, as they are);
 *   (c) compressed entry, client without Accept-Encoding (inflated once, then the JSON kept
 *       beside the server's in-process copy: README, Compression).
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
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { gunzipSync } from 'node:zlib';
import { Redis } from 'ioredis';
import { DateTime } from 'luxon';
import { prepareBody } from '../src/cache/store/body.js';
import { parseConfig } from '../src/config.js';
import { openDatabase } from '../src/db/data-source.js';
import { DEMO_TENANTS, seedDemo } from '../src/db/seed.js';
import { localDate } from '../src/time.js';
import { type Case, checkResponses, type Server } from './compression-checks.js';
import { fail, report, type Sample, type Storage, type Stored } from './compression-report.js';
import { startMainProcess } from './lib/child.js';
import { cpuWindow } from './lib/cpu.js';
import { post } from './lib/http.js';
import { interleaved, runLoad } from './lib/load.js';
import { pinSelf, SERVER_CPU } from './lib/pin.js';
import { deleteKeys, scanKeys } from './lib/redis.js';
import { int, median, writeDocSection } from './lib/report.js';
import { benchRedisUrl, positive } from './lib/settings.js';

const durationS = positive('BENCH_DURATION', 5);
const warmupS = positive('BENCH_WARMUP', 1);
const runs = positive('BENCH_RUNS', 3, true);
const redisUrl = benchRedisUrl();

// The servers inherit this process's environment (startMain): settings of the shell's own
// Hotpath (a DATABASE_URL, a CACHE_COMPRESS_MIN_BYTES) would change what is measured.
for (const name of Object.keys(process.env)) {
  if (/^(CACHE_|REDIS_|DATABASE_|LIMIT_|APQ_|SQLITE_PATH$|SEED_DEMO$|PORT$|HOST$)/.test(name))
    delete process.env[name];
}

// Every metric and every dimension: the widest report the API allows. `computedAt` is left
// out: each server computes the report itself, and with it the two bodies would differ in
// that one field, where (b)'s gunzip must equal (a)'s JSON byte for byte.
const REPORT = `query CompressionReport($input: AnalyticsQueryInput!) {
  analytics(input: $input) { id metrics dimensions rows { keys values } totalRows }
}`;

// ---------------------------------------------------------------------------------------------
// HTTP

// ---------------------------------------------------------------------------------------------
// Servers

async function startServer(
  label: string,
  env: Record<string, string>,
  pinned: boolean,
): Promise<Server> {
  const main = await startMainProcess(env, pinned ? SERVER_CPU : undefined);
  return {
    label,
    prefix: env.CACHE_PREFIX,
    url: `http://127.0.0.1:${main.port}/graphql`,
    pid: main.pid,
    stop: () => main.stop(),
  };
}

// ---------------------------------------------------------------------------------------------
// Redis

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
// Load, with every response checked; server and loader CPU over the same window (lib/cpu.ts)

async function load(c: Case, seconds: number): Promise<Sample> {
  const tally = { bad: 0, first: null as string | null };
  const server = cpuWindow(c.server.pid);
  const loader = cpuWindow(process.pid);
  const result = await runLoad({
    url: c.server.url,
    headers: c.headers,
    body: c.body,
    duration: seconds,
    setupClient: (client) => checkResponses(client, c, tally),
    problems: () => [tally.bad && `${tally.bad} responses not as expected (first: ${tally.first})`],
    errorPrefix: `(${c.id}) `,
  });
  return {
    ...result,
    cpuPerRequest: server.perRequest(result.requests),
    loaderCpuPerRequest: loader.perRequest(result.requests),
  };
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const pinned = pinSelf();
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
    const storage: Storage[] = [];
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
        label: '(c) compressed entry, no Accept-Encoding (JSON kept in process)',
        server: gzip,
        headers: plain,
        body,
        expected: json,
        gzip: false,
      },
    ];
    const samples = new Map<Case['id'], Sample[]>(cases.map((c) => [c.id, []]));
    await interleaved(runs, cases, async (c, round) => {
      process.stdout.write(`[${round}/${runs}] ${c.label}: warming up… `);
      await load(c, warmupS);
      process.stdout.write(`measuring ${durationS} s… `);
      const sample = await load(c, durationS);
      samples.get(c.id)?.push(sample);
      console.log(
        `${Math.round(sample.reqPerSec)} req/s, p99 ${sample.p99.toFixed(2)} ms, ` +
          `${Math.round(sample.cpuPerRequest)} µs CPU/req`,
      );
    });
    const markdown = report(storage, cases, samples, {
      pinned,
      loadBefore,
      loadAfter: loadavg(),
      input,
      threshold,
      codec,
      durationS,
      warmupS,
      runs,
    });
    writeDocSection('compression', markdown);
    console.log(`\n${markdown}`);
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    if (redis.status === 'ready') {
      const removed = await deleteKeys(redis, `${base}-*`);
      console.log(`Removed ${removed} Redis keys under ${base}-*`);
    }
    redis.disconnect();
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * What src/cache/body.ts costs for this body, timed in this process (medians of 20): preparing
 * it at save (ETag and gzip, once per save) and inflating it (what (c) would do on every hit
 * without a copy in process).
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

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});

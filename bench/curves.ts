/**
 * `npm run bench:curves`: issue 19's curves, measured in one run and written to
 * docs/benchmarks.md (between the curves markers) with an SVG plot per curve under docs/img/.
 *
 * 1. Cost against body size: the demo's 1.9 KB agenda and agendas of 10, 100 and 400
 *    appointments. For each body: the node:http ceiling writing the same bytes, the memory hit
 *    and the Redis hit with copies in process, each without and with `Accept-Encoding: gzip`,
 *    and the Redis hit without copies (CACHE_NEAR_MAX_BYTES=0): server CPU µs per request and
 *    req/s against the ceiling for that body.
 * 2. Cost against entities: Redis's own CPU per lookup (INFO cpu over the window) without a copy.
 * 3. Cost against writes: the Redis hit with copies while a second Hotpath process books
 *    appointments in another provider's day of the same tenant at 0, 1, 10 and 100 writes/s:
 *    server and Redis µs per hit, and the share of hits served from the copy.
 * Then issue 19's targets, each met or not from the figures of this run.
 *
 * Production mode; every server (bench/server.ts) runs for the whole run. With taskset, the
 * servers under test are on CPU 1; this process (autocannon), the private redis-server and the
 * writer are on CPU 0. Medians of BENCH_ROUNDS (default 3) interleaved rounds, each round every
 * case once in the same order; each case BENCH_WARMUP s (default 1) of load, then BENCH_SECONDS
 * (default 5) measured. Every response is checked: status, X-Cache: HIT, Content-Encoding and
 * the exact bytes. The servers share a PostgreSQL schema of the run's own (BENCH_DATABASE_URL),
 * dropped at the end. Smoke run: BENCH_SECONDS=1 BENCH_WARMUP=0.5 BENCH_ROUNDS=1.
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Redis } from 'ioredis';
import type { DataSource } from 'typeorm';
import { openDatabase } from '../src/db/data-source.js';
import { DEMO_TENANTS, seedDemo } from '../src/db/seed.js';
import { localDate } from '../src/time.js';
import { WARM_DOCUMENTS } from '../src/warming/warming.js';
import { startRedisServer } from '../test/support/redis.js';
import { checkResponses } from './compression-checks.js';
import {
  type BodyFigures,
  type BodyId,
  type BodyInfo,
  CASE_KINDS,
  CASE_LABELS,
  type CaseKind,
  type CurvesRun,
  curvePlots,
  curvesMarkdown,
  evaluateCurveTargets,
  type MissFigures,
  verdictLine,
  type WriteFigures,
} from './curves-report.js';
import { type BenchServer, inheritedEnv, startBenchServer } from './lib/child.js';
import { cpuSample, othersShare } from './lib/cpu.js';
import { type Answer, post } from './lib/http.js';
import { interleaved, runLoad } from './lib/load.js';
import { LOADER_CPU, pinProcess, pinSelf, SERVER_CPU } from './lib/pin.js';
import { commandCalls } from './lib/redis.js';
import { byRound, docPath, median, medianOf, writeDocSection } from './lib/report.js';
import { seedAppointments, seedProvider, seedTenant } from './lib/seed.js';
import { positive } from './lib/settings.js';
import { linePlot } from './lib/svg.js';
import { measureMisses, pairedRatio } from './miss.js';
import { METRICS_TOKEN } from './run-checks.js';
import { gitCommit } from './run-report.js';

const seconds = positive('BENCH_SECONDS', 5);
/** The most a ceiling may move between rounds (max ÷ min − 1) before the run is NOISY. */
const MAX_SPREAD = 0.15;
/** max ÷ min − 1 of positive figures; 0 for fewer than two. */
const spread = (values: number[]) => {
  const kept = values.filter((v) => v > 0);
  return kept.length < 2 ? 0 : Math.max(...kept) / Math.min(...kept) - 1;
};
const warmup = positive('BENCH_WARMUP', 1);
const rounds = positive('BENCH_ROUNDS', 3, true);
const writeRates = (process.env.BENCH_WRITE_RATES ?? '0,1,10,100')
  .split(',')
  .map((r) => Number(r.trim()));
if (writeRates.some((r) => !Number.isFinite(r) || r < 0))
  throw new Error('BENCH_WRITE_RATES: comma-separated writes per second, each 0 or more');
/** The agendas of curve 1, by appointments. */
const SIZES = [10, 100, 400] as const;
/** Curve 3's body: the middle agenda, read with gzip (no inflate in the figure). */
const WRITES_BODY: BodyId = 'a100';
const WARM_REQUESTS = 20;
const imgDir = join(dirname(docPath), 'img');
const databaseUrl = process.env.BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';

/** One body served one way (curve 1), checked against `expected`. */
function caseOf(
  body: BodyId,
  kind: CaseKind,
  server: BenchServer,
  headers: Record<string, string>,
  request: string,
  expected: Buffer,
  gzip: boolean,
): Case {
  return {
    id: `${body}/${kind}`,
    label: `${body}, ${CASE_LABELS[kind]}`,
    body,
    kind,
    rate: null,
    server,
    headers,
    request,
    expected,
    gzip,
    redis: kind.startsWith('redis'),
  };
}

function fail(message: string): never {
  throw new Error(`bench:curves: ${message}`);
}

// ---------------------------------------------------------------------------------------------
// HTTP

/** Hotpath's hits and the hits served from the copy, from /metrics. */
async function hitCounters(port: number): Promise<{ hits: number; near: number }> {
  const text = await (
    await fetch(`http://127.0.0.1:${port}/metrics`, {
      headers: { authorization: `Bearer ${METRICS_TOKEN}` },
    })
  ).text();
  const count = (pattern: RegExp) => Number(pattern.exec(text)?.[1] ?? 0);
  return {
    hits: count(/^hotpath_cache_requests_total\{[^}]*outcome="hit"[^}]*\} (\d+)/m),
    near: count(/^hotpath_cache_near_hits_total(?:\{\})? (\d+)/m),
  };
}

// ---------------------------------------------------------------------------------------------
// The writer of curve 3: books at `rate` per second, at most 8 bookings in flight.

interface Writer {
  /** Bookings answered so far. */
  done: () => number;
  stop: () => Promise<void>;
}

function startWriter(rate: number, book: () => Promise<void>): Writer {
  let done = 0;
  let stopped = false;
  let error: unknown = null;
  const inFlight = new Set<Promise<void>>();
  const loop = (async () => {
    if (rate <= 0) return;
    const period = 1000 / rate;
    const start = performance.now();
    for (let i = 0; !stopped; i++) {
      const wait = start + i * period - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      if (stopped) break;
      if (inFlight.size >= 8) await Promise.race(inFlight);
      const booking = book().then(
        () => {
          done++;
        },
        (e: unknown) => {
          error ??= e;
        },
      );
      inFlight.add(booking);
      booking.finally(() => inFlight.delete(booking));
    }
  })();
  return {
    done: () => done,
    stop: async () => {
      stopped = true;
      await loop;
      await Promise.all(inFlight);
      if (error) fail(`a booking failed: ${error instanceof Error ? error.message : error}`);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Cases

interface Case {
  id: string;
  label: string;
  body: BodyId;
  kind: CaseKind;
  /** Curve 3's write rate; null for curve 1's cases. */
  rate: number | null;
  server: BenchServer;
  headers: Record<string, string>;
  request: string;
  expected: Buffer;
  gzip: boolean;
  redis: boolean;
}

interface Sample {
  reqPerSec: number;
  p99: number;
  serverUs: number;
  redisUs: number;
  nearShare: number | null;
  fullReads: number | null;
  writes: number;
  writesPerSec: number;
  others: number | null;
  /**
   * Copy checks (MGET) and whole-entry reads per request, from INFO commandstats: a read sends
   * one PTTL, in the lookup script or without it.
   */
  checks: number;
  reads: number;
}

async function measure(
  c: Case,
  redis: Redis,
  url: (port: number) => string,
  writerBook: (() => Promise<void>) | null,
): Promise<Sample> {
  const writer = c.rate !== null && writerBook ? startWriter(c.rate, writerBook) : null;
  try {
    const tally = { bad: 0, first: null as string | null };
    const load = (duration: number) =>
      runLoad({
        url: url(c.server.port),
        headers: c.headers,
        body: c.request,
        duration,
        ...(c.kind === 'ceiling' || c.kind === 'http'
          ? { expectBody: c.expected.toString('utf8') }
          : { setupClient: (client) => checkResponses(client, c, tally) }),
        problems: (result) => [
          result.mismatches && `${result.mismatches} bodies differ from the ceiling's`,
          tally.bad && `${tally.bad} responses not as expected (first: ${tally.first})`,
        ],
        errorPrefix: `bench:curves (${c.label}): `,
      });
    // The previous case may have left the server a backlog (50 connections of a slow hit):
    // one answered request first, so the warm-up doesn't start behind it. A warm-up that got
    // no response in time is no error; the measured load checks every response again.
    await post(url(c.server.port), c.headers, c.request);
    await load(warmup).catch((error: unknown) => {
      if (!String(error).includes('no responses')) throw error;
    });
    const metrics = c.kind !== 'ceiling' && c.redis;
    const countersBefore = metrics ? await hitCounters(c.server.port) : null;
    const writesBefore = writer?.done() ?? 0;
    const callsBefore = commandCalls(await redis.info('commandstats'));
    const before = cpuSample(c.server.pid, await redis.info('cpu'));
    const t0 = performance.now();
    const measured = await load(seconds);
    const elapsed = (performance.now() - t0) / 1000;
    const after = cpuSample(c.server.pid, await redis.info('cpu'));
    const callsAfter = commandCalls(await redis.info('commandstats'));
    const per = (name: string) =>
      ((callsAfter.get(name) ?? 0) - (callsBefore.get(name) ?? 0)) / measured.requests;
    const writes = (writer?.done() ?? 0) - writesBefore;
    const countersAfter = metrics ? await hitCounters(c.server.port) : null;
    const hits = countersBefore && countersAfter ? countersAfter.hits - countersBefore.hits : null;
    const near = countersBefore && countersAfter ? countersAfter.near - countersBefore.near : null;
    return {
      reqPerSec: measured.reqPerSec,
      p99: measured.p99,
      serverUs: ((after.server - before.server) * 1e6) / measured.requests,
      redisUs: ((after.redis - before.redis) * 1e6) / measured.requests,
      nearShare: hits && near !== null ? near / hits : null,
      fullReads: hits !== null && near !== null ? hits - near : null,
      writes,
      writesPerSec: writes / elapsed,
      others: othersShare(before, after),
      checks: per('mget'),
      reads: per('pttl'),
    };
  } finally {
    await writer?.stop();
  }
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const pinned = pinSelf();
  const loadBefore = loadavg();
  const work = mkdtempSync(join(tmpdir(), 'hotpath-curves-'));
  // PostgreSQL, as a fleet runs: the writer and three readers share it (on one SQLite file the
  // readers' outbox transactions, interleaved with their hits, held the lock past its timeout).
  const schema = `hp_curves_${randomBytes(4).toString('hex')}`;
  let db: DataSource | null = null;
  const prefix = `hp-curves-${randomBytes(4).toString('hex')}`;
  const servers: BenchServer[] = [];
  // Redis CPU per lookup is read from INFO: a Redis of its own, so that nobody else's commands
  // count (and the shared one is never flushed or stopped).
  const redisServer = await startRedisServer();
  const redis = new Redis(redisServer.url, { maxRetriesPerRequest: 1 });
  console.log(
    `Node ${process.version}, ${cpus().length} cores, load ${loadBefore.map((l) => l.toFixed(2)).join(' / ')}; ` +
      `${rounds} round(s) of ${warmup} + ${seconds} s; private Redis on ${redisServer.url}`,
  );
  if (!pinned) console.warn('Not pinned: taskset is missing or the machine has one core.');
  try {
    const redisPid = Number(/^process_id:(\d+)/m.exec(await redis.info('server'))?.[1]);
    if (pinned && redisPid) pinProcess(redisPid, LOADER_CPU);

    // The demo (its first user's agenda of today: the 1.9 KB body), then a tenant of our own
    // with a provider per agenda size and one more that the writer books for.
    db = await openDatabase({ url: databaseUrl, sqlitePath: '', schema }).catch((error) =>
      fail(`needs PostgreSQL at ${databaseUrl} (BENCH_DATABASE_URL): ${error}`),
    );
    const seed = await seedDemo(db);
    const demo = DEMO_TENANTS[0];
    const demoTenant = seed.tenants.find((t) => t.id === demo.id) ?? fail('no demo tenant');
    const demoUser = demoTenant.users[0] ?? fail('no demo user');
    const workload = {
      userId: demoUser.id,
      date: localDate(new Date(), demoTenant.timezone),
      headers: { authorization: `Bearer ${demo.apiKey}` },
    };
    const today = new Date().toISOString().slice(0, 10);
    const tenant = await seedTenant(db, 'Curves bench', 'UTC');
    const agendas: { id: BodyId; userId: string; date: string; key: string }[] = [
      {
        id: 'demo',
        userId: workload.userId,
        date: workload.date,
        key: workload.headers.authorization,
      },
    ];
    for (const size of SIZES) {
      const provider = await seedProvider(db, tenant.id, `Provider of ${size}`);
      await seedAppointments(db, { tenantId: tenant.id, ...provider }, today, size);
      agendas.push({
        id: `a${size}` as BodyId,
        userId: provider.userId,
        date: today,
        key: `Bearer ${tenant.key}`,
      });
    }
    const elsewhere = await seedProvider(db, tenant.id, 'Provider booked by the writer');

    const base = {
      ...inheritedEnv(),
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      OPS_TOKEN: `ops_${randomBytes(24).toString('base64url')}`,
      METRICS_TOKEN,
      DATABASE_URL: databaseUrl,
      DATABASE_SCHEMA: schema,
      SEED_DEMO: 'false',
      CACHE_PREFIX: prefix,
      CACHE_WARM_INTERVAL: '0',
      // As bench:layout: a busy machine must not turn the hits measured into timeouts.
      CACHE_TIMEOUT_MS: '1000',
    };
    const start = async (env: Record<string, string>, cpu: number | undefined) => {
      const server = await startBenchServer(
        { ...base, BENCH_TARGET: 'hotpath', ...env },
        {
          ...(pinned && cpu !== undefined ? { cpu } : {}),
        },
      );
      servers.push(server);
      return server;
    };
    process.stdout.write('Starting the servers… ');
    const memory = await start({}, SERVER_CPU);
    const withCopies = await start({ REDIS_URL: redisServer.url }, SERVER_CPU);
    const noCopies = await start(
      { REDIS_URL: redisServer.url, CACHE_NEAR_MAX_BYTES: '0' },
      SERVER_CPU,
    );
    const writerServer = await start({ REDIS_URL: redisServer.url }, LOADER_CPU);
    console.log('done');

    const url = (port: number) => `http://127.0.0.1:${port}/graphql`;
    const hotpathServers: Record<Exclude<CaseKind, 'ceiling' | 'http'>, BenchServer> = {
      memory,
      'memory-gzip': memory,
      redis: withCopies,
      'redis-gzip': withCopies,
      'redis-nocopy': noCopies,
    };

    // Warm every server on every body, plain and gzip; keep the bytes each must repeat.
    const bodies: BodyInfo[] = [];
    const cases: Case[] = [];
    for (const agenda of agendas) {
      const requestBody = JSON.stringify({
        query: WARM_DOCUMENTS.agenda,
        variables: { userId: agenda.userId, date: agenda.date },
      });
      const plainHeaders = { 'content-type': 'application/json', authorization: agenda.key };
      const gzipHeaders = { ...plainHeaders, 'accept-encoding': 'gzip' };
      let plain: Answer | null = null;
      let zipped: Answer | null = null;
      for (const kind of CASE_KINDS) {
        if (kind === 'ceiling' || kind === 'http') continue;
        const server = hotpathServers[kind];
        const headers = kind.endsWith('gzip') ? gzipHeaders : plainHeaders;
        let last: Answer | null = null;
        for (let i = 0; i < WARM_REQUESTS; i++)
          last = await post(url(server.port), headers, requestBody);
        if (last?.status !== 200 || last.headers['x-cache'] !== 'HIT')
          fail(
            `${CASE_LABELS[kind]}, ${agenda.id}: ${last?.status} X-Cache ${last?.headers['x-cache']} after warming: ${last?.body.toString().slice(0, 300)}`,
          );
        const gzip = last.headers['content-encoding'] === 'gzip';
        const json = gzip ? gunzipSync(last.body) : last.body;
        const parsed = JSON.parse(json.toString()) as {
          data?: { agenda?: { appointments?: unknown[] } };
        };
        const appointments = parsed.data?.agenda?.appointments?.length ?? 0;
        if (appointments === 0) fail(`${agenda.id}: the agenda has no appointments`);
        if (plain && !json.equals(plain.body))
          fail(`${CASE_LABELS[kind]}, ${agenda.id}: not the same JSON as the other servers`);
        if (!plain && !gzip) plain = last;
        if (gzip || (kind.endsWith('gzip') && !zipped)) zipped = last;
        cases.push(caseOf(agenda.id, kind, server, headers, requestBody, last.body, gzip));
      }
      if (!plain) fail(`${agenda.id}: no plain answer`);
      const answered = plain;
      const appointments = (
        JSON.parse(answered.body.toString()) as { data: { agenda: { appointments: unknown[] } } }
      ).data.agenda.appointments.length;
      bodies.push({
        id: agenda.id,
        appointments,
        bytes: answered.body.length,
        gzipBytes: zipped?.body.length ?? answered.body.length,
      });
      // The ceiling writes the plain bytes, with Hotpath's content type.
      const bodyFile = join(work, `${agenda.id}.json`);
      writeFileSync(bodyFile, answered.body);
      // The ceiling, and node:http doing a hit's HTTP work around the same bytes (`http`).
      const references = await Promise.all(
        (['ceiling', 'http'] as const).map(async (kind) => {
          const server = await startBenchServer(
            {
              ...base,
              BENCH_TARGET: 'ceiling',
              BENCH_BODY_FILE: bodyFile,
              BENCH_CONTENT_TYPE: String(answered.headers['content-type'] ?? 'application/json'),
              ...(kind === 'http' ? { BENCH_CEILING_HTTP: '1' } : {}),
            },
            pinned ? { cpu: SERVER_CPU } : {},
          );
          servers.push(server);
          return caseOf(agenda.id, kind, server, plainHeaders, requestBody, answered.body, false);
        }),
      );
      cases.splice(cases.length - 5, 0, ...references);
      console.log(
        `${agenda.id}: ${appointments} appointments, ${answered.body.length} bytes (${zipped?.body.length ?? '-'} with gzip)`,
      );
    }

    // Curve 3: the Redis hit with copies of WRITES_BODY with gzip, at each write rate.
    const writesCase = cases.find((c) => c.id === `${WRITES_BODY}/redis-gzip`) ?? fail('no case');
    for (const rate of writeRates)
      cases.push({ ...writesCase, id: `writes/${rate}`, label: `${rate} writes/s`, rate });
    let booked = 0;
    const bookElsewhere = async () => {
      const startsAt = new Date(Date.parse(`${today}T00:00:00Z`) + (booked++ % 1440) * 60_000);
      const response = await fetch(url(writerServer.port), {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${tenant.key}` },
        body: JSON.stringify({
          query:
            'mutation CurvesBook($i: CreateAppointmentInput!) { createAppointment(input: $i) { id } }',
          variables: {
            i: {
              userId: elsewhere.userId,
              serviceId: elsewhere.serviceId,
              clientName: 'Writer',
              startsAt: startsAt.toISOString(),
            },
          },
        }),
      });
      const text = await response.text();
      if (response.status !== 200 || !text.includes('"createAppointment":{"id"'))
        throw new Error(`HTTP ${response.status}: ${text.slice(0, 300)}`);
    };

    const samples = new Map<string, Sample[]>(cases.map((c) => [c.id, []]));
    // Every other round the other way (a, b, b, a): a drift within a round touches a hit and
    // its ceiling alike.
    await interleaved(
      rounds,
      cases,
      async (c, round) => {
        process.stdout.write(`[${round}/${rounds}] ${c.label}… `);
        const sample = await measure(c, redis, url, bookElsewhere);
        samples.get(c.id)?.push(sample);
        console.log(
          `${Math.round(sample.reqPerSec)} req/s, ${Math.round(sample.serverUs)} µs server` +
            (c.redis ? `, ${sample.redisUs.toFixed(1)} µs Redis` : '') +
            (sample.nearShare === null ? '' : `, ${(sample.nearShare * 100).toFixed(1)}% copies`) +
            (c.redis
              ? `, ${sample.checks.toFixed(2)} MGET and ${sample.reads.toFixed(2)} entry reads per hit`
              : '') +
            (c.rate === null ? '' : `, ${sample.writesPerSec.toFixed(1)} writes/s`),
        );
      },
      { alternate: true },
    );

    const med = (id: string, pick: (s: Sample) => number | null) =>
      medianOf(samples.get(id) ?? [], pick);
    // A hit against its body's ceiling in the same round, median over rounds: the two windows
    // are seconds apart, where medians of each are taken over rounds minutes apart (a machine
    // whose speed moved between rounds moves both sides of a paired ratio alike).
    const pairedMedian = (c: Case, pick: (hit: Sample, ceiling: Sample) => number) => {
      const ceilingId = `${c.body}/ceiling`;
      if (c.kind === 'ceiling') return null;
      const ratios = byRound(samples.get(c.id) ?? [], samples.get(ceilingId) ?? [], pick);
      return ratios.length === 0 ? null : median(ratios);
    };
    const figures: BodyFigures[] = cases
      .filter((c) => c.rate === null)
      .map((c) => ({
        body: c.body,
        kind: c.kind,
        reqPerSec: med(c.id, (s) => s.reqPerSec) ?? 0,
        p99: med(c.id, (s) => s.p99) ?? 0,
        serverUs: med(c.id, (s) => s.serverUs) ?? 0,
        shareOfCeiling: pairedMedian(c, (hit, ceiling) => hit.reqPerSec / ceiling.reqPerSec),
        cpuOfCeiling: pairedMedian(c, (hit, ceiling) => hit.serverUs / ceiling.serverUs),
        redisUs: c.redis ? med(c.id, (s) => s.redisUs) : null,
        nearShare: c.redis ? med(c.id, (s) => s.nearShare) : null,
      }));
    const writes: WriteFigures[] = cases
      .filter((c): c is Case & { rate: number } => c.rate !== null)
      .map((c) => ({
        rate: c.rate,
        writesPerSec: med(c.id, (s) => s.writesPerSec) ?? 0,
        reqPerSec: med(c.id, (s) => s.reqPerSec) ?? 0,
        serverUs: med(c.id, (s) => s.serverUs) ?? 0,
        redisUs: med(c.id, (s) => s.redisUs) ?? 0,
        nearShare: med(c.id, (s) => s.nearShare),
        fullReadsPerWrite:
          c.rate > 0
            ? med(c.id, (s) =>
                s.writes > 0 && s.fullReads !== null ? s.fullReads / s.writes : null,
              )
            : null,
      }));

    // ---- Misses (bench/miss.ts) -------------------------------------------------------------
    // The 10-appointment agenda, a new cache key each request: the miss ceiling (same SQL, JSON
    // by hand), Hotpath with the cache off and on Redis. The cache's share is what Redis adds to
    // the cache-off miss; the miss compared with the ceiling is the one a deployment pays.
    console.log('Misses: the 10-appointment agenda, ceiling, cache off, Redis');
    const missed = await measureMisses({
      sizes: [10],
      rounds,
      durationS: seconds,
      warmupS: warmup,
      targets: ['ceiling', 'off', 'redis'],
    });
    const missRow = missed.rows[0];
    const missOn = missRow?.cpuUs.redis;
    const missCeiling = missRow?.cpuUs.ceiling;
    // Each round's own ratio, medians over rounds (bench/miss.ts: pairedRatio).
    const overhead = missRow && pairedRatio(missRow, 'redis', 'off');
    const toCeiling = missRow && pairedRatio(missRow, 'redis', 'ceiling');
    const misses: MissFigures | null =
      overhead && toCeiling && missOn && missCeiling
        ? {
            cacheShare: overhead.median - 1,
            missToCeiling: toCeiling.median,
            missUs: missOn,
            missCeilingUs: missCeiling,
          }
        : null;
    // -----------------------------------------------------------------------------------------

    const run: CurvesRun = { bodies, figures, writes, writesBody: WRITES_BODY, misses };
    const others = medianOf([...samples.values()].flat(), (s) => s.others);
    const loadAfter = loadavg();
    // A machine whose speed changes between rounds (another tenant of the host) moves the
    // ceilings with it, and ratios to a ceiling that slowed down look better than they are:
    // the most any ceiling, or the cache-off miss, moved between rounds.
    const moved = Math.max(
      ...cases
        .filter((c) => c.kind === 'ceiling')
        .map((c) => spread((samples.get(c.id) ?? []).map((x) => x.reqPerSec))),
      spread(missRow?.samples.off ?? []),
    );
    const noisy = [
      moved > MAX_SPREAD
        ? `the machine's speed changed between rounds: a ceiling or the cache-off miss moved by ${(moved * 100).toFixed(0)}%`
        : null,
      rounds < 3 || seconds < 3 ? `a short run (${rounds} round(s) of ${seconds} s)` : null,
      loadBefore[0] > 1 ? `load average ${loadBefore[0].toFixed(2)} before the run` : null,
      others !== null && others > 0.05
        ? `other processes took ${(others * 100).toFixed(0)}% of the CPU while measuring`
        : null,
      process.env.BENCH_NOISY ? process.env.BENCH_NOISY : null,
    ].filter(Boolean);
    const markdown = curvesMarkdown(run, {
      date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      commit: gitCommit(),
      machine: `${cpus()[0]?.model.trim() ?? 'unknown CPU'}, ${cpus().length} cores`,
      pinned,
      loadBefore,
      loadAfter,
      othersShare: others,
      rounds,
      seconds,
      warmup,
      noisy: noisy.length ? noisy.join('; ') : null,
    });
    mkdirSync(imgDir, { recursive: true });
    for (const plot of curvePlots(run)) writeFileSync(join(imgDir, plot.file), linePlot(plot.spec));
    writeDocSection('curves', markdown);
    console.log('\nTargets (issue 19):');
    for (const verdict of evaluateCurveTargets(run)) console.log(`  ${verdictLine(verdict)}`);
    console.log(`\nWritten to ${docPath} (curves section) and ${imgDir}/curves-*.svg`);
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    redis.disconnect();
    await redisServer.stop();
    if (db) {
      await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => {});
      await db.destroy();
    }
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(`\n${error instanceof Error ? error.message : error}`);
  process.exitCode = 1;
});

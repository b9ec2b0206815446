/**
 * `npm run bench:miss`: what an agenda miss costs (issue 19), as server CPU per request, for
 * the miss ceiling (bench/lib/miss-ceiling.ts: the same SQL through the same driver, JSON
 * written by hand), Hotpath with the cache off, with the memory store and with Redis.
 *
 * A fresh SQLite file holds one tenant with one provider per size: days of 10, 100 and 400
 * appointments (BENCH_MISS_SIZES), five services each. Every request asks for one of those days
 * with a variable the document doesn't declare (`missId`, new for each request; graphql-js
 * ignores it), so its cache key has never been seen and every request misses and executes,
 * reading the same rows the ceiling reads. Before each measured load the bench checks that the
 * target answers exactly the ceiling's JSON, and after it, from /metrics, that no request hit.
 *
 * Every target is one process for the whole run, pinned to SERVER_CPU (the bench on LOADER_CPU).
 * BENCH_RUNS rounds (default 3) measure every target and size, in one order in odd rounds and
 * the reverse in even ones; figures are medians per target and size, and the ratios between
 * targets (cache overhead, miss ÷ ceiling) are medians of each round's own ratio (pairedRatio):
 * on a machine whose speed moves by tens of percent over minutes, two windows seconds apart are
 * compared, not two medians of windows minutes apart.
 * BENCH_DURATION (default 4 s) and BENCH_WARMUP (default 1 s) per size. Before the first
 * round, every target gets WARM_ROUND_S of misses (shared by the sizes), not measured: a fresh
 * process's first windows cost up to twice the later ones (most of it on V8's helper threads),
 * which put the first round of every run out of line with the others. 3 s of warming still did;
 * 12 s did not (issue 19).
 *
 * BENCH_MISS_PROFILE=<dir>: one more pass of Hotpath (cache off, memory, Redis) under
 * `node --cpu-prof`, whose measured window is broken down by bench/lib/profile.ts into where
 * a miss goes (README: Where a miss goes).
 *
 * measureMisses() is what bench/curves.ts calls; main() writes the table to docs/benchmarks.md
 * between the miss markers.
 */
import 'reflect-metadata';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import { openDatabase } from '../src/db/data-source.js';
import { Appointment } from '../src/db/entities/appointment.entity.js';
import { Service } from '../src/db/entities/service.entity.js';
import { dayRange } from '../src/time.js';
import { WARM_DOCUMENTS } from '../src/warming/warming.js';
import {
  type BenchServer,
  type Checkout,
  checkOut,
  inheritedEnv,
  root,
  startBenchServer,
} from './lib/child.js';
import { cpuWindow } from './lib/cpu.js';
import { interleaved } from './lib/load.js';
import { createMissCeiling } from './lib/miss-ceiling.js';
import { pinSelf, SERVER_CPU } from './lib/pin.js';
import { MISS_PARTS, type MissPart, missBreakdown, readProfile } from './lib/profile.js';
import { deleteKeys } from './lib/redis.js';
import { byRound, int, loads, markdownTable, median, writeDocSection } from './lib/report.js';
import { seedProvider, seedTenant } from './lib/seed.js';
import { benchRedisUrl, positive } from './lib/settings.js';
import type { PlainPeer } from './peers.js';
import { cacheOutcomes, METRICS_TOKEN } from './run-checks.js';

/**
 * `base`: the Redis target run from another commit (BENCH_MISS_BASE), checked out beside this
 * one: a change to the miss is measured against the code before it, round by round.
 */
export const MISS_TARGETS = [
  'ceiling',
  'yoga',
  'mercurius',
  'bare',
  'off',
  'memory',
  'redis',
  'base',
] as const;
export type MissTarget = (typeof MISS_TARGETS)[number];
/**
 * The same schema, resolvers, DataLoaders and SQLite file in another server, without any cache
 * (bench/peers.ts PLAIN_PEERS): what the miss costs where Hotpath's own code decides nothing
 * but the schema. And `bare` (bench/server.ts): Hotpath with the cache off, each request run
 * by Yoga's getResultForParams with none of Yoga's HTTP handling around it, which is not a
 * server to deploy but the measure of what a miss path beside Yoga could save at most. Not run
 * by default (BENCH_MISS_TARGETS names them).
 */
const PLAIN: Partial<Record<MissTarget, PlainPeer | 'hotpath-bare'>> = {
  yoga: 'yoga-plain',
  mercurius: 'mercurius-jit-plain',
  bare: 'hotpath-bare',
};
/** The targets that run when BENCH_MISS_TARGETS doesn't say (base: with BENCH_MISS_BASE). */
const DEFAULT_TARGETS: readonly MissTarget[] = ['ceiling', 'off', 'memory', 'redis', 'base'];

/** The targets BENCH_MISS_PROFILE profiles (of those that run): every Hotpath one. */
const PROFILED = ['off', 'memory', 'redis'] as const;
type ProfiledTarget = (typeof PROFILED)[number];

export const MISS_TARGET_LABELS: Record<MissTarget, string> = {
  ceiling: 'miss ceiling (same SQL, JSON by hand)',
  yoga: 'graphql-yoga alone (same schema, no cache, no plugins)',
  mercurius: 'mercurius with graphql-jit alone (same schema, no cache)',
  bare: "Hotpath, cache off, without Yoga's HTTP handling",
  off: 'Hotpath, cache off',
  memory: 'Hotpath, memory store',
  redis: 'Hotpath, Redis store',
  base: 'Hotpath, Redis store, BENCH_MISS_BASE',
};

export interface MissOptions {
  /** Appointments in the day asked for; default BENCH_MISS_SIZES or 10, 100, 400. */
  sizes?: number[];
  /** Interleaved rounds; default BENCH_RUNS or 3. */
  rounds?: number;
  /** Seconds measured per size and target; default BENCH_DURATION or 4. */
  durationS?: number;
  /** Seconds of misses before each measured window; default BENCH_WARMUP or 1. */
  warmupS?: number;
  /** Which targets run; default ceiling, off, memory and redis, and `base` with a base. */
  targets?: readonly MissTarget[];
  /** A commit whose Redis target runs as `base`; default BENCH_MISS_BASE. */
  base?: string;
  redisUrl?: string;
  /** A directory: also profile Hotpath (cache off, memory, Redis) and break the window down. */
  profileDir?: string;
  /** Progress lines; default stdout. */
  log?: (line: string) => void;
}

export interface MissRow {
  appointments: number;
  /** Bytes of the agenda's JSON. */
  bytes: number;
  /** Median server CPU µs per request of each target that ran. */
  cpuUs: Partial<Record<MissTarget, number>>;
  /** Every round's figure, per target. */
  samples: Partial<Record<MissTarget, number[]>>;
  /** Of cpuUs, the median µs on the server's main thread (the rest: V8's helper threads). */
  mainUs: Partial<Record<MissTarget, number>>;
  mainSamples: Partial<Record<MissTarget, number[]>>;
}

export interface MissFigures {
  rows: MissRow[];
  rounds: number;
  durationS: number;
  pinned: boolean;
  /** Load averages before and after (1/5/15 min). */
  loadBefore: number[];
  loadAfter: number[];
  /** Where a miss went, per profiled target (shares of the window's samples). */
  profiles: Partial<Record<ProfiledTarget, { shares: Record<MissPart, number>; samples: number }>>;
}

const DAYS = ['2026-03-02', '2026-03-03', '2026-03-04', '2026-03-05', '2026-03-06'];
const TIMEZONE = 'America/Sao_Paulo';
const SERVICES_PER_PROVIDER = 5;

interface Seeded {
  tenantId: string;
  key: string;
  providers: Map<number, string>;
}

/** One tenant, one provider per size, each day of DAYS holding `size` appointments. */
async function seed(sqlitePath: string, sizes: number[]): Promise<Seeded> {
  const db = await openDatabase({ sqlitePath });
  try {
    const tenant = await seedTenant(db, 'Miss bench', TIMEZONE);
    const providers = new Map<number, string>();
    for (const size of sizes) {
      const { userId, serviceId } = await seedProvider(db, tenant.id, `Provider of ${size}`);
      providers.set(size, userId);
      const services = [serviceId];
      for (let i = 1; i < SERVICES_PER_PROVIDER; i++) {
        const service = await db.getRepository(Service).save({
          id: randomUUID(),
          tenantId: tenant.id,
          userId,
          name: `Service ${i} "special" ção`,
          durationMinutes: 15 * i,
          priceCents: 1_000 * i,
          active: true,
          createdAt: new Date(),
          deletedAt: null,
        });
        services.push(service.id);
      }
      const rows: Partial<Appointment>[] = [];
      for (const day of DAYS) {
        const { start } = dayRange(day, TIMEZONE);
        for (let i = 0; i < size; i++) {
          const startsAt = new Date(start.getTime() + Math.floor((i * 86_400_000) / size));
          rows.push({
            id: randomUUID(),
            tenantId: tenant.id,
            userId,
            serviceId: services[i % services.length],
            clientName: `Client ${i}`,
            startsAt,
            endsAt: new Date(startsAt.getTime() + 15 * 60_000),
            status: i % 7 === 0 ? 'CANCELLED' : i % 3 === 0 ? 'CONFIRMED' : 'PENDING',
            createdAt: new Date(),
            updatedAt: new Date(),
          });
        }
      }
      for (let i = 0; i < rows.length; i += 200)
        await db.getRepository(Appointment).insert(rows.slice(i, i + 200));
    }
    return { tenantId: tenant.id, key: tenant.key, providers };
  } finally {
    await db.destroy();
  }
}

/** Hotpath itself (its /metrics and X-Cache are checked), not the ceiling or another server. */
const isHotpath = (target: MissTarget) => target !== 'ceiling' && PLAIN[target] === undefined;

/** Seconds of unmeasured misses per target before the first round (see above). */
const WARM_ROUND_S = 12;

let missCounter = 0;
/** A request for one of the provider's days that no cache has seen. */
function missBody(userId: string, runId: string) {
  const n = missCounter++;
  return JSON.stringify({
    query: WARM_DOCUMENTS.agenda,
    variables: { userId, date: DAYS[n % DAYS.length], missId: `${runId}-${n}` },
  });
}

/**
 * Connections of the miss load: enough to keep the pinned server busy (a miss waits on nothing
 * but its own CPU, SQLite being in process), few enough that a request doesn't queue for
 * seconds behind the others on a loaded machine.
 */
export const MISS_CONNECTIONS = positive('BENCH_MISS_CONNECTIONS', 10, true);

/** Misses from MISS_CONNECTIONS connections for `seconds`; rejects on any non-2xx or error. */
function missLoad(port: number, headers: Record<string, string>, userId: string, runId: string) {
  return (seconds: number) =>
    new Promise<number>((resolve, reject) => {
      let answered = 0;
      const instance = autocannon(
        {
          url: `http://127.0.0.1:${port}/graphql`,
          method: 'POST',
          headers,
          connections: MISS_CONNECTIONS,
          duration: seconds,
          requests: [
            {
              setupRequest: (request) => ({ ...request, body: missBody(userId, runId) }),
            },
          ],
        },
        (error, result) => {
          if (error) return reject(error);
          const problems = [
            result.non2xx && `${result.non2xx} non-2xx responses`,
            result.errors && `${result.errors} errors (${result.timeouts} timeouts)`,
          ].filter(Boolean);
          if (answered === 0) problems.push('no responses');
          if (problems.length > 0) return reject(new Error(`bench:miss: ${problems.join(', ')}`));
          resolve(answered);
        },
      );
      instance.on('response', () => {
        answered++;
      });
    });
}

/** Measures misses as server CPU µs per request: see the file's comment. */
export async function measureMisses(options: MissOptions = {}): Promise<MissFigures> {
  const log = options.log ?? ((line: string) => console.log(line));
  const sizes =
    options.sizes ??
    (process.env.BENCH_MISS_SIZES ?? '10,100,400').split(',').map((s) => Number(s.trim()));
  const rounds = options.rounds ?? positive('BENCH_RUNS', 3, true);
  const durationS = options.durationS ?? positive('BENCH_DURATION', 4);
  const warmupS = options.warmupS ?? positive('BENCH_WARMUP', 1);
  const base = options.base ?? process.env.BENCH_MISS_BASE;
  const targets =
    options.targets ??
    process.env.BENCH_MISS_TARGETS?.split(',').map((t) => t.trim() as MissTarget) ??
    DEFAULT_TARGETS.filter((t) => t !== 'base' || base);
  for (const target of targets)
    if (!MISS_TARGETS.includes(target)) throw new Error(`bench:miss: no target ${target}`);
  if (targets.includes('base') && !base)
    throw new Error('bench:miss: the base target needs BENCH_MISS_BASE (a commit)');
  const redisUrl = options.redisUrl ?? benchRedisUrl();
  const pinned = pinSelf();
  const loadBefore = loadavg();
  const work = mkdtempSync(join(tmpdir(), 'hotpath-miss-'));
  const sqlitePath = join(work, 'miss.sqlite');
  const prefix = `hotpath-miss-${randomBytes(4).toString('hex')}`;
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  const runId = randomBytes(4).toString('hex');
  /** Every target's server, started once for the whole run (see the file's comment). */
  const running = new Map<MissTarget, BenchServer>();
  let baseCheckout: Checkout | null = null;
  try {
    if (targets.includes('base')) {
      baseCheckout = checkOut(base as string, join(work, 'base'));
      log(`base: ${baseCheckout.commit} (BENCH_MISS_BASE), beside this checkout`);
    }
    const seeded = await seed(sqlitePath, sizes);
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${seeded.key}` };
    const reference = createMissCeiling({
      sqlitePath,
      tenantId: seeded.tenantId,
      timezone: TIMEZONE,
    });
    const rows: MissRow[] = sizes.map((appointments) => ({
      appointments,
      bytes: Buffer.byteLength(
        reference.agendaJson(seeded.providers.get(appointments) ?? '', DAYS[0]) ?? '',
      ),
      cpuUs: {},
      samples: {},
      mainUs: {},
      mainSamples: {},
    }));
    const env = {
      ...inheritedEnv(),
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      OPS_TOKEN: `ops_${randomBytes(24).toString('base64url')}`,
      METRICS_TOKEN,
      SQLITE_PATH: sqlitePath,
      CACHE_PREFIX: `${prefix}.hotpath`,
      CACHE_WARM_INTERVAL: '0',
    };
    const envOf = (target: MissTarget): Record<string, string> => {
      switch (target) {
        case 'yoga':
        case 'mercurius':
        case 'bare':
          return { ...env, BENCH_TARGET: PLAIN[target] as string, BENCH_PEER_PREFIX: prefix };
        case 'ceiling':
          return {
            ...inheritedEnv(),
            BENCH_SQLITE_PATH: sqlitePath,
            BENCH_TENANT_ID: seeded.tenantId,
            BENCH_TIMEZONE: TIMEZONE,
          };
        case 'off':
          return { ...env, BENCH_TARGET: 'hotpath', CACHE_ENABLED: 'false' };
        case 'memory':
          return { ...env, BENCH_TARGET: 'hotpath' };
        case 'redis':
        case 'base':
          // A miss's cost, not failing open: on a loaded machine the 50 ms default times out
          // some Redis calls, and the breaker would turn the misses into BYPASSes.
          return {
            ...env,
            CACHE_PREFIX: `${prefix}.${target}`,
            BENCH_TARGET: 'hotpath',
            REDIS_URL: redisUrl,
            CACHE_TIMEOUT_MS: '2000',
          };
      }
    };
    if (targets.includes('redis') || targets.includes('base')) await redis.connect();

    /** Checks one answer against the ceiling's JSON and the cache's verdict. */
    const check = async (target: MissTarget, port: number, userId: string) => {
      const body = missBody(userId, `${runId}-check`);
      const { variables } = JSON.parse(body);
      const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
        method: 'POST',
        headers,
        body,
      });
      const text = await response.text();
      const expected = reference.agendaJson(userId, variables.date);
      if (
        response.status !== 200 ||
        !expected ||
        !isDeepStrictEqual(JSON.parse(text), JSON.parse(expected))
      )
        throw new Error(`bench:miss: ${target} answered ${response.status} ${text.slice(0, 300)}`);
      const xCache = response.headers.get('x-cache');
      const wanted = !isHotpath(target) ? null : target === 'off' ? 'BYPASS' : 'MISS';
      if (xCache !== wanted)
        throw new Error(`bench:miss: ${target} answered X-Cache ${xCache}, expected ${wanted}`);
    };

    /** One target, every size: warm-up, then the measured window. */
    const measure = async (
      target: MissTarget,
      server: BenchServer,
      onWindow?: (size: number, from: number, to: number) => void,
    ) => {
      for (const row of rows) {
        const userId = seeded.providers.get(row.appointments) ?? '';
        await check(target, server.port, userId);
        const load = missLoad(server.port, headers, userId, runId);
        await load(warmupS);
        const outcomes = isHotpath(target) ? await cacheOutcomes(server.port) : null;
        const window = cpuWindow(server.pid);
        const from = performance.now();
        const requests = await load(durationS);
        const cpu = window.perRequest(requests);
        const main = window.mainPerRequest(requests);
        onWindow?.(row.appointments, from, performance.now());
        if (outcomes && target !== 'off') {
          const after = await cacheOutcomes(server.port);
          if (after.hit > outcomes.hit)
            throw new Error(`bench:miss: ${target} served ${after.hit - outcomes.hit} hits`);
          if (after.miss - outcomes.miss < requests * 0.99)
            throw new Error(`bench:miss: ${target} counted too few misses`);
        }
        if (!onWindow) {
          row.samples[target] = [...(row.samples[target] ?? []), cpu];
          row.mainSamples[target] = [...(row.mainSamples[target] ?? []), main];
          log(
            `  ${target}, ${row.appointments} appointments: ${int(cpu)} µs CPU/request (${int(main)} on the main thread)`,
          );
        }
      }
    };

    const start = async (target: MissTarget, nodeArgs?: string[]) => {
      if (target === 'redis' || target === 'base') await deleteKeys(redis, `${prefix}.${target}*`);
      const server = await startBenchServer(envOf(target), {
        ...(pinned ? { cpu: SERVER_CPU } : {}),
        ...(target === 'ceiling' ? { entry: join(root, 'bench', 'lib', 'miss-ceiling.ts') } : {}),
        ...(target === 'base' && baseCheckout ? { checkout: baseCheckout.dir } : {}),
        ...(nodeArgs ? { nodeArgs } : {}),
      });
      running.set(target, server);
      return server;
    };
    const stop = async (target: MissTarget) => {
      const server = running.get(target);
      running.delete(target);
      await server?.stop();
    };

    // Every target runs in its own process for the whole run, so that one target's windows
    // follow another's within seconds: a ratio is taken within a round (pairedRatio), where
    // the machine's speed moved little, instead of between medians of windows minutes apart.
    // Odd rounds go through the targets one way and even rounds the other (a, b, b, a, …), so
    // a drift within a round touches both sides of a ratio alike.
    for (const target of targets) await start(target);
    for (const target of targets) {
      log(`warming ${MISS_TARGET_LABELS[target]} (${WARM_ROUND_S} s, not measured)`);
      const server = running.get(target) as BenchServer;
      for (const row of rows) {
        const userId = seeded.providers.get(row.appointments) ?? '';
        await missLoad(server.port, headers, userId, runId)(WARM_ROUND_S / rows.length);
      }
    }
    await interleaved(
      rounds,
      targets,
      async (target, round) => {
        log(`[${round}/${rounds}] ${MISS_TARGET_LABELS[target]}`);
        await measure(target, running.get(target) as BenchServer);
      },
      { alternate: true },
    );
    for (const target of targets) await stop(target);
    for (const row of rows)
      for (const target of targets) {
        row.cpuUs[target] = median(row.samples[target] ?? []);
        row.mainUs[target] = median(row.mainSamples[target] ?? []);
      }

    const profiles: MissFigures['profiles'] = {};
    if (options.profileDir) {
      for (const target of PROFILED.filter((t) => targets.includes(t))) {
        const dir = join(options.profileDir, target);
        rmSync(dir, { recursive: true, force: true });
        mkdirSync(dir, { recursive: true });
        log(`profiling ${MISS_TARGET_LABELS[target]}…`);
        const windows: { from: number; to: number }[] = [];
        const server = await start(target, ['--cpu-prof', `--cpu-prof-dir=${dir}`]);
        await measure(target, server, (_size, from, to) => windows.push({ from, to }));
        await stop(target);
        const exitedAt = performance.now();
        const file = readdirSync(dir).find((name) => name.endsWith('.cpuprofile'));
        if (!file) throw new Error(`bench:miss: no profile in ${dir}`);
        const profile = readProfile(join(dir, file));
        // The profile ends when the server exits: the windows are placed back from there (the
        // exit after SIGTERM takes milliseconds, which only trims the window's edge).
        const from = (exitedAt - windows[0].from) * 1000;
        const to = (exitedAt - windows[windows.length - 1].to) * 1000;
        profiles[target] = missBreakdown(profile, { fromEndUs: from, toEndUs: to });
      }
    }
    reference.close();
    return { rows, rounds, durationS, pinned, loadBefore, loadAfter: loadavg(), profiles };
  } finally {
    for (const server of running.values()) await server.stop();
    baseCheckout?.remove();
    if (redis.status === 'ready') await deleteKeys(redis, `${prefix}*`);
    redis.disconnect();
    rmSync(work, { recursive: true, force: true });
  }
}

const pct = (share: number) => `${(100 * share).toFixed(1)}%`;

/**
 * The median, over rounds, of `a`'s CPU per request ÷ `b`'s in the same round (their windows
 * seconds apart), with the lowest and highest round; null when either target didn't run.
 */
export function pairedRatio(
  row: MissRow,
  a: MissTarget,
  b: MissTarget,
): { median: number; min: number; max: number } | null {
  const ratios = byRound(row.samples[a] ?? [], row.samples[b] ?? [], (x, y) => x / y);
  if (ratios.length === 0) return null;
  return { median: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios) };
}

/** The report's markdown: the figures, issue 19's two miss targets, and the profile if any. */
export function missReport(figures: MissFigures, base?: string): string {
  const rounds = figures.rounds;
  const ran = (t: MissTarget) => figures.rows.some((row) => row.cpuUs[t] !== undefined);
  const withBase = ran('base');
  const shown = MISS_TARGETS.filter((t) => (PLAIN[t] || t === 'base' ? ran(t) : true));
  const plains = shown.filter((t) => PLAIN[t]);
  const us = (value: number | undefined) => (value === undefined ? 'n/a' : int(value));
  const table = markdownTable(
    [
      'appointments',
      'bytes',
      ...shown.map((t) => `${MISS_TARGET_LABELS[t]}, µs`),
      'off ÷ ceiling',
      ...plains.map((t) => `${t} ÷ ceiling`),
      'cache overhead, memory',
      'cache overhead, Redis',
      ...(withBase ? [`Redis ÷ BENCH_MISS_BASE (${base ?? 'base'})`] : []),
    ],
    figures.rows.map((row) => {
      const percent = (ratio: number) => `${(100 * (ratio - 1)).toFixed(1)}%`;
      const times = (ratio: number) => `${ratio.toFixed(2)}×`;
      // The median of the rounds' own ratios, and the lowest and highest round.
      const paired = (a: MissTarget, b: MissTarget, show: (ratio: number) => string) => {
        const ratio = pairedRatio(row, a, b);
        if (!ratio) return 'n/a';
        return rounds > 1
          ? `${show(ratio.median)} (${show(ratio.min)} to ${show(ratio.max)})`
          : show(ratio.median);
      };
      return [
        row.appointments,
        int(row.bytes),
        ...shown.map((t) => us(row.cpuUs[t])),
        paired('off', 'ceiling', times),
        ...plains.map((t) => paired(t, 'ceiling', times)),
        paired('memory', 'off', percent),
        paired('redis', 'off', percent),
        ...(withBase ? [paired('redis', 'base', times)] : []),
      ];
    }),
  );
  const threaded = MISS_TARGETS.filter(
    (t) => t !== 'ceiling' && figures.rows.some((row) => row.mainUs[t] !== undefined),
  );
  const threads =
    threaded.length === 0
      ? ''
      : `\n\nThe same µs split by thread: the server's main thread (JavaScript, and the garbage collection it does itself) + its other threads (V8's helpers: concurrent marking, parallel scavenges, sweeping, compilation; and libuv's, where the save gzips a body of 8 KiB or more; a CPU profile of the main thread sees none of them):\n\n${markdownTable(
          ['appointments', ...threaded.map((t) => MISS_TARGET_LABELS[t])],
          figures.rows.map((row) => [
            row.appointments,
            ...threaded.map((t) => {
              const all = row.cpuUs[t];
              const main = row.mainUs[t];
              return all === undefined || main === undefined
                ? 'n/a'
                : `${int(main)} + ${int(Math.max(0, all - main))}`;
            }),
          ]),
        )}`;
  const parts = Object.entries(figures.profiles);
  const profile =
    parts.length === 0
      ? ''
      : `\n\nWhere a miss went, over the ${figures.rows.map((r) => r.appointments).join(', ')}-appointment days one after the other (CPU profile of the main thread over the measured windows, shares of samples; the gzip of large bodies runs on libuv's threads and is not in it):\n\n` +
        markdownTable(
          [
            'part',
            ...parts.map(
              ([t, p]) =>
                `${MISS_TARGET_LABELS[t as MissTarget]} (${int(p?.samples ?? 0)} samples)`,
            ),
          ],
          MISS_PARTS.map((part) => [part, ...parts.map(([, p]) => pct(p?.shares[part] ?? 0))]),
        );
  return (
    [
      `## Misses: last run ${new Date().toISOString().slice(0, 19)}Z`,
      '',
      `Server CPU µs per agenda miss (every request a new key: see bench/miss.ts), medians of ${figures.rounds} rounds of ${figures.durationS} s per size and target (every target one process for the whole run, the order reversed every other round; the ratios are medians of each round's own ratio, with the lowest and highest round in brackets), ${MISS_CONNECTIONS} connections, ` +
        `${figures.pinned ? 'server and load generator pinned to their own cores' : 'NOT pinned'}; load average ${loads(figures.loadBefore)} before, ${loads(figures.loadAfter)} after on ${cpus().length} cores. ` +
        "Issue 19 targets: cache overhead on a miss ≤ 5%, Hotpath's miss ≤ 3× the miss ceiling.",
      ...(Math.max(figures.loadBefore[0] ?? 0, figures.loadAfter[0] ?? 0) > 1
        ? [
            '',
            '**NOISY**: other work loaded the machine during this run (see the load averages): ' +
              'the absolute figures are inflated; compare the rows of one run with each other ' +
              'only, and rerun on a quiet machine for figures to quote.',
          ]
        : []),
      '',
      table,
    ].join('\n') +
    threads +
    profile
  );
}

async function main() {
  const profileDir = process.env.BENCH_MISS_PROFILE;
  const figures = await measureMisses(profileDir ? { profileDir } : {});
  const report = missReport(figures, process.env.BENCH_MISS_BASE);
  console.log(`\n${report}`);
  writeDocSection('miss', report);
}

if (process.argv[1]?.endsWith('bench/miss.ts')) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}

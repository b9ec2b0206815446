/**
 * `npm run bench:live` (issue 16): live queries measured against polling, on PostgreSQL and the
 * shared Redis (keys under a per-run prefix, removed at the end; a fresh schema, dropped).
 *
 * (a) Dashboards and writes. Two instances; DASHBOARDS live dashboards (`@live`, GraphQL over
 *     SSE, a raw node:http client per stream: bench/lib/sse.ts) on GROUPS groups (a provider's
 *     agenda of today; the dashboards of a group are spread over both instances), and one
 *     booking a second, through the instances in turn. Measured: the delay from each write's
 *     response to each of its group's dashboards receiving the new result (p50, p99), whether
 *     every dashboard's last result equals a fresh read at the end, and the SQL statements run
 *     per write beyond the write's own, in database executions of the dashboard's query. Then
 *     the same dashboards poll (every 30 s, then every 1 s) under the same writes: requests,
 *     statements, and how long a dashboard showed data that was no longer true.
 * (b) Idle streams. One instance; the hit speed of a polled agenda (autocannon, as
 *     `npm run bench` loads it) without streams, then with IDLE_STREAMS idle live streams open,
 *     and the instance's RSS per stream.
 *
 * `--quick` runs smaller numbers (proof that it works, not figures). Writes its section of
 * docs/benchmarks.md. Instances on SERVER_CPU and this load generator on LOADER_CPU (taskset).
 */
import { setMaxListeners } from 'node:events';
import { loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { rssMb } from './lib/child.js';
import { runLoad } from './lib/load.js';
import { pinSelf, SERVER_CPU } from './lib/pin.js';
import { percentile } from './lib/report.js';
import { benchRedisUrl } from './lib/settings.js';
import { openSse, type SseStream } from './lib/sse.js';
import { type ClientView, delaysToSee, staleMs, type Write } from './live-measure.js';
import { type IdleResult, type ModeResult, report } from './live-report.js';
import {
  type AgendaData,
  book,
  FRESH_READ,
  type Group,
  type Instance,
  LIVE_DASHBOARD,
  metricSum,
  metrics,
  openWorld,
  POLLED_DASHBOARD,
  post,
  statements,
  today,
  versionOf,
  type World,
} from './live-world.js';

const quick = process.argv.includes('--quick');
/** `--only=dashboards` or `--only=idle`: one part of the bench (both by default). */
const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length) ?? null;
if (only !== null && only !== 'dashboards' && only !== 'idle') {
  throw new Error('--only takes dashboards or idle');
}
const SIZES = quick
  ? { dashboards: 100, groups: 10, seconds: 20, idle: 1_000, hitSeconds: 3, warmup: 1 }
  : { dashboards: 1_000, groups: 50, seconds: 120, idle: 10_000, hitSeconds: 8, warmup: 2 };
const POLL_INTERVALS_MS = [30_000, 1_000];
const WRITE_EVERY_MS = 1_000;
const databaseUrl = process.env.BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';

/**
 * The instances' settings: live stream caps above what the bench opens (per process and per
 * tenant), heartbeats as by default; a Redis call may take 1 s (as bench:scale allows) so
 * that a loaded machine doesn't open the breaker and turn the run into a database-only one.
 */
const LIVE_ENV: Record<string, string> = {
  CACHE_TIMEOUT_MS: '1000',
  LIVE_MAX_STREAMS: String(SIZES.idle + SIZES.dashboards + 100),
  LIVE_MAX_STREAMS_PER_TENANT: String(SIZES.idle + SIZES.dashboards + 100),
};

let pinned = false;

interface Dashboard extends ClientView {
  instance: Instance;
  groupRow: Group;
  /** The last result's data, as received. */
  last: string | null;
  stream?: SseStream;
  ended: boolean;
}

function dashboards(world: World): Dashboard[] {
  return Array.from({ length: SIZES.dashboards }, (_, c) => {
    const group = c % world.groups.length;
    return {
      group,
      groupRow: world.groups[group],
      // A group's dashboards alternate between the instances.
      instance: world.instances[Math.floor(c / world.groups.length) % world.instances.length],
      seen: [],
      last: null,
      ended: false,
    };
  });
}

/** Opens each dashboard's stream, at most `concurrency` handshakes at a time. */
async function openStreams(list: Dashboard[], query: string, concurrency = 200) {
  let next = 0;
  const failures: string[] = [];
  const open = async () => {
    while (next < list.length) {
      const d = list[next++];
      try {
        d.stream = await openSse(`${d.instance.url}/graphql`, {
          headers: { authorization: `Bearer ${d.groupRow.key}`, 'x-bench-kind': 'live' },
          body: JSON.stringify({ query, variables: { u: d.groupRow.userId, d: today() } }),
          onEvent: (e) => {
            if (e.event !== 'next') return;
            const result = JSON.parse(e.data) as { data?: AgendaData; errors?: unknown };
            if (!result.data) {
              failures.push(e.data.slice(0, 300));
              return;
            }
            d.last = JSON.stringify(result.data);
            d.seen.push({ at: e.receivedAt, version: versionOf(result.data) });
          },
          onEnd: () => {
            d.ended = true;
          },
        });
      } catch (error) {
        failures.push(String(error));
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, open));
  return failures;
}

/** One booking every WRITE_EVERY_MS for `seconds`, group after group, instance after instance. */
async function writeLoop(world: World, seconds: number, versions: number[], writes: Write[]) {
  const started = performance.now();
  for (let n = 0; performance.now() - started < seconds * 1000; n++) {
    const due = started + n * WRITE_EVERY_MS;
    await sleep(Math.max(0, due - performance.now()));
    const group = world.groups[n % world.groups.length];
    const instance = world.instances[n % world.instances.length];
    const res = await book(
      instance.url,
      group,
      versions.reduce((a, b) => a + b, 0),
    );
    if (res.body.errors) throw new Error(`write failed: ${JSON.stringify(res.body.errors)}`);
    versions[group.index]++;
    writes.push({ group: group.index, version: versions[group.index], at: performance.now() });
  }
}

const sumStatements = async (world: World) =>
  (await Promise.all(world.instances.map((i) => statements(i.url)))).reduce((a, b) => a + b, 0);

/** SQL statements of one write alone, and of one execution of the dashboard's query. */
async function unitCosts(world: World, versions: number[]) {
  const [a] = world.instances;
  // A group no dashboard watches: its own booking, nothing re-executed.
  const probe = world.groups[world.groups.length - 1];
  // Once before counting: the key's first use is looked up in the database, later ones not.
  await book(a.url, probe, 999);
  versions[probe.index]++;
  const before = await sumStatements(world);
  const rounds = 3;
  for (let i = 0; i < rounds; i++) {
    await book(a.url, probe, 1_000 + i);
    versions[probe.index]++;
  }
  const afterWrites = await sumStatements(world);
  const read = await post(a.url, probe.key, FRESH_READ, { u: probe.userId, d: today() }, 'probe');
  if (read.xCache !== 'MISS') throw new Error(`the probe read was not a miss: ${read.xCache}`);
  const afterRead = await sumStatements(world);
  return { perWrite: (afterWrites - before) / rounds, perExecution: afterRead - afterWrites };
}

function summarize(
  mode: string,
  list: Dashboard[],
  writes: Write[],
  window: { from: number; to: number },
  requests: number,
  live: number,
  unit: { perExecution: number },
) {
  const seen = delaysToSee(writes, list);
  const sorted = seen.delays.sort((a, b) => a - b);
  const stale = list.reduce((sum, d) => sum + staleMs(writes, d, 0, window.from, window.to), 0);
  const span = (window.to - window.from) * list.length;
  return {
    mode,
    requests,
    writes: writes.length,
    statementsPerWrite: live / Math.max(1, writes.length),
    executionsPerWrite: live / Math.max(1, writes.length) / Math.max(1, unit.perExecution),
    p50: sorted.length ? percentile(sorted, 0.5) : null,
    p99: sorted.length ? percentile(sorted, 0.99) : null,
    unseen: seen.unseen,
    early: seen.early,
    staleSharePct: (100 * stale) / span,
    staleSecondsPerDashboard: stale / 1000 / list.length,
  } satisfies ModeResult;
}

async function liveMode(
  world: World,
  versions: number[],
  unit: { perWrite: number; perExecution: number },
) {
  const list = dashboards(world);
  const failures = await openStreams(list, LIVE_DASHBOARD);
  if (failures.length) throw new Error(`live streams refused: ${failures.slice(0, 3).join('; ')}`);
  const firsts = () => list.filter((d) => d.seen.length > 0).length;
  for (let i = 0; i < 300 && firsts() < list.length; i++) await sleep(100);
  if (firsts() < list.length)
    throw new Error(`${list.length - firsts()} streams had no first result`);
  const before = await sumStatements(world);
  const writes: Write[] = [];
  const from = performance.now();
  await writeLoop(world, SIZES.seconds, versions, writes);
  // Let the last pushes arrive (at most 2 s) before counting.
  const caughtUp = () => list.every((d) => (d.seen.at(-1)?.version ?? -1) >= versions[d.group]);
  for (let i = 0; i < 20 && !caughtUp(); i++) await sleep(100);
  const to = performance.now();
  const live = (await sumStatements(world)) - before - writes.length * unit.perWrite;
  const extra = (await Promise.all(world.instances.map((i) => metrics(i.url))))
    .map((text, i) => {
      const pushes = metricSum(text, 'hotpath_live_pushes_total');
      // Runs after a write (reason invalidation), by what the cache did for them.
      const run = (cache: string) =>
        metricSum(
          text,
          'hotpath_live_executions_total',
          'reason="invalidation"',
          `cache="${cache}"`,
        ) ?? 0;
      const errors = metricSum(text, 'hotpath_cache_errors_total') ?? 0;
      return `instance ${i + 1}: pushes ${pushes ?? '?'}, re-executions after writes ${run('MISS')} MISS / ${run('HIT')} HIT, store errors ${errors}`;
    })
    .join('; ');
  // Every dashboard's last result against a fresh read (another document: a miss, executed).
  let equal = 0;
  for (const group of world.groups) {
    const fresh = await post(
      world.instances[0].url,
      group.key,
      FRESH_READ,
      { u: group.userId, d: today() },
      'probe',
    );
    const text = JSON.stringify(fresh.body.data);
    equal += list.filter((d) => d.group === group.index && d.last === text).length;
  }
  const ended = list.filter((d) => d.ended).length;
  for (const d of list) d.stream?.close();
  const result = summarize(
    'live (`@live`, SSE)',
    list,
    writes,
    { from, to },
    list.length,
    live,
    unit,
  );
  return {
    ...result,
    fresh: `${equal} / ${list.length}`,
    extra: `${extra}${ended ? `; ${ended} streams ended early` : ''}`,
  } satisfies ModeResult;
}

async function pollMode(
  world: World,
  versions: number[],
  unit: { perWrite: number; perExecution: number },
  intervalMs: number,
) {
  const list = dashboards(world);
  const writes: Write[] = [];
  let requests = 0;
  let failed = 0;
  let running = true;
  const stop = new AbortController();
  setMaxListeners(list.length + 10, stop.signal);
  const pause = (ms: number) => sleep(ms, undefined, { signal: stop.signal }).catch(() => {});
  const poll = async (d: Dashboard) => {
    requests++;
    const variables = { u: d.groupRow.userId, d: today() };
    const res = await post(
      d.instance.url,
      d.groupRow.key,
      POLLED_DASHBOARD,
      variables,
      'read',
    ).catch(() => null);
    if (!res?.body.data) failed++;
    else d.seen.push({ at: performance.now(), version: versionOf(res.body.data) });
  };
  // Each dashboard loads as it opens, then polls on its own phase, as dashboards opened at
  // different times do.
  for (let i = 0; i < list.length; i += 100) await Promise.all(list.slice(i, i + 100).map(poll));
  const before = await sumStatements(world);
  const from = performance.now();
  const poller = async (d: Dashboard) => {
    await pause(Math.random() * intervalMs);
    while (running) {
      const due = performance.now() + intervalMs;
      await poll(d);
      await pause(Math.max(0, due - performance.now()));
    }
  };
  const polling = Promise.all(list.map(poller));
  await writeLoop(world, SIZES.seconds, versions, writes);
  running = false;
  stop.abort();
  const to = performance.now();
  await polling;
  const polled = (await sumStatements(world)) - before - writes.length * unit.perWrite;
  const label = `polling every ${intervalMs / 1000} s`;
  const result = summarize(label, list, writes, { from, to }, requests, polled, unit);
  return { ...result, extra: failed ? `${failed} failed polls` : '' } satisfies ModeResult;
}

/** SIZES.idle idle live streams on `instance`, each with its first result. */
async function openIdle(world: World, instance: World['instances'][number]) {
  const list: Dashboard[] = Array.from({ length: SIZES.idle }, (_, c) => ({
    group: c % world.groups.length,
    groupRow: world.groups[c % world.groups.length],
    instance,
    seen: [],
    last: null,
    ended: false,
  }));
  const failures = await openStreams(list, LIVE_DASHBOARD);
  if (failures.length) throw new Error(`idle streams refused: ${failures.slice(0, 3).join('; ')}`);
  for (let i = 0; i < 600 && list.some((d) => d.seen.length === 0); i++) await sleep(100);
  await sleep(2_000);
  return list;
}

async function idle(world: World): Promise<IdleResult> {
  const group = world.groups[0];
  const variables = { u: group.userId, d: today() };
  // Memory first, on a fresh process that has served no load: after a load the heap holds
  // garbage that a collection may return while the streams open (a negative figure, seen).
  await world.stopInstances();
  const [fresh] = await world.startInstances(1, LIVE_ENV, pinned ? SERVER_CPU : undefined);
  await post(fresh.url, group.key, POLLED_DASHBOARD, variables, 'read');
  await sleep(2_000);
  const rssBefore = rssMb(fresh.server.pid);
  const counted = await openIdle(world, fresh);
  const rssAfter = rssMb(fresh.server.pid);
  const openStreamsMetric = metricSum(await metrics(fresh.url), 'hotpath_live_streams');
  for (const d of counted) d.stream?.close();
  // Then the hits' speed without, with and after the streams, on another fresh process.
  await world.stopInstances();
  const [instance] = await world.startInstances(1, LIVE_ENV, pinned ? SERVER_CPU : undefined);
  const body = JSON.stringify({ query: POLLED_DASHBOARD, variables });
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${group.key}` };
  const hits = async () => {
    await runLoad({ url: `${instance.url}/graphql`, headers, body, duration: SIZES.warmup });
    return runLoad({ url: `${instance.url}/graphql`, headers, body, duration: SIZES.hitSeconds });
  };
  await post(instance.url, group.key, POLLED_DASHBOARD, variables, 'read');
  // A fresh process: the first load also compiles the hot path (JIT); not measured.
  await runLoad({ url: `${instance.url}/graphql`, headers, body, duration: 3 * SIZES.warmup });
  const hitsBefore = await hits();
  const list = await openIdle(world, instance);
  const hitsWith = await hits();
  const streams = list.filter((d) => d.seen.length > 0 && !d.ended).length;
  for (const d of list) d.stream?.close();
  const closed = async () => metricSum(await metrics(instance.url), 'hotpath_live_streams') === 0;
  for (let i = 0; i < 100 && !(await closed()); i++) await sleep(100);
  const hitsAfter = await hits();
  return {
    streams,
    rssBefore,
    rssAfter,
    perStreamKb: ((rssAfter - rssBefore) * 1024) / SIZES.idle,
    hitsBefore,
    hitsWith,
    hitsAfter,
    openStreamsMetric,
  };
}

async function main() {
  const began = performance.now();
  pinned = pinSelf();
  const loadBefore = loadavg();
  const world = await openWorld({ databaseUrl, redisUrl: benchRedisUrl(), groups: SIZES.groups });
  try {
    const modes: ModeResult[] = [];
    if (only !== 'idle') {
      const versions = world.groups.map(() => 0);
      await world.startInstances(2, LIVE_ENV, pinned ? SERVER_CPU : undefined);
      const unit = await unitCosts(world, versions);
      process.stderr.write(
        `one write: ${unit.perWrite} statements; one execution: ${unit.perExecution}\n`,
      );
      modes.push(await liveMode(world, versions, unit));
      process.stderr.write(`live: ${JSON.stringify(modes.at(-1))}\n`);
      for (const interval of POLL_INTERVALS_MS) {
        modes.push(await pollMode(world, versions, unit, interval));
        process.stderr.write(`poll ${interval}: ${JSON.stringify(modes.at(-1))}\n`);
      }
    }
    const idleResult = only === 'dashboards' ? null : await idle(world);
    report(
      { quick, only, pinned, sizes: SIZES, writeEveryMs: WRITE_EVERY_MS },
      modes,
      idleResult,
      loadBefore,
      (performance.now() - began) / 1000,
    );
  } finally {
    await world.close();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

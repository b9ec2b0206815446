/**
 * `npm run bench:scale`: DESIGN §11 measured. Three production instances (`node dist/main.js`)
 * on one PostgreSQL and a 3-master/3-replica Redis Cluster, all on loopback, against one of
 * them alone: aggregate cache-hit req/s, and stale reads under writes. Instances are pinned to
 * one set of cores and autocannon (this process) to another with taskset, when there is more
 * than one core. Runs are interleaved (1, 3, 1, 3, …) and the medians reported. The section
 * between the scale-out markers of docs/benchmarks.md is rewritten.
 *
 * BENCH_DURATION (s, default 10), BENCH_WARMUP (s, default 2), BENCH_RUNS (default 3),
 * BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test).
 */
import 'reflect-metadata';
import { type ChildProcess, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import { openDatabase } from '../src/db/data-source.js';
import { DEMO_TENANTS, seedDemo } from '../src/db/seed.js';
import { freePort } from '../test/support/redis.js';
import { startRedisCluster } from '../test/support/redis-topologies.js';
import { root, startReadyProcess, stopProcess } from './lib/child.js';
import { interleaved } from './lib/load.js';
import { canPin, coreHalves, pinSelf } from './lib/pin.js';
import { int as fmt, loads, median, writeSection } from './lib/report.js';
import { positive } from './lib/settings.js';

const BEGIN = '<!-- bench:scale-out:begin (written by npm run bench:scale) -->';
const END = '<!-- bench:scale-out:end -->';
/** Split over the instances: 48 divides by 1 and by 3. */
const CONNECTIONS = 48;

const durationS = positive('BENCH_DURATION', 10);
const warmupS = positive('BENCH_WARMUP', 2);
const runs = positive('BENCH_RUNS', 3, true);
const databaseUrl = process.env.BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';

const cores = availableParallelism();
const pinned = canPin();
/** Servers on the upper half of the cores, the load generator (this process) on the lower. */
const { loader: loadCores, server: serverCores } = coreHalves(cores);

const AGENDA = `query BenchAgenda($u: ID!, $d: Date!) {
  agenda(userId: $u, date: $d) { id date appointments { id clientName startsAt status service { name priceCents } } }
}`;
const SERVICES = 'query($u: ID!) { services(userId: $u) { name } }';
const CREATE_SERVICE = 'mutation($i: CreateServiceInput!) { createService(input: $i) { id } }';

interface Instance {
  url: string;
  child: ChildProcess;
}

async function startInstance(env: Record<string, string>, port: number): Promise<Instance> {
  const url = `http://127.0.0.1:${port}`;
  const command = [process.execPath, '--enable-source-maps', join(root, 'dist', 'main.js')];
  const child = await startReadyProcess(command, env, url, pinned ? serverCores : undefined);
  return { url, child };
}

async function gql(url: string, key: string, query: string, variables: object) {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ query, variables }),
  });
  return { xCache: res.headers.get('x-cache'), body: (await res.json()) as any };
}

/**
 * Every 100 ms: a service created through one instance, then read back through every
 * instance at once. A read that misses the service it follows is stale.
 */
function startWriter(urls: string[], key: string, userId: string) {
  let running = true;
  const stats = { writes: 0, checks: 0, stale: 0, failed: 0 };
  const done = (async () => {
    for (let i = 0; running; i++) {
      const name = `Bench ${randomBytes(4).toString('hex')}`;
      const through = urls[i % urls.length]!;
      const created = await gql(through, key, CREATE_SERVICE, {
        i: { userId, name, durationMinutes: 30, priceCents: 1000 },
      }).catch(() => null);
      if (!created || created.body.errors) {
        stats.failed++;
        continue;
      }
      stats.writes++;
      const reads = await Promise.all(
        urls.map((u) => gql(u, key, SERVICES, { u: userId }).catch(() => null)),
      );
      for (const read of reads) {
        stats.checks++;
        if (!read || read.body.errors) stats.failed++;
        else if (!read.body.data.services.some((s: { name: string }) => s.name === name)) {
          stats.stale++;
        }
      }
      await sleep(100);
    }
  })();
  return {
    stats,
    stop: async () => {
      running = false;
      await done;
    },
  };
}

interface Sample {
  instances: number;
  reqPerSec: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  hitShare: number;
  stale: number;
  checks: number;
  writes: number;
}

/** /metrics is private (issue 14): the instances take this token for it. */
const METRICS_TOKEN = 'bench-metrics-token-0123456789';

async function hitsOf(urls: string[]) {
  let hits = 0;
  let total = 0;
  for (const url of urls) {
    const text = await (
      await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })
    ).text();
    for (const line of text.split('\n')) {
      const m = line.match(/^hotpath_cache_requests_total\{outcome="(\w+)"\} (\d+)/);
      if (!m) continue;
      total += Number(m[2]);
      if (m[1] === 'hit') hits += Number(m[2]);
    }
  }
  return { hits, total };
}

async function measure(urls: string[], key: string, body: string, writerUserId: string) {
  const load = (seconds: number) =>
    Promise.all(
      urls.map((url) =>
        autocannon({
          url: `${url}/graphql`,
          method: 'POST',
          connections: Math.round(CONNECTIONS / urls.length),
          duration: seconds,
          headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
          body,
        }),
      ),
    );
  await load(warmupS);
  const before = await hitsOf(urls);
  const writer = startWriter(urls, key, writerUserId);
  const results = await load(durationS);
  await writer.stop();
  const after = await hitsOf(urls);
  const requests = results.reduce((n, r) => n + r.requests.total, 0);
  const weighted = (pick: (r: (typeof results)[number]) => number) =>
    results.reduce((n, r) => n + pick(r) * r.requests.total, 0) / Math.max(1, requests);
  return {
    instances: urls.length,
    reqPerSec: results.reduce((n, r) => n + r.requests.average, 0),
    p50: weighted((r) => r.latency.p50),
    p99: Math.max(...results.map((r) => r.latency.p99)),
    non2xx: results.reduce((n, r) => n + r.non2xx, 0),
    errors: results.reduce((n, r) => n + r.errors + r.timeouts, 0) + writer.stats.failed,
    hitShare:
      after.total - before.total > 0
        ? (after.hits - before.hits) / (after.total - before.total)
        : 0,
    stale: writer.stats.stale,
    checks: writer.stats.checks,
    writes: writer.stats.writes,
  } satisfies Sample;
}

async function main() {
  if (!existsSync(join(root, 'dist', 'main.js')) || process.env.BENCH_BUILD !== 'false') {
    execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  }
  // The load generator: this process, from here on.
  if (pinned) pinSelf(loadCores);
  const loadBefore = loadavg();
  const schema = `hp_bench_${randomBytes(4).toString('hex')}`;
  const prefix = `hp-bench-${randomBytes(4).toString('hex')}`;
  const cluster = await startRedisCluster();
  const instances: Instance[] = [];
  const db = await openDatabase({ url: databaseUrl, sqlitePath: '', schema });
  try {
    const seeded = await seedDemo(db);
    const tenant = seeded.tenants.find((t) => t.id === DEMO_TENANTS[0]!.id)!;
    const key = DEMO_TENANTS[0]!.apiKey;
    const [reader, writerUser] = [tenant.users[0]!, tenant.users[1] ?? tenant.users[0]!];
    const env = {
      ...process.env,
      NODE_ENV: 'production',
      OPS_TOKEN: `ops-${randomBytes(12).toString('hex')}`,
      METRICS_TOKEN,
      HOST: '127.0.0.1',
      DATABASE_URL: databaseUrl,
      DATABASE_SCHEMA: schema,
      REDIS_CLUSTER_NODES: cluster.nodes.map((n) => `${n.host}:${n.port}`).join(','),
      CACHE_PREFIX: prefix,
      CACHE_TIMEOUT_MS: '1000',
      CACHE_WARM_INTERVAL: '0',
      SEED_DEMO: 'false',
      LOG_LEVEL: 'warn',
      SHUTDOWN_DELAY_MS: '0',
    } as Record<string, string>;
    delete env.REDIS_URL;
    for (let i = 0; i < 3; i++) {
      const port = await freePort();
      instances.push(await startInstance({ ...env, PORT: String(port) }, port));
    }
    const today = new Date().toISOString().slice(0, 10);
    const body = JSON.stringify({ query: AGENDA, variables: { u: reader.id, d: today } });
    const urls = instances.map((i) => i.url);
    // The entry every instance then hits: saved once, through the first.
    const warm = await gql(urls[0]!, key, AGENDA, { u: reader.id, d: today });
    if (warm.body.errors) throw new Error(JSON.stringify(warm.body.errors));

    const samples: Sample[] = [];
    await interleaved(runs, [urls.slice(0, 1), urls], async (set, run) => {
      const sample = await measure(set, key, body, writerUser.id);
      console.log(
        `run ${run}, ${set.length} instance(s): ${Math.round(sample.reqPerSec)} req/s, hits ${(sample.hitShare * 100).toFixed(1)}%, stale ${sample.stale}/${sample.checks}, errors ${sample.errors + sample.non2xx}`,
      );
      samples.push(sample);
    });
    report(samples, loadBefore, loadavg());
  } finally {
    await Promise.all(instances.map((i) => stopProcess(i.child, 500)));
    await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => {});
    await db.destroy();
    await cluster.stop();
  }
}

function report(samples: Sample[], loadBefore: number[], loadAfter: number[]) {
  const of = (n: number) => samples.filter((s) => s.instances === n);
  const row = (n: number) => {
    const set = of(n);
    return {
      reqPerSec: median(set.map((s) => s.reqPerSec)),
      p50: median(set.map((s) => s.p50)),
      p99: median(set.map((s) => s.p99)),
      hitShare: median(set.map((s) => s.hitShare)),
      stale: set.reduce((t, s) => t + s.stale, 0),
      checks: set.reduce((t, s) => t + s.checks, 0),
      writes: set.reduce((t, s) => t + s.writes, 0),
      failed: set.reduce((t, s) => t + s.errors + s.non2xx, 0),
      runs: set.map((s) => Math.round(s.reqPerSec)).join(', '),
    };
  };
  const one = row(1);
  const three = row(3);
  const lines = [
    BEGIN,
    `## Scale-out: 3 instances on a Redis Cluster (${new Date().toISOString().slice(0, 19)}Z)`,
    '',
    `- ${cores} cores; instances pinned to cores ${pinned ? serverCores : '(no taskset)'}, autocannon to ${pinned ? loadCores : '(no taskset)'}; ${CONNECTIONS} connections split over the instances; ${durationS} s measured after ${warmupS} s, ${runs} interleaved runs per row, medians`,
    '- One PostgreSQL (a fresh schema, demo seed) and a 3-master/3-replica Redis Cluster (REDIS_CLUSTER_NODES), all on loopback; NODE_ENV=production, `node dist/main.js`, CACHE_TIMEOUT_MS=1000',
    `- Load average (1/5/15 min) before: ${loads(loadBefore)}; after: ${loads(loadAfter)}. Other engineers' tests shared the machine: the figures are indicative.`,
    '- Load: the demo agenda as Studio Bela Vista (every measured request should be a hit). Meanwhile a writer creates a service through one instance every 100 ms and reads the list back through every instance at once: a read that misses the service is stale.',
    '',
    '| instances | hit req/s (median) | × 1 instance | p50 ms | p99 ms | hits | runs (req/s) | stale reads / checks | failed |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: |',
    `| 1 | ${fmt(one.reqPerSec)} | 1.00 | ${one.p50.toFixed(1)} | ${one.p99.toFixed(1)} | ${(one.hitShare * 100).toFixed(1)}% | ${one.runs} | ${one.stale} / ${one.checks} | ${one.failed} |`,
    `| 3 | ${fmt(three.reqPerSec)} | ${(three.reqPerSec / one.reqPerSec).toFixed(2)} | ${three.p50.toFixed(1)} | ${three.p99.toFixed(1)} | ${(three.hitShare * 100).toFixed(1)}% | ${three.runs} | ${three.stale} / ${three.checks} | ${three.failed} |`,
    '',
    END,
  ];
  const section = lines.join('\n');
  writeSection(BEGIN, END, section);
  console.log(section);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

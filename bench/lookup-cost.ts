/**
 * `npm run bench:lookup`: what one cache hit's lookup costs Redis, against the number of
 * entities in the response (issue 19). An agenda of 10, 100 and 400 appointments is tagged with
 * its day, its provider and one tag per appointment, and its body grows with it (about 280 bytes
 * an appointment). The store of this checkout is measured against the store taken from git at
 * BENCH_BASELINE_REF (default 8da210e, the last commit before issue 19: one version per tag,
 * HGETALL + MGET in the lookup). Both run against the same Redis, BENCH_ROUNDS times (default 3)
 * interleaved; medians. Per hit: wall time one at a time (a round trip each) and Redis CPU
 * (used_cpu_user + used_cpu_sys from INFO, over the hits), on a private redis-server started for
 * the run (Redis's CPU counts every client's commands: a shared one would count others' work),
 * or on BENCH_REDIS_URL when set. A third row measures this checkout's
 * first hit of each entry after a write of another tag in the scope (the one lookup that reads
 * the log), over BENCH_LOOKUP_WRITES entries. Writes its table to docs/benchmarks.md between the
 * lookup markers. Figures taken on a busy host are NOISY: say so where they are quoted.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import { createRedisStore } from '../src/cache/store/redis/redis-store.js';
import type { ResponseStore } from '../src/cache/store/store.js';
import { root } from './lib/child.js';
import { redisCpuSeconds } from './lib/cpu.js';
import { interleaved } from './lib/load.js';
import { deleteKeys } from './lib/redis.js';
import { median, writeSection } from './lib/report.js';
import { benchRedisUrl } from './lib/settings.js';

const baselineRef = process.env.BENCH_BASELINE_REF ?? '8da210e';
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const HITS = Number(process.env.BENCH_LOOKUP_HITS ?? 5_000);
const AFTER_WRITE = Number(process.env.BENCH_LOOKUP_WRITES ?? 500);
const SIZES = [10, 100, 400] as const;

const agendaTags = (n: number) => [
  'Agenda:u1:2026-11-22',
  'User:u1',
  ...Array.from({ length: n }, (_, i) => `Appointment:a${i}`),
];
const agendaBody = (n: number) =>
  JSON.stringify({
    data: { agenda: Array.from({ length: n }, (_, i) => ({ id: `a${i}`, note: 'x'.repeat(250) })) },
  });

/** The store files at `baselineRef`, imported from a scratch copy of src/cache/store. */
async function baselineStore(redis: Redis, prefix: string): Promise<ResponseStore> {
  const dir = mkdtempSync(join(root, 'bench', '.baseline-'));
  try {
    const files = execFileSync(
      'git',
      ['ls-tree', '-r', '--name-only', baselineRef, 'src/cache/store/'],
      { cwd: root, encoding: 'utf8' },
    )
      .split('\n')
      .filter((file) => file.endsWith('.ts'));
    for (const file of files) {
      const target = join(dir, file.slice('src/cache/'.length));
      mkdirSync(join(target, '..'), { recursive: true });
      writeFileSync(
        target,
        execFileSync('git', ['show', `${baselineRef}:${file}`], { cwd: root, encoding: 'utf8' }),
      );
    }
    const module = (await import(
      pathToFileURL(join(dir, 'store', 'redis', 'redis-store.ts')).href
    )) as { createRedisStore: (options: object) => ResponseStore };
    return module.createRedisStore({ redis, prefix, schemaHash: 'bench' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const redisCpu = async (redis: Redis) => redisCpuSeconds(await redis.info('cpu'));

let measured = 0;

async function saveAgenda(store: ResponseStore, scope: string, key: string, n: number) {
  const miss = await store.lookup(scope, key);
  if (miss.hit) throw new Error('expected a miss first');
  const saved = await store.save(scope, key, {
    body: agendaBody(n),
    tags: agendaTags(n),
    ttlMs: 600_000,
    seenSeq: miss.seq,
    seenEpoch: miss.epoch,
  });
  if (saved !== 'stored') throw new Error(`save: ${saved}`);
}

/** Hits of one entry of `n` entities, no writes: the steady state. */
async function measureHits(store: ResponseStore, redis: Redis, n: number) {
  const scope = `bench-tenant-${++measured}`;
  await saveAgenda(store, scope, 'k', n);
  for (let i = 0; i < 200; i++) await store.lookup(scope, 'k'); // warm: scripts loaded
  const cpu0 = await redisCpu(redis);
  const t = performance.now();
  for (let i = 0; i < HITS; i++) {
    if (!(await store.lookup(scope, 'k')).hit) throw new Error('expected hits');
  }
  const serialUs = ((performance.now() - t) * 1000) / HITS;
  const cpuUs = (((await redisCpu(redis)) - cpu0) * 1e6) / HITS;
  return { serialUs, cpuUs };
}

/** The floor: a plain GET of a string holding a body of the same size, as many times. */
async function measureFloor(redis: Redis, n: number) {
  const key = `${floorPrefix}:${++measured}`;
  await redis.set(key, agendaBody(n));
  for (let i = 0; i < 200; i++) await redis.getBuffer(key);
  const cpu0 = await redisCpu(redis);
  const t = performance.now();
  for (let i = 0; i < HITS; i++) await redis.getBuffer(key);
  const serialUs = ((performance.now() - t) * 1000) / HITS;
  const cpuUs = (((await redisCpu(redis)) - cpu0) * 1e6) / HITS;
  await redis.del(key);
  return { serialUs, cpuUs };
}

/** The first hit of each of AFTER_WRITE entries after a write of another tag in their scope. */
async function measureAfterWrite(store: ResponseStore, redis: Redis, n: number) {
  const scope = `bench-tenant-${++measured}`;
  for (let i = 0; i < AFTER_WRITE; i++) await saveAgenda(store, scope, `k${i}`, n);
  await store.invalidate(scope, ['Agenda:u2:2026-11-22', 'Appointment:other']);
  const cpu0 = await redisCpu(redis);
  const t = performance.now();
  for (let i = 0; i < AFTER_WRITE; i++) {
    if (!(await store.lookup(scope, `k${i}`)).hit) throw new Error('expected hits');
  }
  const serialUs = ((performance.now() - t) * 1000) / AFTER_WRITE;
  const cpuUs = (((await redisCpu(redis)) - cpu0) * 1e6) / AFTER_WRITE;
  return { serialUs, cpuUs };
}

type Case = 'floor' | 'old' | 'new' | 'new-after-write';
let floorPrefix = '';
type Result = { serialUs: number; cpuUs: number };

/** A redis-server of our own on a free port, without persistence. */
async function privateRedis(): Promise<{ url: string; child: ChildProcess | null }> {
  if (process.env.BENCH_REDIS_URL) return { url: benchRedisUrl(), child: null };
  const port = await new Promise<number>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  const url = `redis://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0 });
    probe.on('error', () => {}); // refused until the server listens
    try {
      await probe.connect();
      await probe.ping();
      probe.disconnect();
      return { url, child };
    } catch {
      probe.disconnect();
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  child.kill();
  throw new Error('redis-server did not start');
}

let redisUrl = '';

async function main() {
  const server = await privateRedis();
  redisUrl = server.url;
  const redis = new Redis(redisUrl);
  const prefix = `hp-lookup-bench-${Date.now()}`;
  floorPrefix = `${prefix}-floor`;
  const results = new Map<string, Result[]>();
  try {
    const stores = {
      old: await baselineStore(redis, `${prefix}-old`),
      new: createRedisStore({ redis, prefix: `${prefix}-new`, schemaHash: 'bench' }),
    };
    const cases: [Case, number][] = [];
    for (const n of SIZES)
      for (const c of ['floor', 'old', 'new', 'new-after-write'] as const) cases.push([c, n]);
    await interleaved(rounds, cases, async ([c, n], round) => {
      const r =
        c === 'floor'
          ? await measureFloor(redis, n)
          : c === 'new-after-write'
            ? await measureAfterWrite(stores.new, redis, n)
            : await measureHits(stores[c], redis, n);
      process.stderr.write(`round ${round} ${c} ${n}: ${JSON.stringify(r)}\n`);
      const key = `${c}/${n}`;
      results.set(key, [...(results.get(key) ?? []), r]);
    });
    for (const store of Object.values(stores)) await store.close();
  } finally {
    await deleteKeys(redis, `${prefix}*`);
    redis.disconnect();
    server.child?.kill();
  }
  const cell = (c: Case, n: number, pick: (r: Result) => number) =>
    median((results.get(`${c}/${n}`) ?? []).map(pick)).toFixed(1);
  const row = (c: Case, label: string) =>
    `| ${label} | ${SIZES.map((n) => cell(c, n, (r) => r.cpuUs)).join(' | ')} | ${SIZES.map((n) => cell(c, n, (r) => r.serialUs)).join(' | ')} |`;
  const table = [
    `## Cost of a hit's lookup against the entities in it: last run ${new Date().toISOString().slice(0, 19)}Z`,
    '',
    `${HITS} hits of one agenda entry per cell (tags: its day, its provider, one per appointment; ` +
      `about 280 bytes of body per appointment), on ${process.env.BENCH_REDIS_URL ? redisUrl : 'a private redis-server'}, store against store (no HTTP, no copies in process), ` +
      `${rounds} interleaved rounds, medians. Redis CPU: used_cpu_user + used_cpu_sys over the hits, per hit. ` +
      `"After a write": the first hit of each of ${AFTER_WRITE} entries after one write of other tags in their scope.`,
    '',
    '| Lookup | Redis CPU µs, 10 | 100 | 400 | µs per hit one at a time, 10 | 100 | 400 |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    row('floor', 'floor: GET of a string of the same bytes (what sending the body costs)'),
    row('old', `before issue 19 (${baselineRef}): HGETALL + MGET of every tag's version`),
    row('new', 'issue 19: HMGET of 4 fields, the clock unchanged'),
    row(
      'new-after-write',
      "issue 19, first hit after an unrelated write: the log since the entry's clock",
    ),
  ].join('\n');
  console.log(table);
  const begin = '<!-- lookup:begin (written by npm run bench:lookup) -->';
  const end = '<!-- lookup:end -->';
  writeSection(begin, end, `${begin}\n${table}\n${end}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

/**
 * `npm run bench:lookup`: what one cache hit costs with the new lookup (the epoch read in the
 * same round trip, the entry's tag versions compared in the script) against the lookup it
 * replaced (the entry read alone, the epoch cached and refreshed by pub/sub), taken from git at
 * BENCH_BASELINE_REF (default 002e6d4, the last commit before issue 7). Both run against the
 * same Redis, one after the other, BENCH_ROUNDS times (default 3) interleaved; medians. Per
 * hit: wall time at concurrency 1 (a round trip each) and at concurrency 50, and Redis CPU
 * (used_cpu_user + used_cpu_sys from INFO, over the hits). Writes its table to
 * docs/benchmarks.md between the lookup markers.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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

const baselineRef = process.env.BENCH_BASELINE_REF ?? '002e6d4';
const redisUrl = benchRedisUrl();
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const HITS = 20_000;
const TAGS = ['Agenda:u1:2026-11-22', 'User:u1', 'Appointment:a1', 'Appointment:a2', 'Service:s1'];
const BODY = JSON.stringify({ data: { agenda: { id: 'x'.repeat(1500) } } });

async function baselineStore(redis: Redis, prefix: string): Promise<ResponseStore> {
  const dir = mkdtempSync(join(root, 'bench', '.baseline-'));
  for (const file of ['store.ts', 'redis-store.ts']) {
    const source = execFileSync('git', ['show', `${baselineRef}:src/cache/${file}`], {
      cwd: root,
      encoding: 'utf8',
    });
    writeFileSync(join(dir, file), source);
  }
  const module = (await import(pathToFileURL(join(dir, 'redis-store.ts')).href)) as {
    createRedisStore: (options: object) => ResponseStore;
  };
  rmSync(dir, { recursive: true, force: true });
  return module.createRedisStore({ redis, prefix, schemaHash: 'bench' });
}

/** Redis's CPU seconds (lib/cpu.ts): the hits' own cost is in Redis, not in this process. */
const redisCpu = async (redis: Redis) => redisCpuSeconds(await redis.info('cpu'));

let measured = 0;

async function measure(store: ResponseStore, redis: Redis) {
  const scope = `bench-tenant-${++measured}`;
  const miss = await store.lookup(scope, 'k');
  if (miss.hit) throw new Error('expected a miss first');
  const saved = await store.save(scope, 'k', {
    body: BODY,
    tags: TAGS,
    ttlMs: 600_000,
    seenSeq: miss.seq,
    seenEpoch: miss.epoch,
  });
  if (saved !== 'stored') throw new Error(`save: ${saved}`);
  for (let i = 0; i < 500; i++) await store.lookup(scope, 'k'); // warm: scripts loaded
  const cpu0 = await redisCpu(redis);
  let t = performance.now();
  for (let i = 0; i < HITS; i++) {
    const r = await store.lookup(scope, 'k');
    if (!r.hit) throw new Error('expected hits');
  }
  const serialUs = ((performance.now() - t) * 1000) / HITS;
  t = performance.now();
  for (let i = 0; i < HITS; i += 50) {
    await Promise.all(Array.from({ length: 50 }, () => store.lookup(scope, 'k')));
  }
  const concurrentUs = ((performance.now() - t) * 1000) / HITS;
  const cpuUs = (((await redisCpu(redis)) - cpu0) * 1e6) / (2 * HITS);
  return { serialUs, concurrentUs, cpuUs };
}

async function main() {
  const redis = new Redis(redisUrl);
  const prefix = `hp-lookup-bench-${Date.now()}`;
  const results: Record<string, { serialUs: number; concurrentUs: number; cpuUs: number }[]> = {
    old: [],
    new: [],
  };
  try {
    const stores = {
      old: await baselineStore(redis, `${prefix}-old`),
      new: createRedisStore({ redis, prefix: `${prefix}-new`, schemaHash: 'bench' }),
    };
    await interleaved(rounds, ['old', 'new'] as const, async (id, round) => {
      const r = await measure(stores[id], redis);
      process.stderr.write(`round ${round} ${id}: ${JSON.stringify(r)}\n`);
      results[id].push(r);
    });
    for (const store of Object.values(stores)) await store.close();
  } finally {
    await deleteKeys(redis, `${prefix}*`);
    redis.disconnect();
  }
  const row = (id: 'old' | 'new', label: string) => {
    const rs = results[id];
    const m = (f: (r: (typeof rs)[number]) => number) => median(rs.map(f)).toFixed(1);
    return `| ${label} | ${m((r) => r.serialUs)} | ${m((r) => r.concurrentUs)} | ${m((r) => r.cpuUs)} |`;
  };
  const table = [
    `## Cost of a hit's lookup: last run ${new Date().toISOString().slice(0, 19)}Z`,
    '',
    `${HITS} hits of one entry with ${TAGS.length} tags (8 with their prefixes) and a 1.5 kB body, on ${redisUrl}, ` +
      `store against store (no HTTP), ${rounds} interleaved rounds, medians. Redis CPU: used_cpu_user + used_cpu_sys ` +
      'over both passes, per hit.',
    '',
    '| Lookup | µs per hit, one at a time | µs per hit, 50 at once | Redis CPU µs per hit |',
    '| --- | ---: | ---: | ---: |',
    row('old', `before issue 7 (${baselineRef}): GET entry in a script, epoch cached`),
    row('new', 'issue 7: GET epoch + script checking the tag versions, one round trip'),
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

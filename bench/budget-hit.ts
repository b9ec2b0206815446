/**
 * `npm run bench:budget-hit`: what cost budgets add to a cache hit (issue 17: at most 2 µs),
 * in this process: the view of the bucket (budgets.hit), extensions.cost written by hand and
 * its tail for splicing (costJson, costTail, its byte length), and the charge (budgets.charged:
 * a Map update, sent to the bucket in batches). Process CPU over BENCH_HITS hits (default
 * 2,000,000) for 100 API keys, against the same loop without budgets; memory buckets and the
 * shared Redis (BENCH_REDIS_URL, default redis://127.0.0.1:6379) in turn. Medians of 5 rounds.
 * Not included: the hit path's two writes (the stored bytes but their last, then the tail)
 * instead of one, which node:http sends corked as one packet.
 */
import { loadavg } from 'node:os';
import { setImmediate as tick } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { BUDGET_DEFAULTS, createBudgets } from '../src/budget/budgets.js';
import { costJson, costTail } from '../src/budget/cost.js';
import { deleteKeys } from './lib/redis.js';
import { loads, median, writeDocSection } from './lib/report.js';
import { positive } from './lib/settings.js';

const hits = positive('BENCH_HITS', 2_000_000, true);
const redisUrl = process.env.BENCH_REDIS_URL || 'redis://127.0.0.1:6379';
// 100 API keys of 100 tenants: what a hit names its bucket by.
const tenants = Array.from({ length: 100 }, (_, i) => ({
  tenantId: `bench-tenant-${i}`,
  keyId: `bench-key-${i}`,
}));
const body = Buffer.from(`{"data":{"agenda":${JSON.stringify('x'.repeat(1_900))}}}`);

function cpuMicros(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}

/** CPU µs per hit of `work` over `hits` hits, yielding every 10,000 so timers run. */
async function perHit(work: (payer: (typeof tenants)[number]) => number): Promise<number> {
  let sink = 0;
  const before = cpuMicros();
  for (let i = 0; i < hits; i++) {
    sink += work(tenants[i % tenants.length]!);
    if (i % 10_000 === 0) await tick();
  }
  await new Promise((resolve) => setTimeout(resolve, 50)); // the last batch is sent
  if (sink === -1) console.log(sink);
  return (cpuMicros() - before) / hits;
}

async function main() {
  const loadBefore = loadavg();
  const redis = new Redis(redisUrl);
  const prefix = `hp-bench-budget-${process.pid}`;
  const rows: string[] = [];
  try {
    for (const backend of ['memory', 'Redis'] as const) {
      const budgets = createBudgets({
        config: { ...BUDGET_DEFAULTS, maximumAvailable: 1e12, restoreRate: 1e9 },
        redis: backend === 'Redis' ? redis : null,
        prefix,
        registry: new Registry(),
      });
      const baseline: number[] = [];
      const withBudgets: number[] = [];
      for (let round = 0; round < 5; round++) {
        baseline.push(await perHit(() => body.length));
        withBudgets.push(
          await perHit((payer) => {
            const charge = budgets.hit(payer);
            const tail = costTail(costJson(1, 1, charge.status));
            const length = body.length - 1 + Buffer.byteLength(tail);
            budgets.charged(payer);
            return length;
          }),
        );
      }
      const added = median(withBudgets) - median(baseline);
      rows.push(
        `| ${backend} | ${median(baseline).toFixed(3)} | ${median(withBudgets).toFixed(3)} | ${added.toFixed(3)} |`,
      );
      console.log(rows.at(-1));
    }
  } finally {
    await deleteKeys(redis, `${prefix}*`);
    redis.disconnect();
  }
  writeDocSection(
    'budget-hit',
    [
      `Run: ${new Date().toISOString()}, \`npm run bench:budget-hit\`, ${hits.toLocaleString('en-US')} hits over 100 API keys (one bucket each), medians of 5 rounds, process CPU; load average ${loads(loadBefore)} before${loadBefore[0]! > 1 ? ' (**NOISY**: other work was running)' : ''}.`,
      '',
      '| buckets | loop alone, µs/hit | with budgets, µs/hit | added, µs/hit |',
      '| --- | --- | --- | --- |',
      ...rows,
    ].join('\n'),
  );
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});

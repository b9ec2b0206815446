import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisServer, startRedisServer } from '../support/redis.js';

/**
 * What a miss leaves behind once it is answered must be garbage to V8's young generation, not
 * promoted to the old one (README: Where a miss's garbage collection comes from). Two things
 * kept every miss's rows and result alive past the scavenges, each alone enough: the loaders
 * of @pothos/plugin-dataloader, kept in WeakMaps keyed by the context (V8 clears a WeakMap's
 * entries only in a full collection), and an AbortSignal for LIMIT_EXECUTION_MS handed to
 * every execution. An in-process loop of agenda misses promoted about 2 MB per scavenge with
 * either; without both, about 16 KB. This reads V8's own account (--trace-gc-nvp) of the
 * scavenges during the misses (at least 20: see the probe): what each promoted.
 *
 * With Redis, ioredis's auto-pipelining kept every command of a miss (its arguments, the
 * callbacks waiting for it) alive until the next full collection (src/cache/store/redis/
 * client.ts, holdTurns): about 900 KB per scavenge on Node 20, against about 160 KB
 * without it.
 */

const ROOT = join(import.meta.dirname, '..', '..');
const run = promisify(execFile);

/** promoted= of each scavenge between the probe's two marker lines. */
function promotedPerScavenge(stdout: string): number[] {
  const lines = stdout.split('\n');
  const from = lines.indexOf('young-garbage:start');
  const to = lines.indexOf('young-garbage:end');
  if (from === -1 || to === -1)
    throw new Error(`the probe printed no markers:\n${stdout.slice(-2000)}`);
  return lines
    .slice(from + 1, to)
    .filter((line) => / gc=s /.test(line))
    .map((line) => Number(/ promoted=(\d+)/.exec(line)?.[1] ?? Number.NaN));
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** How many misses the probe ran between its markers. */
function missesRun(stdout: string): number {
  const line = stdout.split('\n').find((l) => l.startsWith('young-garbage:misses '));
  return Number(line?.slice('young-garbage:misses '.length) ?? Number.NaN);
}

/**
 * What each scavenge promoted while the probe ran its misses, with `env` over this one's, and
 * how many misses it ran.
 */
async function probe(env: Record<string, string> = {}, nodeArgs: string[] = []) {
  const { stdout } = await run(
    process.execPath,
    [
      '--trace-gc-nvp',
      ...nodeArgs,
      '--import',
      'tsx',
      join(ROOT, 'test', 'support', 'young-garbage-probe.ts'),
    ],
    {
      cwd: ROOT,
      env: { ...process.env, NODE_ENV: 'production', ...env },
      timeout: 120_000,
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  const promoted = promotedPerScavenge(stdout);
  // The probe goes on until it has seen 20 young collections: enough to judge.
  expect(promoted.length).toBeGreaterThanOrEqual(15);
  expect(promoted.every(Number.isFinite)).toBe(true);
  const misses = missesRun(stdout);
  expect(misses).toBeGreaterThan(0);
  return { promoted, misses };
}

describe("a miss's garbage", () => {
  it('dies young: the scavenges during agenda misses promote next to nothing', async () => {
    const { promoted } = await probe();
    // Before: about 2 MB per scavenge (the misses' whole rows and results); now about 16 KB.
    expect(median(promoted)).toBeLessThan(256 * 1024);
  }, 150_000);

  describe('with the Redis store', () => {
    // A private server: every miss stores an entry, which the shared one should not collect.
    let redis: RedisServer;
    beforeAll(async () => {
      redis = await startRedisServer();
    });
    afterAll(async () => {
      await redis?.stop();
    });

    it("dies young too: a miss's Redis commands are not kept until a full collection", async () => {
      // Without V8's page promotion: Node 24's scavenges otherwise move whole pages of the young
      // generation to the old one now and then, with whatever in-flight work they hold (one run
      // promoted 35 KB per miss, the next 5 KB), which says nothing of what a miss keeps.
      const { promoted, misses } = await probe({ YOUNG_GARBAGE_REDIS_URL: redis.url }, [
        '--no-page-promotion',
      ]);
      // Per miss (a typical scavenge's share over the misses between two scavenges): the
      // runtimes' young generations differ in size (Node 24 collects about a third as often).
      // Through ioredis's Pipelines: 16 KB on Node 20, 22.6 to 22.9 KB on Node 24; without them,
      // 1.7 to 2.1 KB and 1.1 KB.
      const perMiss = median(promoted) / (misses / promoted.length);
      expect(perMiss).toBeLessThan(6_000);
    }, 150_000);
  });
});

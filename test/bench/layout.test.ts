import { describe, expect, it } from 'vitest';
import {
  type Case,
  type Checkout,
  label,
  layoutTable,
  ratios,
  type Sample,
  type StoreId,
  verdictLines,
} from '../../bench/layout-report.js';
import { TARGETS } from '../../bench/targets.js';

/** bench:layout's verdict (issue 15): hits within 5% of before, from each round's own ratio. */

const target = (id: 'memory' | 'redis') => {
  const found = TARGETS.find((t) => t.id === id);
  if (!found) throw new Error(`no ${id} target`);
  return found;
};
const checkout = (name: Checkout['name']): Checkout => ({ name, dir: undefined, commit: name });
const sample = (reqPerSec: number, cpuPerHit: number): Sample => ({
  reqPerSec,
  p50: 1,
  p99: 2,
  cpuPerHit,
  redisCpuPerHit: null,
  hitShare: 1,
  othersCpu: 0,
});
/** One case per checkout and store, each with the rounds given as [req/s, CPU µs] pairs. */
function cases(
  rounds: Record<string, [number, number][]>,
  stores: StoreId[] = ['memory', 'redis'],
): Case[] {
  return stores.flatMap((id) =>
    (['before', 'after'] as const).map((name) => ({
      checkout: checkout(name),
      target: target(id === 'memory' ? 'memory' : 'redis'),
      store: id,
      samples: (rounds[`${name}/${id}`] ?? []).map(([rps, cpu]) => sample(rps, cpu)),
    })),
  );
}

describe("bench:layout's ratios", () => {
  it("takes the median of each round's own ratio, per store", () => {
    const [memory, redis] = ratios(
      cases({
        // The machine slowed down in the second round, for both checkouts: each round's own
        // ratio is 1.1 × req/s and 0.9 × CPU but the first; the medians over rounds (900 and
        // 700 req/s) would give 0.78.
        'before/memory': [
          [1_000, 50],
          [600, 90],
          [900, 60],
        ],
        'after/memory': [
          [700, 70],
          [660, 81],
          [990, 54],
        ],
        'before/redis': [
          [500, 100],
          [500, 100],
          [500, 100],
        ],
        'after/redis': [
          [400, 120],
          [400, 120],
          [400, 120],
        ],
      }),
    );
    expect(memory.store).toBe('memory');
    expect(memory.reqPerSec).toBeCloseTo(1.1, 9);
    expect(memory.cpuPerHit).toBeCloseTo(0.9, 9);
    expect(memory.spread.reqPerSec).toEqual([0.7, expect.closeTo(1.1, 9)]);
    expect(memory.within).toBe(true);
    expect(redis).toMatchObject({ store: 'Redis', reqPerSec: 0.8, cpuPerHit: 1.2, within: false });
  });

  it('fails when either figure passes 5%, whichever way the other goes', () => {
    const one = (after: [number, number]) =>
      ratios(
        cases({
          'before/memory': [[1_000, 100]],
          'after/memory': [after],
          'before/redis': [[1, 1]],
          'after/redis': [[1, 1]],
        }),
      )[0].within;
    expect(one([950, 105])).toBe(true);
    expect(one([949, 100])).toBe(false);
    expect(one([2_000, 106])).toBe(false);
  });

  it('refuses to judge a store one checkout has no samples for', () => {
    expect(() => ratios(cases({ 'before/memory': [[1, 1]], 'after/memory': [[1, 1]] }))).toThrow(
      'no before samples on Redis',
    );
  });

  it('writes a row per case and a verdict per store', () => {
    const all = cases({
      'before/memory': [[1_000, 50]],
      'after/memory': [[1_000, 50]],
      'before/redis': [[500, 80]],
      'after/redis': [[400, 80]],
    });
    expect(layoutTable(all).split('\n')).toHaveLength(2 + 4);
    expect(verdictLines(all)).toEqual([
      '- memory: req/s after/before 1.000, server CPU per hit after/before 1.000: within 5%',
      '- Redis: req/s after/before 0.800, server CPU per hit after/before 1.000: NOT within 5%',
    ]);
  });

  it('compares Redis without copies as a store of its own when asked (BENCH_LAYOUT_STORES)', () => {
    const all = cases(
      {
        'before/memory': [[1_000, 50]],
        'after/memory': [[1_000, 50]],
        'before/redis-nocopy': [[8_000, 120]],
        'after/redis-nocopy': [[9_400, 102]],
      },
      ['memory', 'redis-nocopy'],
    );
    expect(ratios(all).map((r) => r.store)).toEqual(['memory', 'Redis without copies']);
    expect(layoutTable(all)).toContain('| Redis without copies |');
    expect(verdictLines(all)[1]).toBe(
      '- Redis without copies: req/s after/before 1.175, server CPU per hit after/before 0.850: within 5%',
    );
  });

  it('names the cluster stores in the table and in each case label', () => {
    const all = cases(
      {
        'before/cluster': [[20_000, 48]],
        'after/cluster': [[21_000, 44]],
        'before/cluster-nocopy': [[6_400, 154]],
        'after/cluster-nocopy': [[7_000, 139]],
      },
      ['cluster', 'cluster-nocopy'],
    );
    expect(ratios(all).map((r) => r.store)).toEqual([
      'Redis Cluster',
      'Redis Cluster without copies',
    ]);
    expect(layoutTable(all)).toContain('| Redis Cluster without copies |');
    expect(all.map(label)).toEqual([
      'before (before), Hotpath, Redis hit on a cluster',
      'after (after), Hotpath, Redis hit on a cluster',
      'before (before), Hotpath, Redis hit on a cluster without copies',
      'after (after), Hotpath, Redis hit on a cluster without copies',
    ]);
  });
});

import { describe, expect, it } from 'vitest';
import {
  evaluateTargets,
  type Figures,
  selectTargets,
  TARGET_IDS,
  type TargetId,
} from '../../bench/targets.js';

const row = (id: TargetId, reqPerSec: number, cpuPerRequest: number, p99 = 2): Figures => ({
  id,
  label: id,
  reqPerSec,
  p50: 1,
  p99,
  cpuPerRequest,
});

describe('selectTargets', () => {
  it('runs every target when BENCH_TARGETS is unset or empty', () => {
    expect(selectTargets(undefined).map((t) => t.id)).toEqual([...TARGET_IDS]);
    expect(selectTargets(' ').map((t) => t.id)).toEqual([...TARGET_IDS]);
  });

  it("keeps the table's order and always adds the ceiling", () => {
    expect(selectTargets('redis, memory,apollo-redis').map((t) => t.id)).toEqual([
      'ceiling',
      'memory',
      'redis',
      'apollo-redis',
    ]);
  });

  it('names unknown ids', () => {
    expect(() => selectTargets('memory,redis-1s,apolo')).toThrow(/redis-1s, apolo/);
  });
});

describe('evaluateTargets', () => {
  it('says met for every target when Hotpath is within them and ahead of every peer', () => {
    const verdicts = evaluateTargets([
      row('ceiling', 20_000, 40),
      row('memory', 12_000, 80),
      row('redis', 8_000, 120),
      row('apollo-memory', 7_000, 150),
      row('mercurius-jit-memory', 7_900, 110),
    ]);
    expect(verdicts.map((v) => v.met)).toEqual(Array(8).fill(true));
    expect(verdicts[0].line).toBe(
      "Memory hit req/s ≥ 0.60 × the ceiling's: met (12,000 req/s = 0.60 × 20,000)",
    );
    expect(verdicts[7].line).toContain('the fastest peer, mercurius-jit-memory: 7,900');
  });

  it('says MISSED with the figures for each target that is not met', () => {
    const verdicts = evaluateTargets([
      row('ceiling', 20_000, 40),
      row('memory', 11_000, 82, 5.5),
      row('redis', 7_000, 122),
      row('apollo-memory', 9_000, 150),
      row('mercurius-jit-memory', 12_000, 110),
    ]);
    const lines = verdicts.filter((v) => !v.met).map((v) => v.line);
    expect(lines).toEqual([
      "Memory hit req/s ≥ 0.60 × the ceiling's: MISSED (11,000 req/s = 0.55 × 20,000)",
      "Memory hit CPU per request ≤ 2× the ceiling's: MISSED (82 µs = 2.05× 40 µs)",
      'Memory hit p99 ≤ 5 ms: MISSED (p99 5.50 ms)',
      'Memory hit ahead of every peer (req/s): MISSED (11,000 req/s; ahead of it: ' +
        'mercurius-jit-memory 12,000)',
      "Redis hit req/s ≥ 0.40 × the ceiling's: MISSED (7,000 req/s = 0.35 × 20,000)",
      "Redis hit CPU per request ≤ 3× the ceiling's: MISSED (122 µs = 3.05× 40 µs)",
      'Redis hit ahead of every peer (req/s): MISSED (7,000 req/s; ahead of it: ' +
        'mercurius-jit-memory 12,000, apollo-memory 9,000)',
    ]);
  });

  it('does not count Hotpath rows or the ceiling as peers', () => {
    const verdicts = evaluateTargets([
      row('ceiling', 20_000, 40),
      row('off', 30_000, 10),
      row('memory', 15_000, 50),
    ]);
    expect(verdicts.find((v) => v.line.startsWith('Memory hit ahead'))?.line).toBe(
      'Memory hit ahead of every peer: not measured',
    );
  });

  it("says when a hit row was not all hits, since it then shows no hit's cost", () => {
    const verdicts = evaluateTargets([
      row('ceiling', 20_000, 40),
      { ...row('redis', 9_000, 100), hitShare: 0.985 },
    ]);
    expect(verdicts.find((v) => v.line.startsWith('Redis hit req/s'))?.line).toBe(
      "Redis hit req/s ≥ 0.40 × the ceiling's: met (9,000 req/s = 0.45 × 20,000; only 98% hits)",
    );
  });

  it('reports a target whose rows did not run as not measured, never as met', () => {
    const verdicts = evaluateTargets([row('ceiling', 20_000, 40), row('memory', 15_000, 50)]);
    const redis = verdicts.filter((v) => v.line.startsWith('Redis hit'));
    expect(redis).toHaveLength(4);
    expect(redis.every((v) => !v.met && v.line.endsWith('not measured'))).toBe(true);
  });
});

import { describe, expect, it } from 'vitest';
import {
  type BodyFigures,
  type BodyId,
  type CaseKind,
  type CurvesRun,
  curvePlots,
  curvesMarkdown,
  evaluateCurveTargets,
  type WriteFigures,
} from '../../bench/curves-report.js';
import { linePlot } from '../../bench/lib/svg.js';

const fig = (
  body: BodyId,
  kind: CaseKind,
  reqPerSec: number,
  serverUs: number,
  redisUs: number | null = null,
): BodyFigures => ({
  body,
  kind,
  reqPerSec,
  p99: 2,
  serverUs,
  shareOfCeiling: null,
  cpuOfCeiling: null,
  redisUs,
  nearShare: null,
});

const write = (rate: number, fullReadsPerWrite: number | null): WriteFigures => ({
  rate,
  writesPerSec: rate,
  reqPerSec: 20_000,
  serverUs: 30,
  redisUs: 5,
  nearShare: 1,
  fullReadsPerWrite,
});

/** Issue 19's table as the figures of a run (the 1.9 KB rows from its text). */
function issueRun(): CurvesRun {
  return {
    bodies: [
      { id: 'demo', appointments: 6, bytes: 1_930, gzipBytes: 1_930 },
      { id: 'a10', appointments: 10, bytes: 2_900, gzipBytes: 2_900 },
      { id: 'a100', appointments: 100, bytes: 28_000, gzipBytes: 3_600 },
      { id: 'a400', appointments: 400, bytes: 112_000, gzipBytes: 13_000 },
    ],
    figures: [
      fig('demo', 'ceiling', 55_000, 18),
      fig('demo', 'memory', 32_450, 31),
      fig('demo', 'redis', 31_900, 31, 4),
      fig('a400', 'ceiling', 14_000, 72),
      fig('a400', 'memory', 5_000, 190),
      fig('a400', 'memory-gzip', 16_000, 55),
      fig('a400', 'redis', 5_100, 197, 3),
      fig('a400', 'redis-gzip', 15_000, 59, 3),
      fig('a400', 'redis-nocopy', 2_500, 401, 393),
    ],
    writes: [write(0, null), write(1, 1), write(10, 1), write(100, 1)],
    writesBody: 'a100',
    misses: null,
  };
}

/** How a run went, as curvesMarkdown takes it. */
const RUN_FACTS = {
  date: '2026-12-06T14:00:00Z',
  commit: 'abc1234',
  machine: 'Test CPU, 2 cores',
  pinned: true,
  loadBefore: [0, 0, 0] as [number, number, number],
  loadAfter: [0, 0, 0] as [number, number, number],
  othersShare: 0,
  rounds: 3,
  seconds: 5,
  warmup: 1,
};

const statusOf = (run: CurvesRun, start: string) => {
  const verdict = evaluateCurveTargets(run).find((v) => v.target.startsWith(start));
  if (!verdict) throw new Error(`no target starting ${start}`);
  return verdict;
};

describe("evaluateCurveTargets: issue 19's targets from a run's figures", () => {
  it("finds issue 19's own table short of every measured target", () => {
    const run = issueRun();
    expect(statusOf(run, 'memory hit').status).toBe('not met'); // 0.59
    expect(statusOf(run, 'Redis hit').status).toBe('not met'); // 0.58
    expect(statusOf(run, 'hit of a').status).toBe('not met'); // 197 / 72 = 2.7×
    expect(statusOf(run, 'hit of a').figures).toContain('2.74×');
    expect(statusOf(run, 'Redis CPU per lookup').status).toBe('not met'); // 393 µs
    // Each write sent the next hit to Redis for the whole entry.
    expect(statusOf(run, 'a write elsewhere').status).toBe('not met');
  });

  it('finds the targets met once the figures reach them', () => {
    const run = issueRun();
    run.figures = run.figures.map((f) =>
      f.body === 'demo' && f.kind !== 'ceiling'
        ? { ...f, reqPerSec: f.kind === 'memory' ? 44_000 : 41_250 }
        : f.body === 'a400' && f.kind !== 'ceiling'
          ? { ...f, serverUs: Math.min(f.serverUs, 144), redisUs: f.redisUs && 15 }
          : f,
    );
    run.writes = [write(0, null), write(1, 0), write(10, 0), write(100, 0.05)];
    expect(statusOf(run, 'memory hit').status).toBe('met'); // exactly 0.80
    expect(statusOf(run, 'Redis hit').status).toBe('met'); // exactly 0.75
    expect(statusOf(run, 'hit of a').status).toBe('met'); // exactly 2×
    expect(statusOf(run, 'Redis CPU per lookup').status).toBe('met'); // exactly 15 µs
    expect(statusOf(run, 'a write elsewhere').status).toBe('met');
  });

  it("judges a hit by each round's own ratio to its ceiling when the run has them", () => {
    const run = issueRun();
    // The medians say 44,000 ÷ 55,000 = 0.80 (met), and 100 ÷ 72 µs (1.4×, met); each
    // round's own ratio says 0.70 and 2.10× (the ceiling slowed down in the rounds where the
    // hit was fast).
    run.figures = run.figures.map((f) =>
      f.body === 'demo' && f.kind === 'memory'
        ? { ...f, reqPerSec: 44_000, shareOfCeiling: 0.7 }
        : f.body === 'a400' && f.kind !== 'ceiling'
          ? { ...f, serverUs: 100, cpuOfCeiling: f.kind === 'memory' ? 2.1 : 1.2 }
          : f,
    );
    const memory = statusOf(run, 'memory hit');
    expect(memory.status).toBe('not met');
    expect(memory.figures).toContain('0.70 ×');
    const large = statusOf(run, 'hit of a');
    expect(large.status).toBe('not met');
    expect(large.figures).toContain('worst: memory hit, without gzip');
  });

  it('judges the large body by its worst hit, gzip or not', () => {
    const run = issueRun();
    run.figures = run.figures.map((f) =>
      f.body === 'a400' && f.kind !== 'ceiling' && f.kind !== 'memory' ? { ...f, serverUs: 60 } : f,
    );
    const verdict = statusOf(run, 'hit of a');
    expect(verdict.status).toBe('not met');
    expect(verdict.figures).toContain('worst: memory hit, without gzip');
  });

  it("says what a hit's HTTP work alone leaves of the ceiling, beside the hit's own share", () => {
    const run = issueRun();
    // Without the reference the verdict says nothing of it.
    expect(statusOf(run, 'memory hit').figures).not.toContain('HTTP work');
    run.figures.push({ ...fig('demo', 'http', 48_400, 20.5), shareOfCeiling: 0.88 });
    const memory = statusOf(run, 'memory hit');
    expect(memory.status).toBe('not met'); // judged by the hit, not by the reference
    expect(memory.figures).toContain("a hit's HTTP work alone: 0.88 × the ceiling");
    expect(statusOf(run, 'Redis hit').figures).toContain('0.88 × the ceiling');
    // Its row in the tables: what serving a hit's HTTP costs, next to the ceiling's.
    const markdown = curvesMarkdown(run, { ...RUN_FACTS, noisy: null });
    expect(markdown).toMatch(
      /\| node:http doing a hit's HTTP work [^|]*, server µs\/request \| 21 \|/,
    );
  });

  it('says "not measured" for what the run did not measure, never met', () => {
    const run: CurvesRun = { ...issueRun(), figures: [], writes: [write(0, null)] };
    const verdicts = evaluateCurveTargets(run);
    expect(verdicts).toHaveLength(7);
    expect(verdicts.every((v) => v.status === 'not measured')).toBe(true);
  });

  it('judges the misses from the misses section once it is wired', () => {
    const run = issueRun();
    run.misses = { cacheShare: 0.04, missToCeiling: 3.75, missUs: 1_500, missCeilingUs: 400 };
    expect(statusOf(run, 'cache overhead').status).toBe('met');
    expect(statusOf(run, 'agenda miss').status).toBe('not met');
    run.misses = { cacheShare: 0.15, missToCeiling: 3, missUs: 1_200, missCeilingUs: 400 };
    expect(statusOf(run, 'cache overhead').status).toBe('not met');
    expect(statusOf(run, 'agenda miss').status).toBe('met'); // exactly 3×
  });

  it("judges the miss by each round's own ratio, not by the ratio of two medians", () => {
    // Medians of windows minutes apart say 2.5×; the rounds' own ratios say 3.5×.
    const run = issueRun();
    run.misses = { cacheShare: 0.1, missToCeiling: 3.5, missUs: 1_000, missCeilingUs: 400 };
    const verdict = statusOf(run, 'agenda miss');
    expect(verdict.status).toBe('not met');
    expect(verdict.figures).toContain('3.50×');
  });
});

describe('the curves section and plots', () => {
  it('writes the targets, the tables and the image links, labelled NOISY when noisy', () => {
    const markdown = curvesMarkdown(issueRun(), {
      ...RUN_FACTS,
      loadBefore: [3, 2, 1],
      loadAfter: [3, 2, 1],
      othersShare: 0.4,
      noisy: 'other helpers were running',
    });
    expect(markdown).toContain('**NOISY: other helpers were running.**');
    expect(markdown).toContain('Redis hit, 1.9 KB agenda ≥ 0.75 × ceiling (req/s): NOT MET');
    for (const img of ['curves-body.svg', 'curves-entities.svg', 'curves-writes.svg'])
      expect(markdown).toContain(`(img/${img})`);
    // The 400-appointment column of the CPU table: the no-copy hit's 401 µs.
    expect(markdown).toMatch(/\| Redis hit without copies, server µs\/request \|[^\n]*\| 401 \|/);
  });

  it('plots one series per case with a point per measured body, and the write rates', () => {
    const plots = curvePlots(issueRun());
    const body = plots.find((p) => p.file === 'curves-body.svg')?.spec;
    const ceiling = body?.series.find((s) => s.name.startsWith('ceiling'));
    expect(ceiling?.points.filter(([, y]) => y !== null)).toEqual([
      [1.93, 18],
      [112, 72],
    ]);
    const entities = plots.find((p) => p.file === 'curves-entities.svg')?.spec;
    expect(entities?.series[0].points.filter(([, y]) => y !== null)).toEqual([[400, 393]]);
    const writes = plots.find((p) => p.file === 'curves-writes.svg')?.spec;
    expect(writes?.series[0].points.map(([x]) => x)).toEqual([0, 1, 10, 100]);
    // Every plot renders.
    for (const plot of plots) expect(linePlot(plot.spec)).toContain('<polyline');
  });
});

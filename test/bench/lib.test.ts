import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import {
  type CpuSample,
  cpuWindow,
  mainThreadCpuSeconds,
  othersShare,
  processCpuSeconds,
} from '../../bench/lib/cpu.js';
import { interleaved } from '../../bench/lib/load.js';
import { coreHalves, pinnedCommand } from '../../bench/lib/pin.js';
import { medianOf, ratio, replaceSection, runtime, withRuntime } from '../../bench/lib/report.js';
import { type MissRow, pairedRatio } from '../../bench/miss.js';

/** Spends at least `seconds` of this process's CPU time (not wall time). */
function burn(seconds: number): void {
  const start = processCpuSeconds('self');
  let x = 0;
  while (processCpuSeconds('self') - start < seconds) for (let i = 0; i < 1e5; i++) x += i;
  expect(x).toBeGreaterThan(0);
}

describe('cpuWindow: the server CPU per request convention', () => {
  it("divides the process's user + system time over the window by the requests answered", () => {
    const window = cpuWindow(process.pid);
    burn(0.05);
    // At least 0.05 s over 1,000 requests: at least 50 µs each.
    expect(window.perRequest(1_000)).toBeGreaterThanOrEqual(50);
    expect(window.perRequest(0)).toBe(0);
  });

  it("splits out the main thread's own time, never more than the whole", () => {
    const window = cpuWindow(process.pid);
    const start = mainThreadCpuSeconds(process.pid);
    let x = 0;
    while (mainThreadCpuSeconds(process.pid) - start < 0.05) for (let i = 0; i < 1e5; i++) x += i;
    expect(x).toBeGreaterThan(0);
    expect(window.mainPerRequest(1_000)).toBeGreaterThanOrEqual(50);
    // The process's time and its thread's are read at different instants and adjusted apart by
    // the kernel: the main thread may show up to a few ticks (10 ms each: 10 µs a request here)
    // more than the whole (two exactly, in a CI run on a loaded machine; the µs are floats, so
    // the bound has room for their rounding), never more.
    expect(window.mainPerRequest(1_000)).toBeLessThanOrEqual(window.perRequest(1_000) + 30.001);
    expect(window.mainPerRequest(0)).toBe(0);
  });

  it("counts the pid it is given, not the bench's own CPU", async () => {
    const idle = spawn('sleep', ['5']);
    try {
      const pid = idle.pid ?? 0;
      const window = cpuWindow(pid);
      burn(0.1);
      // A sleeping process spends (next to) nothing, however busy the bench was meanwhile.
      expect(window.perRequest(1)).toBeLessThan(0.05 * 1e6);
    } finally {
      idle.kill('SIGKILL');
      await once(idle, 'exit');
    }
  });
});

describe('othersShare', () => {
  const sample = (server: number, redis: number, self: number, busy: number, total: number) =>
    ({ server, redis, self, machineBusy: busy, machineTotal: total }) satisfies CpuSample;

  it("is the machine's busy time that neither the server, Redis nor the bench took", () => {
    const before = sample(10, 5, 3, 100, 200);
    const after = sample(11, 5.5, 3.5, 103, 204);
    // 3 s busy, 2 s ours, over 4 s of machine time.
    expect(othersShare(before, after)).toBeCloseTo(0.25, 9);
  });

  it('is never negative, and null over no time', () => {
    expect(othersShare(sample(0, 0, 0, 0, 0), sample(2, 0, 0, 1, 4))).toBe(0);
    expect(othersShare(sample(0, 0, 0, 0, 4), sample(0, 0, 0, 0, 4))).toBeNull();
  });
});

describe('medianOf and ratio', () => {
  it('takes the median of the values picked, nulls left out', () => {
    const rows = [{ v: 3 }, { v: null }, { v: 1 }, { v: 10 }];
    expect(medianOf(rows, (r) => r.v)).toBe(3);
    expect(medianOf([{ v: 4 }, { v: 2 }], (r) => r.v)).toBe(3);
  });

  it('is null when nothing is left', () => {
    expect(medianOf([{ v: null }], (r) => r.v)).toBeNull();
    expect(medianOf([], () => 1)).toBeNull();
  });

  it('writes a ratio with two decimals and a ×', () => {
    expect(ratio(5, 2)).toBe('2.50×');
    expect(ratio(1, 3)).toBe('0.33×');
  });
});

describe('pairedRatio: a ratio taken within each round of bench:miss', () => {
  const row = (samples: MissRow['samples']): MissRow => ({
    appointments: 10,
    bytes: 3_000,
    cpuUs: {},
    samples,
    mainUs: {},
    mainSamples: {},
  });

  it("is the median of the rounds' own ratios, not the ratio of the medians", () => {
    // The machine slowed down by half in round 2 and 3: each round's Redis miss is 10% above
    // its cache-off miss, which the medians (1,000 ÷ 1,500 and 1,650) can't tell.
    const ratio = pairedRatio(
      row({ off: [1_000, 1_500, 1_500], redis: [1_100, 1_650, 1_650] }),
      'redis',
      'off',
    );
    expect(ratio?.median).toBeCloseTo(1.1, 10);
    expect(ratio?.min).toBeCloseTo(1.1, 10);
    expect(ratio?.max).toBeCloseTo(1.1, 10);
    const skewed = pairedRatio(
      row({ off: [1_000, 2_000, 1_000], redis: [1_050, 2_400, 1_300] }),
      'redis',
      'off',
    );
    expect(skewed).toEqual({ median: 1.2, min: 1.05, max: 1.3 });
  });

  it('is null when either target did not run', () => {
    expect(pairedRatio(row({ off: [1_000] }), 'redis', 'off')).toBeNull();
  });
});

describe('replaceSection', () => {
  const begin = '<!-- x:begin (written by npm run bench:x) -->';
  const end = '<!-- x:end -->';

  it('replaces the markers and what is between them, parentheses and all, and keeps the rest', () => {
    const doc = `# B\n\nbefore\n${begin}\nold\n${end}\nafter\n`;
    expect(replaceSection(doc, begin, end, `${begin}\nnew\n${end}`)).toBe(
      `# B\n\nbefore\n${begin}\nnew\n${end}\nafter\n`,
    );
  });

  it('appends the block when the markers are absent or out of order', () => {
    expect(replaceSection('# B\n\n', begin, end, 'block')).toBe('# B\n\nblock\n');
    expect(replaceSection(`${end}\n${begin}\n`, begin, end, 'block')).toBe(
      `${end}\n${begin}\n\nblock\n`,
    );
  });
});

describe('interleaved', () => {
  it('runs every case once per round, in order, rounds counted from 1', async () => {
    const seen: string[] = [];
    await interleaved(2, ['a', 'b', 'c'], async (item, round) => {
      seen.push(`${round}${item}`);
    });
    expect(seen).toEqual(['1a', '1b', '1c', '2a', '2b', '2c']);
  });

  it('alternates the order every other round when asked (a, b, b, a)', async () => {
    const seen: string[] = [];
    await interleaved(
      3,
      ['a', 'b', 'c'],
      async (item, round) => {
        seen.push(`${round}${item}`);
      },
      { alternate: true },
    );
    expect(seen).toEqual(['1a', '1b', '1c', '2c', '2b', '2a', '3a', '3b', '3c']);
  });
});

describe('pinning', () => {
  it('runs a command through taskset only when given cores', () => {
    expect(pinnedCommand(['node', 'x.js'], 1)).toEqual(['taskset', '-c', '1', 'node', 'x.js']);
    expect(pinnedCommand(['node', 'x.js'], undefined)).toEqual(['node', 'x.js']);
  });

  it('splits the cores in halves, servers on the upper one', () => {
    expect(coreHalves(2)).toEqual({ loader: '0-0', server: '1-1' });
    expect(coreHalves(8)).toEqual({ loader: '0-3', server: '4-7' });
  });
});

describe('the runtime every report names (issue 20)', () => {
  it('is the Node that runs the bench, its LTS line and V8', () => {
    const line = runtime();
    expect(line).toContain(`Node ${process.version} `);
    expect(line).toContain(`V8 ${process.versions.v8}`);
    if (process.release.lts) expect(line).toContain(`${process.release.lts} LTS`);
  });

  it('goes right after the begin marker, once, however often the section is rewritten', () => {
    const begin = '<!-- x:begin -->';
    const end = '<!-- x:end -->';
    const block = `${begin}\n| a |\n${end}`;
    const once = replaceSection('# Doc\n\nkept', begin, end, withRuntime(begin, block));
    const twice = replaceSection(once, begin, end, withRuntime(begin, block));
    expect(twice).toBe(once);
    expect(twice).toBe(`# Doc\n\nkept\n\n${begin}\n_Ran on ${runtime()}._\n\n| a |\n${end}\n`);
    // A block without its marker first is left alone: a line before the marker would pile up.
    expect(withRuntime(begin, 'text')).toBe('text');
  });
});

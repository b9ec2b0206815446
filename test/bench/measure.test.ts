import { describe, expect, it } from 'vitest';
import { microsPerRequest, processTicks, redisCpuSeconds } from '../../bench/lib/cpu.js';
import { median, percentile } from '../../bench/lib/report.js';
import { positive } from '../../bench/lib/settings.js';

describe('median', () => {
  it('takes the middle value of an odd count, whatever the order', () => {
    expect(median([9, 1, 5])).toBe(5);
    expect(median([3])).toBe(3);
  });

  it('averages the two middle values of an even count', () => {
    expect(median([4, 1, 10, 2])).toBe(3);
  });

  it('sorts numerically, not as strings', () => {
    expect(median([100, 20, 3])).toBe(20);
  });

  it('is NaN for no values', () => {
    expect(median([])).toBeNaN();
  });
});

describe('percentile', () => {
  it('is the nearest rank of sorted values', () => {
    const sorted = Float64Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(sorted, 0.5)).toBe(50);
    expect(percentile(sorted, 0.99)).toBe(99);
    expect(percentile(sorted, 1)).toBe(100);
  });
});

describe('processTicks', () => {
  it('adds utime and stime (fields 14 and 15) of /proc/<pid>/stat', () => {
    const stat = '4242 (node) S 1 4242 4242 0 -1 4194304 5000 0 0 0 1234 567 0 0 20 0 11 0 100 0 0';
    expect(processTicks(stat)).toBe(1234 + 567);
  });

  it('counts fields from the last parenthesis: a command name may hold spaces and ")"', () => {
    const stat = '77 (a b) c) R 1 77 77 0 -1 0 0 0 0 0 10 20 0 0 20 0 1 0 5 0 0';
    expect(processTicks(stat)).toBe(30);
  });

  it('refuses text that is not a stat line', () => {
    expect(() => processTicks('no parenthesis here')).toThrow();
    expect(() => processTicks('1 (x) R 1')).toThrow();
  });
});

describe('redisCpuSeconds', () => {
  it("adds used_cpu_user and used_cpu_sys, not the children's or the main thread's", () => {
    const info = [
      '# CPU',
      'used_cpu_sys:1.500000',
      'used_cpu_user:2.250000',
      'used_cpu_sys_children:100.000000',
      'used_cpu_user_children:100.000000',
      'used_cpu_sys_main_thread:1.400000',
      'used_cpu_user_main_thread:2.200000',
      '',
    ].join('\r\n');
    expect(redisCpuSeconds(info)).toBeCloseTo(3.75, 9);
  });

  it('throws when a field is missing', () => {
    expect(() => redisCpuSeconds('# CPU\r\nused_cpu_sys:1.0\r\n')).toThrow(/used_cpu_user/);
  });
});

describe('microsPerRequest', () => {
  it('turns CPU seconds over a number of requests into µs per request', () => {
    expect(microsPerRequest(2, 50_000)).toBe(40);
  });

  it('is null when nothing was answered', () => {
    expect(microsPerRequest(1, 0)).toBeNull();
  });
});

describe('positive', () => {
  it('reads a positive number, falls back when unset or empty, and refuses anything else', () => {
    const name = 'HOTPATH_TEST_POSITIVE';
    try {
      delete process.env[name];
      expect(positive(name, 5)).toBe(5);
      process.env[name] = '';
      expect(positive(name, 5)).toBe(5);
      process.env[name] = '2.5';
      expect(positive(name, 5)).toBe(2.5);
      expect(() => positive(name, 5, true)).toThrow(`${name} must be a positive integer`);
      for (const bad of ['0', '-1', 'x', 'Infinity']) {
        process.env[name] = bad;
        expect(() => positive(name, 5)).toThrow(`${name} must be a positive number`);
      }
    } finally {
      delete process.env[name];
    }
  });
});

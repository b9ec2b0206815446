import { describe, expect, it } from 'vitest';
import { memoize, memoizeBytes } from '../../src/cache/memo.js';
import { ByteBudget } from '../../src/cache/stats/bounds.js';

/** A request body's memo (the hit path's keyedBody): keyed by its bytes, bounded in bytes. */
describe('memoizeBytes', () => {
  const counting = () => {
    const calls: string[] = [];
    const compute = (input: Buffer) => {
      calls.push(input.toString());
      return `value of ${input.toString()}`;
    };
    return { calls, compute };
  };

  it('computes once per distinct bytes, whatever Buffer holds them', () => {
    const { calls, compute } = counting();
    const memo = memoizeBytes(compute);
    const body = '{"query":"{ me { id } }","variables":{"day":"2026-12-06"}}';
    expect(memo(Buffer.from(body))).toBe(`value of ${body}`);
    // The same bytes as a view of a larger buffer, as a socket read gives them.
    const pooled = Buffer.from(`xx${body}yy`).subarray(2, 2 + body.length);
    expect(memo(pooled)).toBe(`value of ${body}`);
    expect(calls).toHaveLength(1);
  });

  it('tells apart bodies of one length and one ending', () => {
    const { calls, compute } = counting();
    const memo = memoizeBytes(compute);
    const tail = `,"variables":{"filler":"${'x'.repeat(100)}"}}`;
    const bodies = ['{"query":"{ a }"', '{"query":"{ b }"', '{"query":"{ c }"'].map(
      (head) => head + tail,
    );
    for (const body of bodies) expect(memo(Buffer.from(body))).toBe(`value of ${body}`);
    for (const body of bodies) expect(memo(Buffer.from(body))).toBe(`value of ${body}`);
    expect(calls).toEqual(bodies);
  });

  it('keeps at most 4 bodies of one slot, counted as evictions', () => {
    const { calls, compute } = counting();
    const budget = new ByteBudget('key_memo', 1_000_000);
    const memo = memoizeBytes(compute, { budget });
    const tail = 'y'.repeat(60);
    const bodies = Array.from({ length: 6 }, (_, i) => `${i}${tail}`);
    for (const body of bodies) memo(Buffer.from(body));
    expect(budget.evictions).toBe(2);
    // The last four are remembered, the first two went.
    for (const body of bodies.slice(2)) memo(Buffer.from(body));
    expect(calls).toHaveLength(6);
    memo(Buffer.from(bodies[0]));
    expect(calls).toHaveLength(7);
  });

  it('gives bodies of one length that end differently slots of their own', () => {
    const { calls, compute } = counting();
    const budget = new ByteBudget('key_memo', 1_000_000);
    const memo = memoizeBytes(compute, { budget });
    // Twelve bodies of one length, each ending in another variable: more than one slot holds.
    const bodies = Array.from(
      { length: 12 },
      (_, i) => `{"query":"{ a }","v":"${'x'.repeat(40)}${String(i).padStart(2, '0')}"}`,
    );
    for (const body of bodies) memo(Buffer.from(body));
    for (const body of bodies) memo(Buffer.from(body));
    expect(budget.evictions).toBe(0);
    expect(calls).toHaveLength(12);
  });

  it('holds its bytes within the budget, refusing an input over it', () => {
    const { compute } = counting();
    const budget = new ByteBudget('key_memo', 4_000);
    const memo = memoizeBytes(compute, { budget, sizeOf: (input) => input.length + 320 });
    for (let i = 0; i < 50; i++) memo(Buffer.from(`{"query":"{ q${i} }"}${'z'.repeat(200)}`));
    expect(budget.held).toBeGreaterThan(0);
    expect(budget.held).toBeLessThanOrEqual(4_000);
    expect(budget.evictions).toBeGreaterThan(0);
    memo(Buffer.from('w'.repeat(5_000)));
    expect(budget.refusals).toBe(1);
    expect(budget.held).toBeLessThanOrEqual(4_000);
  });

  it('remembers nothing longer than maxLength bytes', () => {
    const { calls, compute } = counting();
    const memo = memoizeBytes(compute, { maxLength: 10 });
    memo(Buffer.from('0123456789ab'));
    memo(Buffer.from('0123456789ab'));
    expect(calls).toHaveLength(2);
  });
});

describe('memoizeBytes and memoize with admitOnRepeat (the hit path: issue 19)', () => {
  it('computes a one-off input and keeps nothing of it; remembers it from its second time', () => {
    const budget = new ByteBudget('key_memo', 1_048_576);
    const calls: string[] = [];
    const memo = memoizeBytes(
      (input: Buffer) => {
        calls.push(input.toString());
        return input.length;
      },
      { budget, admitOnRepeat: true },
    );
    for (let i = 0; i < 100; i++) memo(Buffer.from(`{"query":"{ a }","variables":{"n":${i}}}`));
    expect(budget.held).toBe(0);
    const repeated = Buffer.from('{"query":"{ a }","variables":{"n":"again"}}');
    memo(repeated);
    memo(repeated);
    expect(budget.held).toBeGreaterThan(0);
    memo(repeated);
    memo(repeated);
    expect(calls.filter((body) => body === repeated.toString())).toHaveLength(2);
  });

  it('does the same for strings (query strings)', () => {
    const budget = new ByteBudget('key_memo', 1_048_576);
    let computed = 0;
    const memo = memoize(
      (input: string) => {
        computed++;
        return input.length;
      },
      { budget, admitOnRepeat: true },
    );
    for (let i = 0; i < 100; i++) memo(`query=%7B%20a%20%7D&n=${i}`);
    expect(budget.held).toBe(0);
    for (let i = 0; i < 5; i++) memo('query=%7B%20a%20%7D&n=again');
    expect(computed).toBe(102);
    expect(budget.held).toBeGreaterThan(0);
  });
});

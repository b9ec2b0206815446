/**
 * What `npm run bench:layout` (bench/layout.ts) reports: the medians of each checkout's hit
 * rows and the ratios after/before that issue 15 asks to be within 5%. No I/O here:
 * test/bench/layout.test.ts checks the ratios and the verdict.
 */
import { int, markdownTable, medianOf } from './lib/report.js';
import type { TargetSpec } from './targets.js';

/** Issue 15: hits within 5% of before. */
export const TOLERANCE = 0.05;

export interface Checkout {
  name: 'before' | 'after';
  /** Its directory; undefined: this checkout. */
  dir: string | undefined;
  commit: string;
}

export interface Sample {
  reqPerSec: number;
  p50: number;
  p99: number;
  /** The server's CPU µs per request; every request is a hit. */
  cpuPerHit: number;
  redisCpuPerHit: number | null;
  hitShare: number;
  othersCpu: number | null;
}

/** The stores bench:layout can compare (BENCH_LAYOUT_STORES), by name in its table. */
export const STORES = {
  memory: 'memory',
  redis: 'Redis',
  /** Redis with no copies in process (CACHE_NEAR_MAX_BYTES=0): every hit asks Redis. */
  'redis-nocopy': 'Redis without copies',
} as const;
export type StoreId = keyof typeof STORES;

export interface Case {
  checkout: Checkout;
  target: TargetSpec;
  store: StoreId;
  samples: Sample[];
}

export const label = (c: Case) =>
  `${c.checkout.name} (${c.checkout.commit}), ${c.target.label}${c.store === 'redis-nocopy' ? ' without copies' : ''}`;
export const pct = (n: number | null) => (n === null ? '–' : `${Math.round(n * 100)}%`);
const fixed = (n: number | null, digits = 0) => (n === null ? '–' : n.toFixed(digits));
const storeOf = (c: Case) => STORES[c.store];

/** The medians of one case, as a table row. */
function row(c: Case): (string | number)[] {
  const m = (pick: (s: Sample) => number | null) => medianOf(c.samples, pick);
  return [
    `${c.checkout.name} (${c.checkout.commit})`,
    storeOf(c),
    int(m((s) => s.reqPerSec) ?? 0),
    fixed(
      m((s) => s.p50),
      2,
    ),
    fixed(
      m((s) => s.p99),
      2,
    ),
    fixed(m((s) => s.cpuPerHit)),
    c.target.redis ? fixed(m((s) => s.redisCpuPerHit)) : '–',
    pct(Math.min(...c.samples.map((s) => s.hitShare))),
    pct(m((s) => s.othersCpu)),
  ];
}

export function layoutTable(cases: Case[]): string {
  const header = [
    'checkout',
    'store',
    'req/s',
    'p50 ms',
    'p99 ms',
    'server CPU µs/hit',
    'Redis CPU µs/hit',
    'hits (lowest round)',
    'others’ CPU',
  ];
  return markdownTable(header, cases.map(row));
}

export interface Ratio {
  store: (typeof STORES)[StoreId];
  /** after / before of the median req/s: at least 1 - TOLERANCE to pass. */
  reqPerSec: number;
  /** after / before of the median server CPU per hit: at most 1 + TOLERANCE to pass. */
  cpuPerHit: number;
  within: boolean;
}

/** after / before of the medians, per store, and whether both are within TOLERANCE. */
export function ratios(cases: Case[]): Ratio[] {
  return [...new Set(cases.map(storeOf))].map((store) => {
    const pick = (name: Checkout['name']) => {
      const found = cases.find((c) => c.checkout.name === name && storeOf(c) === store);
      if (!found?.samples.length) throw new Error(`bench: no ${name} samples on ${store}`);
      return found;
    };
    const [before, after] = [pick('before'), pick('after')];
    const m = (c: Case, f: (s: Sample) => number) => medianOf(c.samples, f) ?? Number.NaN;
    const reqPerSec = m(after, (s) => s.reqPerSec) / m(before, (s) => s.reqPerSec);
    const cpuPerHit = m(after, (s) => s.cpuPerHit) / m(before, (s) => s.cpuPerHit);
    const within = reqPerSec >= 1 - TOLERANCE && cpuPerHit <= 1 + TOLERANCE;
    return { store, reqPerSec, cpuPerHit, within };
  });
}

/** One line per store: the two ratios and the verdict. */
export const verdictLines = (cases: Case[]) =>
  ratios(cases).map(
    (r) =>
      `- ${r.store}: req/s after/before ${r.reqPerSec.toFixed(3)}, server CPU per hit ` +
      `after/before ${r.cpuPerHit.toFixed(3)}: ${r.within ? 'within' : 'NOT within'} ` +
      `${TOLERANCE * 100}%`,
  );

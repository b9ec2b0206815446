/**
 * What `npm run bench:layout` (bench/layout.ts) reports: the medians of each checkout's hit
 * rows and the ratios after/before that issue 15 asks to be within 5%, each the median of the
 * rounds' own ratios. No I/O here: test/bench/layout.test.ts checks the ratios and the verdict.
 */
import { byRound, int, markdownTable, median, medianOf } from './lib/report.js';
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
  /** A private Redis Cluster of 3 masters and 3 replicas (REDIS_CLUSTER_NODES). */
  cluster: 'Redis Cluster',
  /** The same cluster with no copies in process. */
  'cluster-nocopy': 'Redis Cluster without copies',
} as const;
/** A store that keeps no copies in process (CACHE_NEAR_MAX_BYTES=0). */
export const noCopies = (store: StoreId) => store.endsWith('-nocopy');
/** A store on the bench's private Redis Cluster. */
export const onCluster = (store: StoreId) => store.startsWith('cluster');
export type StoreId = keyof typeof STORES;

export interface Case {
  checkout: Checkout;
  target: TargetSpec;
  store: StoreId;
  samples: Sample[];
}

export const label = (c: Case) =>
  `${c.checkout.name} (${c.checkout.commit}), ${c.target.label}${onCluster(c.store) ? ' on a cluster' : ''}${noCopies(c.store) ? ' without copies' : ''}`;
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
  /** after / before of req/s, the median of the rounds' own: at least 1 - TOLERANCE to pass. */
  reqPerSec: number;
  /** after / before of server CPU per hit, likewise: at most 1 + TOLERANCE to pass. */
  cpuPerHit: number;
  /** The lowest and highest round's own ratios, [req/s, CPU per hit]. */
  spread: { reqPerSec: [number, number]; cpuPerHit: [number, number] };
  within: boolean;
}

/**
 * after / before per store, each the median of the rounds' own ratios (a round runs the two
 * checkouts one after the other, so a machine that slowed down for a round slows both: the
 * ratio of two medians taken over rounds minutes apart mixes that drift in), and whether both
 * are within TOLERANCE.
 */
export function ratios(cases: Case[]): Ratio[] {
  return [...new Set(cases.map(storeOf))].map((store) => {
    const pick = (name: Checkout['name']) => {
      const found = cases.find((c) => c.checkout.name === name && storeOf(c) === store);
      if (!found?.samples.length) throw new Error(`bench: no ${name} samples on ${store}`);
      return found;
    };
    const [before, after] = [pick('before'), pick('after')];
    const paired = (f: (s: Sample) => number) =>
      byRound(after.samples, before.samples, (a, b) => f(a) / f(b));
    const rps = paired((s) => s.reqPerSec);
    const cpu = paired((s) => s.cpuPerHit);
    const reqPerSec = median(rps);
    const cpuPerHit = median(cpu);
    const within = reqPerSec >= 1 - TOLERANCE && cpuPerHit <= 1 + TOLERANCE;
    const range = (values: number[]): [number, number] => [
      Math.min(...values),
      Math.max(...values),
    ];
    return {
      store,
      reqPerSec,
      cpuPerHit,
      spread: { reqPerSec: range(rps), cpuPerHit: range(cpu) },
      within,
    };
  });
}

/** One line per store: the two ratios (with their rounds' range) and the verdict. */
export const verdictLines = (cases: Case[]) =>
  ratios(cases).map((r) => {
    const range = ([lo, hi]: [number, number]) =>
      lo === hi ? '' : ` (rounds ${lo.toFixed(3)}–${hi.toFixed(3)})`;
    return (
      `- ${r.store}: req/s after/before ${r.reqPerSec.toFixed(3)}${range(r.spread.reqPerSec)}, ` +
      `server CPU per hit after/before ${r.cpuPerHit.toFixed(3)}${range(r.spread.cpuPerHit)}: ` +
      `${r.within ? 'within' : 'NOT within'} ${TOLERANCE * 100}%`
    );
  });

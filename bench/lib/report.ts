/**
 * Medians, ratios, tables and docs/benchmarks.md. Every bench owns a section of the doc
 * between its own markers; what stands outside them is kept.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const docPath = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'docs',
  'benchmarks.md',
);

/** The median; the mean of the two middle values for an even count. NaN for none. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * `pick(a[i], b[i])` for every round both sides ran in (interleaved rounds, in order): a ratio
 * taken within each round, whose median a bench judges rather than a ratio of two medians.
 */
export function byRound<A, B>(a: readonly A[], b: readonly B[], pick: (a: A, b: B) => number) {
  return a.slice(0, b.length).map((value, i) => pick(value, b[i]));
}

/** The median of what `pick` gives, nulls left out; null when nothing is left. */
export function medianOf<T>(items: readonly T[], pick: (item: T) => number | null): number | null {
  const values = items.map(pick).filter((v): v is number => v !== null);
  return values.length === 0 ? null : median(values);
}

/** Nearest-rank percentile of values sorted in ascending order. */
export function percentile(sorted: ArrayLike<number>, q: number): number {
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)];
}

/** `x / y` with two decimals and a `×`: how the reports compare two figures. */
export const ratio = (x: number, y: number) => `${(x / y).toFixed(2)}×`;

/** A whole number with thousands separators (12,345). */
export const int = (n: number) => Math.round(n).toLocaleString('en-US');

/** Load averages (1/5/15 min) as the reports print them: `0.12 / 0.34 / 0.56`. */
export const loads = (l: number[]) => l.map((n) => n.toFixed(2)).join(' / ');

export const markdownTable = (header: string[], rows: (string | number)[][]) =>
  [header, header.map(() => '---'), ...rows].map((row) => `| ${row.join(' | ')} |`).join('\n');

/**
 * `doc` with everything from `begin` to `end` (both included) replaced by `block`, or `block`
 * appended when the markers are absent. Plain positions: markers hold parentheses, which a
 * RegExp would read as a group.
 */
export function replaceSection(doc: string, begin: string, end: string, block: string): string {
  const from = doc.indexOf(begin);
  const to = doc.indexOf(end);
  return from !== -1 && to > from
    ? doc.slice(0, from) + block + doc.slice(to + end.length)
    : `${doc.trimEnd()}\n\n${block}\n`;
}

/**
 * The Node that ran the bench, as every report names it: the servers under test are spawned
 * with the same binary (process.execPath), so it is theirs too. Issue 20: CI runs Node 24 and
 * Node 20, and figures from one must never be read as the other's.
 */
export function runtime(): string {
  const lts = process.release.lts ? `${process.release.lts} LTS` : 'not an LTS line';
  return `Node ${process.version} (${lts}, V8 ${process.versions.v8}, ${process.platform}-${process.arch})`;
}

/**
 * `block` with a line naming the runtime right after its begin marker. A block that doesn't
 * start with its marker is left as it is: a line put before the marker would stay outside the
 * section and pile up, one more on every run.
 */
export function withRuntime(begin: string, block: string): string {
  if (!block.startsWith(`${begin}\n`)) return block;
  return `${begin}\n_Ran on ${runtime()}._\n\n${block.slice(begin.length + 1)}`;
}

/**
 * Writes `block` (markers included) into docs/benchmarks.md, as replaceSection places it, with
 * the runtime that ran it named first.
 */
export function writeSection(begin: string, end: string, block: string): void {
  const doc = existsSync(docPath) ? readFileSync(docPath, 'utf8') : '# Benchmarks\n';
  writeFileSync(docPath, replaceSection(doc, begin, end, withRuntime(begin, block)));
}

/**
 * Rewrites the part of docs/benchmarks.md between `<!-- NAME:begin -->` and `<!-- NAME:end -->`
 * (appended when absent); what stands outside the markers is kept.
 */
export function writeDocSection(name: string, markdown: string): void {
  const begin = `<!-- ${name}:begin (written by bench/${name}.ts; edit outside these markers) -->`;
  const end = `<!-- ${name}:end -->`;
  writeSection(begin, end, `${begin}\n${markdown.trim()}\n${end}`);
}

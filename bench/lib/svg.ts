/**
 * A small SVG line plot for the bench reports (bench:curves): two axes with ticks and labels,
 * one polyline per series with a dot on each point, and a legend. Linear, log or symlog scales
 * (symlog: log10(1 + x), which keeps 0 on a log-like axis: writes per second 0, 1, 10, 100).
 * Pure and deterministic: the same spec always gives the same text, so a committed plot only
 * changes when its figures do. No I/O here: test/bench/svg.test.ts parses what it writes.
 */

export type Scale = 'linear' | 'log' | 'symlog';

export interface AxisSpec {
  label: string;
  /** Default linear. A log axis drops points at or below 0. */
  scale?: Scale;
}

export interface Series {
  name: string;
  /** [x, y] pairs; a pair with a null or non-finite value is left out (no figure measured). */
  points: readonly (readonly [number | null, number | null])[];
}

export interface PlotSpec {
  title: string;
  x: AxisSpec;
  y: AxisSpec;
  series: readonly Series[];
}

/** The canvas and the plot area inside it, in SVG user units. */
export const LAYOUT = {
  width: 760,
  height: 400,
  left: 72,
  right: 500,
  top: 44,
  bottom: 340,
  legendX: 520,
} as const;

/** A colour per series, in order, readable on white and distinct in greyscale by dash. */
const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#17becf'];
const DASHES = ['', '6 3', '2 3', '8 3 2 3'];

const transform = (scale: Scale) => (v: number) =>
  scale === 'log'
    ? Math.log10(v)
    : scale === 'symlog'
      ? Math.sign(v) * Math.log10(1 + Math.abs(v))
      : v;

/** 1, 2 or 5 times a power of ten, the smallest at least `raw`. */
function niceStep(raw: number): number {
  const power = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * power >= raw - 1e-12 * power) return m * power;
  return 10 * power;
}

/** Rounds away float noise (0.30000000000000004 → 0.3) so labels and positions are stable. */
const clean = (v: number) => Number(v.toPrecision(12));

export interface Axis {
  /** The domain's ends, in data units (ticks lie within). */
  min: number;
  max: number;
  ticks: number[];
  /** Data value → position along the axis, 0 at `min` and 1 at `max`. */
  fraction: (v: number) => number;
}

/**
 * The axis for `values`: linear axes start at 0 (costs are read from zero) and end at the
 * first nice tick at or past the largest value; log axes run between the 1-2-5 steps around
 * the values; symlog axes from 0 to the first power of ten at or past the largest value.
 */
export function axisFor(values: readonly number[], scale: Scale = 'linear'): Axis {
  const usable = values.filter((v) => Number.isFinite(v) && (scale !== 'log' || v > 0));
  const t = transform(scale);
  let min: number;
  let max: number;
  let ticks: number[];
  if (scale === 'linear') {
    const top = usable.length ? Math.max(0, ...usable) : 1;
    const low = usable.length ? Math.min(0, ...usable) : 0;
    const step = niceStep((top - low || 1) / 5);
    min = clean(Math.floor(low / step) * step);
    max = clean(Math.ceil(top / step) * step);
    if (max === min) max = clean(min + step);
    ticks = [];
    for (let v = min; v <= max + step / 2; v += step) ticks.push(clean(v));
  } else if (scale === 'log') {
    // From the 1-2-5 step at or below the smallest value to the one at or above the largest:
    // 2.9 to 112 spans 2 to 200, not 1 to 1,000.
    const low = usable.length ? Math.min(...usable) : 1;
    const high = usable.length ? Math.max(...usable) : 10;
    const steps: number[] = [];
    for (let e = Math.floor(Math.log10(low)) - 1; e <= Math.ceil(Math.log10(high)) + 1; e++)
      for (const m of [1, 2, 5]) steps.push(clean(m * 10 ** e));
    min = [...steps].reverse().find((v) => v <= low * (1 + 1e-9)) ?? low;
    max = steps.find((v) => v >= high * (1 - 1e-9)) ?? high;
    if (max <= min) max = steps[steps.indexOf(min) + 1] ?? min * 2;
    // Over more than three decades the powers of ten alone, else every 1-2-5 step.
    const decades = Math.log10(max / min);
    ticks = steps.filter(
      (v) => v >= min && v <= max && (decades <= 3 || Number.isInteger(Math.log10(v))),
    );
  } else {
    const top = usable.length ? Math.max(...usable) : 10;
    const highExp = Math.max(1, Math.ceil(Math.log10(Math.max(top, 1))));
    min = 0;
    max = 10 ** highExp;
    ticks = [0];
    for (let e = 0; e <= highExp; e++) ticks.push(clean(10 ** e));
  }
  const t0 = t(min);
  const span = t(max) - t0 || 1;
  return { min, max, ticks, fraction: (v) => (t(v) - t0) / span };
}

/** A tick label: 1.5, 20, 1k, 2.5k, 1M; never more than three significant digits. */
export function tickLabel(v: number): string {
  const abs = Math.abs(v);
  if (abs >= 1e6) return `${clean(Number((v / 1e6).toPrecision(3)))}M`;
  if (abs >= 1e3) return `${clean(Number((v / 1e3).toPrecision(3)))}k`;
  return String(clean(Number(v.toPrecision(3))));
}

const escapeXml = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Two decimals at most, no trailing zeros: coordinates stay short and stable. */
const num = (v: number) => String(Math.round(v * 100) / 100);

/** Data → SVG coordinates for a spec's axes (exported for the tests and for annotations). */
export function plotScales(spec: PlotSpec) {
  const usable = (axis: 0 | 1, scale: Scale | undefined) =>
    spec.series.flatMap((s) =>
      s.points
        .filter((p) => keep(p, spec))
        .map((p) => p[axis] as number)
        .filter((v) => scale !== 'log' || v > 0),
    );
  const x = axisFor(usable(0, spec.x.scale), spec.x.scale);
  const y = axisFor(usable(1, spec.y.scale), spec.y.scale);
  const { left, right, top, bottom } = LAYOUT;
  return {
    x,
    y,
    toX: (v: number) => left + x.fraction(v) * (right - left),
    toY: (v: number) => bottom - y.fraction(v) * (bottom - top),
  };
}

function keep(p: readonly [number | null, number | null], spec: PlotSpec): boolean {
  const [x, y] = p;
  if (x === null || y === null || !Number.isFinite(x) || !Number.isFinite(y)) return false;
  if (spec.x.scale === 'log' && x <= 0) return false;
  if (spec.y.scale === 'log' && y <= 0) return false;
  return true;
}

/** The plot as an SVG document. */
export function linePlot(spec: PlotSpec): string {
  const { width, height, left, right, top, bottom, legendX } = LAYOUT;
  const { x, y, toX, toY } = plotScales(spec);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(spec.title)}</text>`,
  ];
  // Grid and ticks.
  for (const v of x.ticks) {
    const px = num(toX(v));
    out.push(
      `<line class="grid" x1="${px}" y1="${top}" x2="${px}" y2="${bottom}" stroke="#e5e5e5"/>`,
      `<text class="x-tick" data-value="${v}" x="${px}" y="${bottom + 16}" text-anchor="middle">${tickLabel(v)}</text>`,
    );
  }
  for (const v of y.ticks) {
    const py = num(toY(v));
    out.push(
      `<line class="grid" x1="${left}" y1="${py}" x2="${right}" y2="${py}" stroke="#e5e5e5"/>`,
      `<text class="y-tick" data-value="${v}" x="${left - 6}" y="${py}" text-anchor="end" dominant-baseline="middle">${tickLabel(v)}</text>`,
    );
  }
  // Axes and their labels.
  const scaleNote = (axis: AxisSpec) =>
    axis.scale === 'log' ? ' (log scale)' : axis.scale === 'symlog' ? ' (log scale, 0 kept)' : '';
  out.push(
    `<line class="axis" x1="${left}" y1="${bottom}" x2="${right}" y2="${bottom}" stroke="#000000"/>`,
    `<line class="axis" x1="${left}" y1="${top}" x2="${left}" y2="${bottom}" stroke="#000000"/>`,
    `<text class="x-label" x="${(left + right) / 2}" y="${bottom + 40}" text-anchor="middle">${escapeXml(spec.x.label + scaleNote(spec.x))}</text>`,
    `<text class="y-label" x="${18}" y="${(top + bottom) / 2}" text-anchor="middle" transform="rotate(-90 18 ${(top + bottom) / 2})">${escapeXml(spec.y.label + scaleNote(spec.y))}</text>`,
  );
  // Series and legend.
  spec.series.forEach((series, i) => {
    const colour = PALETTE[i % PALETTE.length];
    const dash = DASHES[i % DASHES.length];
    const dashAttr = dash ? ` stroke-dasharray="${dash}"` : '';
    const points = series.points
      .filter((p) => keep(p, spec))
      .map(([px, py]) => [toX(px as number), toY(py as number)] as const);
    const name = escapeXml(series.name);
    out.push(
      `<polyline class="series" data-series="${name}" fill="none" stroke="${colour}" stroke-width="2"${dashAttr} points="${points.map(([a, b]) => `${num(a)},${num(b)}`).join(' ')}"/>`,
    );
    for (const [a, b] of points)
      out.push(`<circle cx="${num(a)}" cy="${num(b)}" r="3" fill="${colour}"/>`);
    const ly = top + 10 + i * 20;
    out.push(
      `<line class="legend" x1="${legendX}" y1="${ly}" x2="${legendX + 24}" y2="${ly}" stroke="${colour}" stroke-width="2"${dashAttr}/>`,
      `<text class="legend" x="${legendX + 30}" y="${ly}" dominant-baseline="middle">${name}</text>`,
    );
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

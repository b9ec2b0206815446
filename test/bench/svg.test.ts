import { describe, expect, it } from 'vitest';
import { axisFor, LAYOUT, linePlot, type PlotSpec, tickLabel } from '../../bench/lib/svg.js';

/** Every element of one tag name, with its attributes and text, by regular expression. */
function elements(svg: string, tag: string) {
  const found: { attrs: Record<string, string>; text: string }[] = [];
  const re = new RegExp(`<${tag}\\b([^>]*?)(?:/>|>([^<]*)</${tag}>)`, 'g');
  for (const match of svg.matchAll(re)) {
    const attrs: Record<string, string> = {};
    for (const a of match[1].matchAll(/([\w-]+)="([^"]*)"/g)) attrs[a[1]] = a[2];
    found.push({ attrs, text: match[2] ?? '' });
  }
  return found;
}

const pointsOf = (svg: string, name: string) => {
  const line = elements(svg, 'polyline').find((p) => p.attrs['data-series'] === name);
  if (!line) throw new Error(`no polyline for ${name}`);
  return line.attrs.points
    .split(' ')
    .filter(Boolean)
    .map((pair) => pair.split(',').map(Number) as [number, number]);
};

const { left, right, top, bottom } = LAYOUT;

/** Coordinates are written with two decimals at most. */
function expectPoints(actual: [number, number][], expected: [number, number][]) {
  expect(actual).toHaveLength(expected.length);
  actual.forEach(([x, y], i) => {
    expect(x).toBeCloseTo(expected[i][0], 2);
    expect(y).toBeCloseTo(expected[i][1], 2);
  });
}

describe('linePlot', () => {
  const spec: PlotSpec = {
    title: 'Cost against body size',
    x: { label: 'body (KB)' },
    y: { label: 'server µs per request' },
    series: [
      {
        name: 'ceiling',
        points: [
          [0, 0],
          [50, 50],
          [100, 100],
        ],
      },
      {
        name: 'hit',
        points: [
          [0, 20],
          [100, 80],
        ],
      },
    ],
  };

  it('maps each point to the plot area: the domain ends on the axes, the middle halfway', () => {
    const svg = linePlot(spec);
    // Linear axes from 0 to the nice tick 100: (0,0) at the origin, (100,100) at the far corner.
    expectPoints(pointsOf(svg, 'ceiling'), [
      [left, bottom],
      [(left + right) / 2, (top + bottom) / 2],
      [right, top],
    ]);
    expectPoints(pointsOf(svg, 'hit'), [
      [left, bottom - 0.2 * (bottom - top)],
      [right, bottom - 0.8 * (bottom - top)],
    ]);
  });

  it('draws ticks with labels where their values fall, and the axes and title', () => {
    const svg = linePlot(spec);
    const yTicks = elements(svg, 'text').filter((t) => t.attrs.class === 'y-tick');
    expect(yTicks.map((t) => t.text)).toEqual(['0', '20', '40', '60', '80', '100']);
    for (const t of yTicks) {
      const value = Number(t.attrs['data-value']);
      expect(Number(t.attrs.y)).toBeCloseTo(bottom - (value / 100) * (bottom - top), 1);
    }
    const xTicks = elements(svg, 'text').filter((t) => t.attrs.class === 'x-tick');
    expect(Number(xTicks[0].attrs.x)).toBe(left);
    expect(Number(xTicks.at(-1)?.attrs.x)).toBe(right);
    expect(elements(svg, 'line').filter((l) => l.attrs.class === 'axis')).toHaveLength(2);
    expect(svg).toContain('>Cost against body size</text>');
    expect(elements(svg, 'text').find((t) => t.attrs.class === 'x-label')?.text).toBe('body (KB)');
  });

  it('has a legend entry per series, in order, each in its polyline colour', () => {
    const svg = linePlot(spec);
    const labels = elements(svg, 'text').filter((t) => t.attrs.class === 'legend');
    expect(labels.map((t) => t.text)).toEqual(['ceiling', 'hit']);
    const swatches = elements(svg, 'line').filter((l) => l.attrs.class === 'legend');
    const lines = elements(svg, 'polyline');
    expect(swatches.map((s) => s.attrs.stroke)).toEqual(lines.map((l) => l.attrs.stroke));
    expect(new Set(lines.map((l) => l.attrs.stroke)).size).toBe(2);
  });

  it('spaces decades equally on a log axis', () => {
    const svg = linePlot({
      ...spec,
      x: { label: 'entities', scale: 'log' },
      series: [
        {
          name: 'redis',
          points: [
            [10, 1],
            [100, 2],
            [1000, 3],
          ],
        },
      ],
    });
    const [a, b, c] = pointsOf(svg, 'redis').map(([x]) => x);
    expect(a).toBe(left);
    expect(c).toBe(right);
    expect(b - a).toBeCloseTo(c - b, 1);
    expect(svg).toContain('entities (log scale)');
  });

  it('keeps 0 on a symlog axis, with 1, 10 and 100 after it', () => {
    const axis = axisFor([0, 1, 10, 100], 'symlog');
    expect(axis.ticks).toEqual([0, 1, 10, 100]);
    expect(axis.fraction(0)).toBe(0);
    expect(axis.fraction(100)).toBe(1);
    // log10(1 + v), scaled: 1 and 10 land where log10(2) and log10(11) do.
    expect(axis.fraction(1)).toBeCloseTo(Math.log10(2) / Math.log10(101), 9);
    expect(axis.fraction(10)).toBeCloseTo(Math.log10(11) / Math.log10(101), 9);
  });

  it('leaves out points without a figure, and escapes names', () => {
    const svg = linePlot({
      ...spec,
      series: [
        {
          name: 'a <b> & "c"',
          points: [
            [0, 10],
            [50, null],
            [100, Number.NaN],
            [100, 100],
          ],
        },
      ],
    });
    expect(svg).toContain('data-series="a &lt;b&gt; &amp; &quot;c&quot;"');
    expect(pointsOf(svg, 'a &lt;b&gt; &amp; &quot;c&quot;')).toHaveLength(2);
    expect(elements(svg, 'circle')).toHaveLength(2);
  });

  it('is deterministic: the same spec gives the same bytes', () => {
    expect(linePlot(spec)).toBe(linePlot(structuredClone(spec)));
  });
});

describe('axisFor and tickLabel', () => {
  it('ends a linear axis at the first nice tick at or past the largest value', () => {
    expect(axisFor([3, 197]).ticks).toEqual([0, 50, 100, 150, 200]);
    expect(axisFor([0.3, 0.71]).max).toBe(0.8);
  });

  it('runs a log axis between the 1-2-5 steps around the values, each step a tick', () => {
    const axis = axisFor([2.9, 112], 'log');
    expect(axis.min).toBe(2);
    expect(axis.max).toBe(200);
    expect(axis.ticks).toEqual([2, 5, 10, 20, 50, 100, 200]);
    expect(axisFor([10, 1000], 'log').ticks).toEqual([10, 20, 50, 100, 200, 500, 1000]);
  });

  it('keeps only the powers of ten on a log axis of more than three decades', () => {
    expect(axisFor([1, 1e5], 'log').ticks).toEqual([1, 10, 100, 1000, 1e4, 1e5]);
  });

  it('labels with at most three significant digits and k or M', () => {
    expect(tickLabel(0)).toBe('0');
    expect(tickLabel(0.25)).toBe('0.25');
    expect(tickLabel(1500)).toBe('1.5k');
    expect(tickLabel(2_000_000)).toBe('2M');
    expect(tickLabel(123.456)).toBe('123');
  });
});

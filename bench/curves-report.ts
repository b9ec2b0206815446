/**
 * bench:curves's figures, issue 19's targets computed from them, the Markdown section and the
 * plots. No I/O here: bench/curves.ts measures and writes; test/bench/curves.test.ts checks the
 * verdicts, the tables and the plots' series from given figures.
 */
import { int, markdownTable } from './lib/report.js';
import type { PlotSpec } from './lib/svg.js';

/** The bodies: the demo's 1.9 KB agenda (issue 8's row) and agendas of 10, 100, 400. */
export type BodyId = 'demo' | 'a10' | 'a100' | 'a400';

export interface BodyInfo {
  id: BodyId;
  /** Appointments in the agenda: its entities, besides the agenda, its user and service. */
  appointments: number;
  /** Bytes of the plain JSON (what the ceiling writes). */
  bytes: number;
  /** Bytes a client sending Accept-Encoding: gzip gets (the plain bytes below the threshold). */
  gzipBytes: number;
}

/**
 * What serves the body: the ceiling, node:http doing a hit's HTTP work and no more (`http`:
 * the share of the ceiling any hit gives up before the cache does anything), or a Hotpath hit
 * of one kind.
 */
export const CASE_KINDS = [
  'ceiling',
  'http',
  'memory',
  'memory-gzip',
  'redis',
  'redis-gzip',
  'redis-nocopy',
] as const;
export type CaseKind = (typeof CASE_KINDS)[number];

export const CASE_LABELS: Record<CaseKind, string> = {
  ceiling: 'ceiling (node:http, same bytes)',
  http: "node:http doing a hit's HTTP work (reads the body, writes a hit's headers)",
  memory: 'memory hit, without gzip',
  'memory-gzip': 'memory hit, with gzip',
  redis: 'Redis hit with copies, without gzip',
  'redis-gzip': 'Redis hit with copies, with gzip',
  'redis-nocopy': 'Redis hit without copies',
};

/** Medians over the rounds of one (body, kind). */
export interface BodyFigures {
  body: BodyId;
  kind: CaseKind;
  reqPerSec: number;
  p99: number;
  /** Server CPU (user + system) per request, µs. */
  serverUs: number;
  /**
   * Req/s ÷ the ceiling's for the same body in the same round, and server µs ÷ the ceiling's,
   * medians over rounds; null for the ceiling itself. The targets are judged by these.
   */
  shareOfCeiling: number | null;
  cpuOfCeiling: number | null;
  /** Redis's own CPU per request, µs (Redis cases only). */
  redisUs: number | null;
  /** Share of the hits served from the process's copy (Redis cases only). */
  nearShare: number | null;
}

/** Medians over the rounds at one write rate (Redis hit with copies, curve 3). */
export interface WriteFigures {
  /** The rate asked for, writes per second. */
  rate: number;
  /** The rate the writer reached in the measured window. */
  writesPerSec: number;
  reqPerSec: number;
  serverUs: number;
  redisUs: number;
  nearShare: number | null;
  /** Hits that read the whole entry from Redis (not the copy), per write; null at 0 writes. */
  fullReadsPerWrite: number | null;
}

/**
 * The miss figures the misses section gives (bench/lib/miss-ceiling.ts, wired by the lead
 * after the merge): the cache's own share of a miss, and a miss against the miss ceiling.
 */
export interface MissFigures {
  /**
   * The cache's own work on a miss (key, tags, save) as a share of the miss's CPU: the Redis
   * miss ÷ the cache-off miss in the same round, − 1, median over rounds.
   */
  cacheShare: number;
  /** The Redis miss ÷ the miss ceiling in the same round, median over rounds. */
  missToCeiling: number;
  missUs: number;
  missCeilingUs: number;
}

export interface CurvesRun {
  bodies: BodyInfo[];
  figures: BodyFigures[];
  writes: WriteFigures[];
  /** The body and encoding of curve 3. */
  writesBody: BodyId;
  misses: MissFigures | null;
}

export type Status = 'met' | 'not met' | 'not measured';

export interface CurveVerdict {
  target: string;
  status: Status;
  figures: string;
}

/** Issue 19's targets. */
export const TARGETS = {
  memoryShare: 0.8,
  redisShare: 0.75,
  largeBodyCpu: 2,
  redisLookupUs: 15,
  /** At most this many whole-entry reads per write: nine writes in ten left the copy alone. */
  fullReadsPerWrite: 0.1,
  missCacheShare: 0.05,
  missToCeiling: 3,
} as const;

const two = (n: number) => n.toFixed(2);
const kb = (bytes: number) => `${(bytes / 1000).toFixed(1)} KB`;

export function bodyLabel(body: BodyInfo): string {
  return body.id === 'demo'
    ? `demo agenda (${body.appointments} appointments), ${kb(body.bytes)}`
    : `${body.appointments} appointments, ${kb(body.bytes)}`;
}

/** The body of the largest agenda: the 112 KB target's. */
const LARGE: BodyId = 'a400';

export function evaluateCurveTargets(run: CurvesRun): CurveVerdict[] {
  const find = (body: BodyId, kind: CaseKind) =>
    run.figures.find((f) => f.body === body && f.kind === kind);
  const verdicts: CurveVerdict[] = [];
  const push = (target: string, status: Status, figures: string) =>
    verdicts.push({ target, status, figures });
  const demo = run.bodies.find((b) => b.id === 'demo');
  const demoName = demo ? kb(demo.bytes) : '1.9 KB';

  for (const [kind, min, name] of [
    ['memory', TARGETS.memoryShare, 'memory hit'],
    ['redis', TARGETS.redisShare, 'Redis hit'],
  ] as const) {
    const target = `${name}, ${demoName} agenda ≥ ${two(min)} × ceiling (req/s)`;
    const hit = find('demo', kind);
    const ceiling = find('demo', 'ceiling');
    if (!hit || !ceiling) {
      push(target, 'not measured', '');
      continue;
    }
    const share = hit.shareOfCeiling ?? hit.reqPerSec / ceiling.reqPerSec;
    // What the hit's HTTP work alone leaves of the ceiling: the rest of the gap is the cache's.
    const http = find('demo', 'http');
    const httpShare = http && (http.shareOfCeiling ?? http.reqPerSec / ceiling.reqPerSec);
    push(
      target,
      share >= min ? 'met' : 'not met',
      `${two(share)} × the ceiling (median of each round's own ratio); ${int(hit.reqPerSec)} against ${int(ceiling.reqPerSec)} req/s (medians)` +
        (httpShare ? `; a hit's HTTP work alone: ${two(httpShare)} × the ceiling` : ''),
    );
  }

  {
    const large = run.bodies.find((b) => b.id === LARGE);
    const target = `hit of a ${large ? kb(large.bytes) : '112 KB'} body, gzip or not: server CPU ≤ ${TARGETS.largeBodyCpu}× the ceiling's`;
    const ceiling = find(LARGE, 'ceiling');
    const hits = (['memory', 'memory-gzip', 'redis', 'redis-gzip'] as const)
      .map((kind) => find(LARGE, kind))
      .filter((f): f is BodyFigures => f !== undefined);
    if (!ceiling || hits.length === 0) push(target, 'not measured', '');
    else {
      const times = (f: BodyFigures) => f.cpuOfCeiling ?? f.serverUs / ceiling.serverUs;
      const worst = hits.reduce((a, b) => (times(b) > times(a) ? b : a));
      push(
        target,
        hits.every((f) => times(f) <= TARGETS.largeBodyCpu) ? 'met' : 'not met',
        `${hits.map((f) => `${CASE_LABELS[f.kind]} ${int(f.serverUs)} µs = ${two(times(f))}×`).join('; ')}; ceiling ${int(ceiling.serverUs)} µs; worst: ${CASE_LABELS[worst.kind]}`,
      );
    }
  }

  {
    const large = run.bodies.find((b) => b.id === LARGE);
    const target = `Redis CPU per lookup without a copy, at ${large?.appointments ?? 400} entities ≤ ${TARGETS.redisLookupUs} µs`;
    const f = find(LARGE, 'redis-nocopy');
    if (!f || f.redisUs === null) push(target, 'not measured', '');
    else
      push(
        target,
        f.redisUs <= TARGETS.redisLookupUs ? 'met' : 'not met',
        `${f.redisUs.toFixed(1)} µs`,
      );
  }

  {
    const target = 'a write elsewhere in the tenant leaves this entry’s copy valid';
    const writing = run.writes.filter((w) => w.rate > 0 && w.fullReadsPerWrite !== null);
    if (writing.length === 0) push(target, 'not measured', '');
    else {
      const ok = writing.every((w) => (w.fullReadsPerWrite ?? 0) <= TARGETS.fullReadsPerWrite);
      push(
        target,
        ok ? 'met' : 'not met',
        `whole-entry reads from Redis per write (≤ ${TARGETS.fullReadsPerWrite} to pass): ${writing
          .map((w) => `${(w.fullReadsPerWrite ?? 0).toFixed(2)} at ${w.rate}/s`)
          .join(', ')}`,
      );
    }
  }

  const misses = run.misses;
  push(
    `cache overhead on a miss ≤ ${TARGETS.missCacheShare * 100}%`,
    misses ? (misses.cacheShare <= TARGETS.missCacheShare ? 'met' : 'not met') : 'not measured',
    misses ? `${(misses.cacheShare * 100).toFixed(1)}%` : 'the misses were not measured',
  );
  push(
    `agenda miss ≤ ${TARGETS.missToCeiling}× the miss ceiling`,
    misses ? (misses.missToCeiling <= TARGETS.missToCeiling ? 'met' : 'not met') : 'not measured',
    misses
      ? `${int(misses.missUs)} µs against ${int(misses.missCeilingUs)} µs (medians); ${two(misses.missToCeiling)}× (the median of each round's own ratio)`
      : 'the misses were not measured',
  );
  return verdicts;
}

export const verdictLine = (v: CurveVerdict) =>
  `${v.target}: ${v.status === 'met' ? 'met' : v.status === 'not met' ? 'NOT MET' : 'not measured'}${v.figures ? ` (${v.figures})` : ''}`;

/** Bodies in the order of the curves: demo first, then by size. */
const ordered = (bodies: BodyInfo[]) => [...bodies].sort((a, b) => a.bytes - b.bytes);

/** Curve 1's two tables: server µs per request, and req/s as a share of the ceiling. */
export function bodyTables(run: CurvesRun): { cpu: string; share: string } {
  const bodies = ordered(run.bodies);
  const header = ['what', ...bodies.map(bodyLabel)];
  const cell = (body: BodyId, kind: CaseKind, pick: (f: BodyFigures, c: BodyFigures) => string) => {
    const f = run.figures.find((x) => x.body === body && x.kind === kind);
    const c = run.figures.find((x) => x.body === body && x.kind === 'ceiling');
    return f && c ? pick(f, c) : '—';
  };
  const cpu = markdownTable(
    header,
    CASE_KINDS.map((kind) => [
      `${CASE_LABELS[kind]}, server µs/request`,
      ...bodies.map((b) => cell(b.id, kind, (f) => int(f.serverUs))),
    ]),
  );
  const share = markdownTable(
    header,
    CASE_KINDS.map((kind) => [
      `${CASE_LABELS[kind]}, req/s (× ceiling)`,
      ...bodies.map((b) =>
        cell(b.id, kind, (f, c) =>
          kind === 'ceiling'
            ? int(f.reqPerSec)
            : `${int(f.reqPerSec)} (${two(f.shareOfCeiling ?? f.reqPerSec / c.reqPerSec)})`,
        ),
      ),
    ]),
  );
  return { cpu, share };
}

/** Curve 2: Redis CPU per lookup, with and without the copy, against the entities. */
export function entityTable(run: CurvesRun): string {
  const bodies = ordered(run.bodies);
  const us = (body: BodyId, kind: CaseKind) => {
    const f = run.figures.find((x) => x.body === body && x.kind === kind);
    return f?.redisUs == null ? '—' : f.redisUs.toFixed(1);
  };
  return markdownTable(
    ['appointments in the agenda', 'body', 'Redis µs per lookup, no copy', 'with copies, no gzip'],
    bodies.map((b) => [b.appointments, kb(b.bytes), us(b.id, 'redis-nocopy'), us(b.id, 'redis')]),
  );
}

/** Curve 3: a Redis hit with copies while a writer books elsewhere in the tenant. */
export function writesTable(run: CurvesRun): string {
  return markdownTable(
    [
      'writes/s asked',
      'writes/s done',
      'hits req/s',
      'server µs per hit',
      'Redis µs per hit',
      'hits from copies',
      'whole-entry reads per write',
    ],
    [...run.writes]
      .sort((a, b) => a.rate - b.rate)
      .map((w) => [
        w.rate,
        w.writesPerSec.toFixed(1),
        int(w.reqPerSec),
        int(w.serverUs),
        w.redisUs.toFixed(1),
        w.nearShare === null ? '—' : `${(w.nearShare * 100).toFixed(1)}%`,
        w.fullReadsPerWrite === null ? '—' : w.fullReadsPerWrite.toFixed(2),
      ]),
  );
}

/** The three plots, each with the file name it is written to under docs/img/. */
export function curvePlots(run: CurvesRun): { file: string; spec: PlotSpec }[] {
  const bodies = ordered(run.bodies);
  const at = (body: BodyId, kind: CaseKind) =>
    run.figures.find((f) => f.body === body && f.kind === kind);
  const body: PlotSpec = {
    title: 'Cost against body size (issue 19, curve 1)',
    x: { label: 'body, KB of JSON', scale: 'log' },
    y: { label: 'server CPU µs per request' },
    series: CASE_KINDS.map((kind) => ({
      name: CASE_LABELS[kind],
      points: bodies.map((b) => [b.bytes / 1000, at(b.id, kind)?.serverUs ?? null] as const),
    })),
  };
  const entities: PlotSpec = {
    title: 'Redis CPU per lookup against entities (curve 2)',
    x: { label: 'appointments in the agenda', scale: 'log' },
    y: { label: 'Redis CPU µs per lookup' },
    series: (['redis-nocopy', 'redis'] as const).map((kind) => ({
      name: kind === 'redis' ? 'with copies, no gzip' : 'without copies',
      points: bodies.map((b) => [b.appointments, at(b.id, kind)?.redisUs ?? null] as const),
    })),
  };
  const sorted = [...run.writes].sort((a, b) => a.rate - b.rate);
  const writes: PlotSpec = {
    title: 'Redis hit with copies against writes elsewhere (curve 3)',
    x: { label: 'writes per second in the tenant', scale: 'symlog' },
    y: { label: 'CPU µs per hit' },
    series: [
      { name: 'server µs per hit', points: sorted.map((w) => [w.rate, w.serverUs] as const) },
      { name: 'Redis µs per hit', points: sorted.map((w) => [w.rate, w.redisUs] as const) },
    ],
  };
  return [
    { file: 'curves-body.svg', spec: body },
    { file: 'curves-entities.svg', spec: entities },
    { file: 'curves-writes.svg', spec: writes },
  ];
}

export interface RunInfo {
  date: string;
  commit: string;
  /** CPU model and core count. */
  machine: string;
  pinned: boolean;
  loadBefore: number[];
  loadAfter: number[];
  /** Median share of the machine's CPU used by other processes over the measured windows. */
  othersShare: number | null;
  rounds: number;
  seconds: number;
  warmup: number;
  /** Why the figures are noisy (a busy machine, a smoke run); null when quiet. */
  noisy: string | null;
}

const loads = (l: number[]) => l.map((n) => n.toFixed(2)).join(' / ');

/** The section of docs/benchmarks.md, without its markers. */
export function curvesMarkdown(run: CurvesRun, info: RunInfo): string {
  const { cpu, share } = bodyTables(run);
  const writesBody = run.bodies.find((b) => b.id === run.writesBody);
  const verdicts = evaluateCurveTargets(run);
  return [
    `## Curves (issue 19): cost against body size, entities and writes, ${info.date}`,
    '',
    info.noisy
      ? `**NOISY: ${info.noisy}.** These figures show the shape of the curves, not the product's cost; rerun on a quiet machine before quoting them.`
      : 'Measured on a quiet machine.',
    '',
    `Commit ${info.commit}, ${info.machine}; server ${info.pinned ? 'pinned to CPU 1, load generator, private Redis and writer on CPU 0' : 'NOT pinned (no taskset or one core)'}; ` +
      `load average ${loads(info.loadBefore)} before, ${loads(info.loadAfter)} after` +
      (info.othersShare === null
        ? ''
        : `; other processes took ${(info.othersShare * 100).toFixed(0)}% of the machine's CPU during the measured windows (median)`) +
      `. Medians of ${info.rounds} interleaved round${info.rounds === 1 ? '' : 's'} of ${info.warmup} + ${info.seconds} s per case, 50 connections, every response checked byte for byte (X-Cache: HIT for every Hotpath hit).`,
    '',
    '### Targets',
    '',
    ...verdicts.map((v) => `- ${verdictLine(v)}`),
    '',
    '### Curve 1: cost against body size',
    '',
    '![Server CPU per request against body size](img/curves-body.svg)',
    '',
    'Server CPU per request (user + system time of the server process over the window, divided by the requests):',
    '',
    cpu,
    '',
    'Requests per second, and their ratio to the ceiling for the same body:',
    '',
    share,
    '',
    'The ceiling writes the plain JSON bytes; "with gzip" is a client sending `Accept-Encoding: gzip`, ' +
      `which gets gzip from CACHE_COMPRESS_MIN_BYTES up (bodies as served: ${ordered(run.bodies)
        .map((b) => `${kb(b.bytes)} → ${kb(b.gzipBytes)}`)
        .join(', ')}). "Without copies" is CACHE_NEAR_MAX_BYTES=0, a client without gzip.`,
    '',
    '### Curve 2: Redis CPU per lookup against entities',
    '',
    '![Redis CPU per lookup against entities](img/curves-entities.svg)',
    '',
    entityTable(run),
    '',
    "Redis's own CPU (`INFO cpu`: used_cpu_user + used_cpu_sys) over the window, divided by the lookups; the Redis is private to the run.",
    '',
    '### Curve 3: a Redis hit with copies while a writer books elsewhere in the tenant',
    '',
    '![Cost per hit against writes per second](img/curves-writes.svg)',
    '',
    writesTable(run),
    '',
    `The hits read ${writesBody ? bodyLabel(writesBody) : run.writesBody} with \`Accept-Encoding: gzip\`. ` +
      "A second Hotpath process (on the load generator's core) books appointments in another provider's day of the same tenant at the rate asked; " +
      "Redis µs per hit includes the writes' own Redis work. A hit from the copy is counted by `hotpath_cache_near_hits_total`; the others read the whole entry from Redis.",
    '',
    '### Misses',
    '',
    run.misses
      ? `Cache share of a miss ${(run.misses.cacheShare * 100).toFixed(1)}%; miss ${int(run.misses.missUs)} µs against a miss ceiling of ${int(run.misses.missCeilingUs)} µs.`
      : 'Not measured by this run: the misses section (bench/lib/miss-ceiling.ts) is wired into bench:curves after the merge.',
  ].join('\n');
}

/**
 * `npm run bench`'s report: the medians per target, its table (text for stdout, markdown for
 * the doc), the reading of hit against miss that decides the exit code, and its section of
 * docs/benchmarks.md between the bench markers.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, release, type } from 'node:os';
import { dirname } from 'node:path';
import { root } from './lib/child.js';
import { CONNECTIONS, type LoadResult } from './lib/load.js';
import { LOADER_CPU, SERVER_CPU } from './lib/pin.js';
import { docPath, int as fmtInt, loads, medianOf, writeSection } from './lib/report.js';
import { fail, WARM_REQUESTS } from './run-checks.js';
import { type Figures, FULL_HITS, type TargetId, type TargetSpec } from './targets.js';

export interface Sample extends LoadResult {
  /** Server CPU (user + system) per request answered, µs. */
  cpuPerRequest: number;
  /** Redis's CPU per request answered, µs; null for targets without Redis. */
  redisCpuPerRequest: number | null;
  /** Calls of Query.agenda's resolver and SQL statements during the measured run. */
  resolverCalls: number;
  statements: number;
  /** Share of the measured requests Hotpath answered from its cache; null: not Hotpath. */
  hitShare: number | null;
  /** Store calls that failed or timed out during the measured run, and since start (Hotpath). */
  storeErrors: number;
  storeErrorsTotal: number;
  othersCpu: number | null;
  /** Bytes of the target's response body. */
  bytes: number;
}

export interface Result {
  target: TargetSpec;
  samples: Sample[];
}

const med = (samples: Sample[], pick: (s: Sample) => number | null) => medianOf(samples, pick);

export function figures(result: Result): Figures {
  return {
    id: result.target.id,
    label: result.target.label,
    reqPerSec: med(result.samples, (s) => s.reqPerSec) ?? 0,
    p50: med(result.samples, (s) => s.p50) ?? 0,
    p99: med(result.samples, (s) => s.p99) ?? 0,
    cpuPerRequest: med(result.samples, (s) => s.cpuPerRequest) ?? 0,
    hitShare: med(result.samples, (s) => s.hitShare),
  };
}

const fmtMs = (n: number) => n.toFixed(2);
const fmtRatio = (n: number) => n.toFixed(2);
const orDash = (n: number | null, format: (n: number) => string) => (n === null ? '–' : format(n));

const HEADER = [
  'Target',
  'req/s',
  '× ceiling',
  'p50 ms',
  'p99 ms',
  'CPU µs/req',
  '× ceiling CPU',
  'Redis CPU µs/req',
  'hits',
  'agenda resolver / SQL',
  'bytes',
  'runs (req/s)',
  'others',
];

export function tableRows(results: Result[]): string[][] {
  const ceiling = figures(results.find((r) => r.target.id === 'ceiling') ?? fail('no ceiling'));
  return results.map((r) => {
    const f = figures(r);
    const share = med(r.samples, (s) => s.hitShare);
    const others = med(r.samples, (s) => s.othersCpu);
    const sum = (pick: (s: Sample) => number) => r.samples.reduce((n, s) => n + pick(s), 0);
    return [
      r.target.label,
      fmtInt(f.reqPerSec),
      fmtRatio(f.reqPerSec / ceiling.reqPerSec),
      fmtMs(f.p50),
      fmtMs(f.p99),
      fmtInt(f.cpuPerRequest),
      (f.cpuPerRequest / ceiling.cpuPerRequest).toFixed(1),
      orDash(
        med(r.samples, (s) => s.redisCpuPerRequest),
        (n) => n.toFixed(1),
      ),
      orDash(share, (n) => `${Math.floor(100 * n)}%`),
      r.target.kind === 'ceiling'
        ? '–'
        : `${fmtInt(sum((s) => s.resolverCalls))} / ${fmtInt(sum((s) => s.statements))}`,
      fmtInt(r.samples[0].bytes),
      r.samples.map((s) => fmtInt(s.reqPerSec)).join(', '),
      orDash(others, (n) => `${Math.round(100 * n)}%`),
    ];
  });
}

export function markdownTable(rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  const align = HEADER.map((_, i) => (i === 0 || i === 11 ? '---' : '---:'));
  return [line(HEADER), line(align), ...rows.map(line)].join('\n');
}

export function textTable(rows: string[][]): string {
  const all = [HEADER, ...rows];
  const widths = HEADER.map((_, i) => Math.max(...all.map((r) => r[i].length)));
  return all
    .map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  '))
    .join('\n');
}

/** Hit against miss, from the medians: the facts that decide the exit code. */
export function reading(results: Result[]): { lines: string[]; hitBeatsMiss: boolean } {
  const by = (id: TargetId) => results.find((r) => r.target.id === id);
  const ceiling = figures(by('ceiling') ?? fail('no ceiling result'));
  const offResult = by('off');
  const off = offResult ? figures(offResult) : null;
  const lines: string[] = [];
  const pct = (f: Figures) => `${Math.round((100 * f.reqPerSec) / ceiling.reqPerSec)}%`;
  let hitBeatsMiss = true;
  for (const id of ['memory', 'redis'] as const) {
    const result = by(id);
    if (!result) continue;
    const hit = figures(result);
    const share = med(result.samples, (s) => s.hitShare) ?? 0;
    const errors = result.samples.reduce((n, s) => n + s.storeErrors, 0);
    const earlier = result.samples.reduce((n, s) => n + s.storeErrorsTotal - s.storeErrors, 0);
    if (share < FULL_HITS) {
      lines.push(
        `${hit.label}: only ${Math.floor(100 * share)}% of the measured requests were hits ` +
          `(median); ${fmtInt(errors)} store calls failed or timed out ` +
          '(`hotpath_cache_errors_total`), which opens the breaker and sends requests to the ' +
          "database. This row is not a hit's cost.",
      );
      continue;
    }
    if (!off) {
      lines.push(`${hit.label}: ${pct(hit)} of the ceiling's req/s (cache off not run).`);
      continue;
    }
    const faster = hit.reqPerSec > off.reqPerSec && hit.p50 < off.p50;
    hitBeatsMiss &&= faster;
    lines.push(
      `${hit.label}: ${(hit.reqPerSec / off.reqPerSec).toFixed(1)}× the req/s of cache off, ` +
        `p50 ${fmtMs(hit.p50)} ms against ${fmtMs(off.p50)} ms, ${pct(hit)} of the ceiling's ` +
        `req/s (${faster ? 'a hit is faster than a miss' : 'TARGET MISSED: a hit is not faster than a miss'}).` +
        (earlier > 0
          ? ` Before the measured runs, while it was warmed up, ${fmtInt(earlier)} store calls ` +
            'failed or timed out (`hotpath_cache_errors_total`).'
          : ''),
    );
  }
  const hitRows = (['memory', 'redis'] as const).filter((id) => by(id));
  const fullHits = hitRows.filter(
    (id) => (med(by(id)?.samples ?? [], (s) => s.hitShare) ?? 0) >= FULL_HITS,
  );
  if (hitRows.length > 0 && fullHits.length === 0) {
    hitBeatsMiss = false;
    lines.push('TARGET NOT SHOWN: no cached Hotpath row served (nearly) only hits.');
  }
  const redis = fullHits.includes('redis') ? by('redis') : undefined;
  const stock = by('stock');
  if (redis && stock) {
    const r = figures(redis);
    const s = figures(stock);
    lines.push(
      `Against the stock baseline on the same Redis: ${r.label} serves ` +
        `${(r.reqPerSec / s.reqPerSec).toFixed(2)}× its req/s ` +
        `(stock: ${pct(s)} of the ceiling, Hotpath: ${pct(r)}).`,
    );
  }
  return { lines, hitBeatsMiss };
}

export interface RunInfo {
  date: string;
  commit: string;
  query: string;
  variables: { userId: string; date: string };
  tenant: string;
  pinned: boolean;
  loadBefore: number[];
  loadAfter: number[];
  /** BENCH_RUNS, BENCH_WARMUP, BENCH_DURATION and BENCH_REDIS_URL as read. */
  runs: number;
  warmupS: number;
  durationS: number;
  redisUrl: string;
}

export function gitCommit(): string {
  try {
    const sha = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root }).toString();
    const dirty = execFileSync('git', ['status', '--porcelain'], { cwd: root }).toString();
    return `${sha.trim()}${dirty.trim() ? ' (with uncommitted changes)' : ''}`;
  } catch {
    return 'unknown';
  }
}

const BEGIN = '<!-- bench:begin (written by npm run bench; edit outside these markers) -->';
const END = '<!-- bench:end -->';

const DEFAULT_DOC = `# Benchmarks

What DESIGN §10 claims, measured side by side in one run by \`npm run bench\` (bench/run.ts).
The section between the markers is rewritten on every run; the notes after it are kept.

${BEGIN}
${END}
`;

export function generated(
  results: Result[],
  info: RunInfo,
  verdicts: string[],
  read: string[],
): string {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const { runs, warmupS, durationS, redisUrl } = info;
  return [
    `## Last run: ${info.date}`,
    '',
    `- Machine: ${cpus().length} cores, ${cpu}, ${type()} ${release()}`,
    `- Node ${process.version}, NODE_ENV=production, autocannon 8 in the parent process`,
    info.pinned
      ? `- Pinned with taskset: each target on CPU ${SERVER_CPU}, autocannon (the bench process, ` +
        `all its threads) on CPU ${LOADER_CPU}; Redis not pinned`
      : '- Not pinned (no taskset or a single core): targets, autocannon and Redis share the cores',
    `- Load: ${CONNECTIONS} connections over loopback; ${runs} interleaved round${runs === 1 ? '' : 's'}, each running ` +
      `every target once in this order from a fresh process and an empty cache: ${WARM_REQUESTS} ` +
      `checked requests, ${warmupS} s of warm-up, ${durationS} s measured. Figures are medians ` +
      "over the rounds (`runs` lists each round's req/s); latencies from every response",
    `- Code: ${info.commit}; SQLite file seeded once by seedDemo; Redis at ${redisUrl.replace(/\/\/[^@]*@/, '//')}`,
    `- Load average (1/5/15 min) before the run: ${loads(info.loadBefore)}; after: ${loads(info.loadAfter)}`,
    '',
    markdownTable(tableRows(results)),
    '',
    "`× ceiling`: req/s as a share of the ceiling's. `CPU µs/req`: the target process's user + " +
      'system time (`/proc/<pid>/stat`) over the measured run, per request answered; `× ceiling ' +
      "CPU` divides it by the ceiling's. `Redis CPU µs/req`: Redis's own (`INFO cpu`) over the " +
      'same window; Redis is shared, so anything else using it counts too. `hits`: share of the ' +
      'measured requests Hotpath answered from its cache (its `/metrics`). `agenda resolver / ' +
      "SQL`: calls of Query.agenda's resolver and SQL statements sent during the measured runs, " +
      'summed over the rounds. On a hit neither moves (mercurius-cache answers the resolvers ' +
      'from its cache, above the counter), so a cached row shows 0 / 0; a peer above 1% of its ' +
      'requests stops the bench. ' +
      "`bytes`: the target's response body (the same JSON as Hotpath's; Apollo adds a newline). " +
      "`others`: share of the machine's CPU that processes other than the bench, the target " +
      'and Redis took during the measured run; rows with much of it are understated.',
    '',
    '### Targets (issue 8)',
    '',
    ...verdicts.map((l) => `- ${l}`),
    '',
    '### Reading',
    '',
    ...read.map((l) => `- ${l}`),
    '',
    '### The rows',
    '',
    ...results.map((r) => `- **${r.target.label}** (\`${r.target.id}\`): ${r.target.serves}`),
    '',
    '### The request',
    '',
    `\`POST /graphql\` as ${info.tenant}'s demo API key (\`Authorization: Bearer …\`), with`,
    '',
    '```graphql',
    info.query,
    '```',
    '',
    `variables \`${JSON.stringify(info.variables)}\` (its first user, today in its time zone).`,
  ].join('\n');
}

export function writeDoc(content: string): void {
  mkdirSync(dirname(docPath), { recursive: true });
  const current = existsSync(docPath) ? readFileSync(docPath, 'utf8') : DEFAULT_DOC;
  const start = current.indexOf(BEGIN);
  const end = current.indexOf(END);
  const base = start >= 0 && end > start ? current : DEFAULT_DOC;
  const from = base.indexOf(BEGIN) + BEGIN.length;
  const to = base.indexOf(END);
  writeFileSync(docPath, `${base.slice(0, from)}\n${content}\n${base.slice(to)}`);
}

/**
 * The run's table in a section of its own per Node major (`bench:node24`, `bench:node20`),
 * written by every run, a BENCH_TARGETS subset included: the runtimes' figures stand side by
 * side in docs/benchmarks.md (issue 20), and a short run on one runtime leaves the full table
 * above, and the other runtime's section, as they were.
 */
export function writeRuntimeSection(results: Result[], info: RunInfo): string {
  const major = process.versions.node.split('.')[0];
  const name = `bench:node${major}`;
  const begin = `<!-- ${name}:begin (written by npm run bench on Node ${major}; edit outside these markers) -->`;
  const end = `<!-- ${name}:end -->`;
  const { runs, warmupS, durationS } = info;
  // writeSection names the runtime (the bench's and every target's) right after the marker.
  const block = [
    begin,
    `### Node ${major}: ${info.date}`,
    '',
    `- Targets: ${results.map((r) => `\`${r.target.id}\``).join(', ')}; ${runs} round${runs === 1 ? '' : 's'} of ${warmupS} s warm-up + ${durationS} s measured; ${info.pinned ? 'pinned with taskset' : 'not pinned'}`,
    `- Code: ${info.commit}; load average (1/5/15 min) before: ${loads(info.loadBefore)}; after: ${loads(info.loadAfter)}`,
    '',
    markdownTable(tableRows(results)),
    end,
  ].join('\n');
  writeSection(begin, end, block);
  return name;
}

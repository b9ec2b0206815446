/**
 * bench:compression's report: the Redis bytes of the entry, plain and gzipped, the table of the
 * hits' medians and the reading of them, for stdout and docs/benchmarks.md.
 */
import type { Case, Server } from './compression-checks.js';
import { CONNECTIONS, type LoadResult } from './lib/load.js';
import { LOADER_CPU, SERVER_CPU } from './lib/pin.js';
import { int, loads, markdownTable, median, ratio } from './lib/report.js';

export function fail(message: string): never {
  throw new Error(`bench:compression: ${message}`);
}

export interface Stored {
  /** MEMORY USAGE of the entry (every field counted: SAMPLES 0). */
  memoryUsage: number;
  /** Length of the payload field `.`: header line + the body as stored. */
  payload: number;
  key: string;
}

export interface Sample extends LoadResult {
  cpuPerRequest: number;
  /** This process's CPU per response (autocannon and the checks): is the load generator the bound? */
  loaderCpuPerRequest: number;
}

export interface Storage {
  server: Server;
  json: Buffer;
  stored: Stored;
  storedBody: number;
}

export function report(
  storage: Storage[],
  cases: Case[],
  samples: Map<Case['id'], Sample[]>,
  info: {
    pinned: boolean;
    loadBefore: number[];
    loadAfter: number[];
    input: object;
    threshold: number;
    codec: { prepareMs: number; inflateUs: number };
    durationS: number;
    warmupS: number;
    runs: number;
  },
): string {
  const [before, after] = storage;
  const { durationS, warmupS, runs } = info;
  const storageTable = markdownTable(
    [
      'server',
      'response (JSON bytes)',
      'body as stored',
      'payload (`HSTRLEN key .`)',
      '`MEMORY USAGE`',
    ],
    [
      ...storage.map((s) => [
        s.server.label,
        int(s.json.length),
        int(s.storedBody),
        int(s.stored.payload),
        int(s.stored.memoryUsage),
      ]),
      [
        '**before / after**',
        ratio(before.json.length, after.json.length),
        ratio(before.storedBody, after.storedBody),
        ratio(before.stored.payload, after.stored.payload),
        ratio(before.stored.memoryUsage, after.stored.memoryUsage),
      ],
    ],
  );
  const m = (id: Case['id'], pick: (s: Sample) => number) =>
    median((samples.get(id) ?? []).map(pick));
  const hitTable = markdownTable(
    [
      'case',
      'req/s',
      'p50 ms',
      'p99 ms',
      'server CPU µs/req',
      'autocannon CPU µs/req',
      'body bytes',
      'wire bytes/response',
      'runs (req/s)',
    ],
    cases.map((c) => [
      c.label,
      int(m(c.id, (s) => s.reqPerSec)),
      m(c.id, (s) => s.p50).toFixed(2),
      m(c.id, (s) => s.p99).toFixed(2),
      int(m(c.id, (s) => s.cpuPerRequest)),
      int(m(c.id, (s) => s.loaderCpuPerRequest)),
      int(c.expected.length),
      int(m(c.id, (s) => s.wireBytes)),
      (samples.get(c.id) ?? []).map((s) => int(s.reqPerSec)).join(', '),
    ]),
  );
  const cpu = (id: Case['id']) => m(id, (s) => s.cpuPerRequest);
  const rps = (id: Case['id']) => m(id, (s) => s.reqPerSec);
  const signed = (n: number) => `${n >= 0 ? '+' : '−'}${int(Math.abs(n))}`;
  const reading = [
    `- Storage: gzip stores the report in ${((100 * after.stored.payload) / before.stored.payload).toFixed(1)}% ` +
      `of the payload bytes (${int(before.stored.payload)} → ${int(after.stored.payload)}) and ` +
      `${((100 * after.stored.memoryUsage) / before.stored.memoryUsage).toFixed(1)}% of the entry's ` +
      `Redis memory (${int(before.stored.memoryUsage)} → ${int(after.stored.memoryUsage)} bytes).`,
    `- (b) against (a): ${(rps('b') / rps('a')).toFixed(2)}× the req/s, ` +
      `${signed(cpu('b') - cpu('a'))} µs of server CPU per hit, ` +
      `${((100 * m('b', (s) => s.wireBytes)) / m('a', (s) => s.wireBytes)).toFixed(1)}% of the bytes ` +
      'on the wire: a client that takes gzip gets the stored bytes with no work per hit.',
    `- (c) against (a): ${(rps('c') / rps('a')).toFixed(2)}× the req/s, ` +
      `${signed(cpu('c') - cpu('a'))} µs of server CPU per hit for a client that does not take ` +
      `gzip: the ${int(after.storedBody)} stored bytes were inflated into ${int(after.json.length)} ` +
      "once, and the JSON is kept beside the server's in-process copy.",
    `- (c) against (b): writing the JSON rather than the gzip costs ${signed(cpu('c') - cpu('b'))} µs ` +
      `of CPU per hit (${(rps('c') / rps('b')).toFixed(2)}× the req/s). Inflating it (a Redis hit ` +
      `without a copy in process) takes ${int(info.codec.inflateUs)} µs for this body in this process, and \`prepareBody\` (ETag and gzip, ` +
      `once per save, the gzip on libuv's thread pool) ${info.codec.prepareMs.toFixed(1)} ms.`,
  ];
  // A load generator with its core (nearly) full caps the row: req/s then says little about
  // the server, its CPU per request still does.
  for (const c of cases) {
    const busy = (m(c.id, (s) => s.loaderCpuPerRequest) * rps(c.id)) / 1e6;
    if (busy >= 0.9)
      reading.push(
        `- ${c.label.slice(0, 3)}: autocannon used ${Math.round(100 * busy)}% of a core: its ` +
          "req/s may be the load generator's bound; compare server CPU per request instead.",
      );
  }
  return [
    `## Compression, done once (issue 8): last run ${new Date().toISOString().slice(0, 19)}Z`,
    '',
    '`npm run bench:compression` (bench/compression.ts). Two production `src/main.ts` processes ' +
      'on Redis, each under its own `CACHE_PREFIX`: `CACHE_COMPRESS_MIN_BYTES=0` (never compress) ' +
      `and the default (gzip from ${int(info.threshold)} bytes), both with \`CACHE_TIMEOUT_MS=1000\` and ` +
      '`CACHE_TTL_ANALYTICS=86400` (the entry must outlive the run). The request: the first demo ' +
      "tenant's widest 12-month report (every metric, every dimension; `computedAt` left out so " +
      `both servers answer the same bytes), variables \`${JSON.stringify(info.input)}\`. Each ` +
      'server answered it once (a MISS that stored it); the Redis figures are of that entry.',
    '',
    storageTable,
    '',
    `Hits: autocannon, ${CONNECTIONS} connections, ${durationS} s measured after ${warmupS} s ` +
      `of warm-up, ${runs} interleaved rounds (a, b, c), medians. ` +
      (info.pinned
        ? `Servers on CPU ${SERVER_CPU}, autocannon on CPU ${LOADER_CPU} (taskset). `
        : 'Not pinned (no taskset or one core). ') +
      'Every response checked: 200, `X-Cache: HIT`, Content-Encoding gzip for (b) only, and ' +
      "exactly the expected bytes ((b): the gzip whose gunzip is (a)'s JSON). Server CPU from " +
      '`/proc/<pid>/stat`; wire bytes: headers and body as autocannon read them. Load average ' +
      `(1/5/15 min) before: ${loads(info.loadBefore)}; after: ${loads(info.loadAfter)}.`,
    '',
    hitTable,
    '',
    ...reading,
  ].join('\n');
}

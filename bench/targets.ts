/**
 * What `npm run bench` measures, and issue 8's targets computed from the medians. No I/O here:
 * test/bench/targets.test.ts checks the selection and the verdicts.
 */

/** The peers, each in a process of its own (bench/peers.ts). */
export const PEERS = [
  'yoga-memory',
  'stock',
  'apollo-memory',
  'apollo-redis',
  'mercurius-memory',
  'mercurius-redis',
  'mercurius-jit-memory',
  'mercurius-jit-redis',
] as const;

export type Peer = (typeof PEERS)[number];

export const TARGET_IDS = ['ceiling', 'off', 'memory', 'redis', ...PEERS] as const;

export type TargetId = (typeof TARGET_IDS)[number];

export interface TargetSpec {
  id: TargetId;
  label: string;
  /** What the row serves, for the doc. */
  serves: string;
  /** Who answers: node:http's precomputed bytes, Hotpath itself, or a peer. */
  kind: 'ceiling' | 'hotpath' | 'peer';
  /** Whether every measured request must (peers) or should (Hotpath) be a cache hit. */
  cached: boolean;
  /** Whether its cache lives in Redis: Redis's CPU and keys are read for this row. */
  redis: boolean;
}

const TENANT = 'keyed per tenant';

export const TARGETS: readonly TargetSpec[] = [
  {
    id: 'ceiling',
    label: 'node:http ceiling',
    serves: "node:http reading the POST and writing Hotpath's response bytes, precomputed.",
    kind: 'ceiling',
    cached: false,
    redis: false,
  },
  {
    id: 'off',
    label: 'Hotpath, cache off',
    serves: 'CACHE_ENABLED=false: every request is parsed, validated and executed on SQLite.',
    kind: 'hotpath',
    cached: false,
    redis: false,
  },
  {
    id: 'memory',
    label: 'Hotpath, memory hit',
    serves: 'the in-memory store, warmed: every measured request should be a hit.',
    kind: 'hotpath',
    cached: true,
    redis: false,
  },
  {
    id: 'redis',
    label: 'Hotpath, Redis hit',
    serves:
      'the Redis store with default settings, warmed: every measured request should be a hit.',
    kind: 'hotpath',
    cached: true,
    redis: true,
  },
  {
    id: 'yoga-memory',
    label: 'Yoga + @envelop/response-cache (memory)',
    serves: `graphql-yoga with @envelop/response-cache's default in-memory LRU, session: the tenant (${TENANT}).`,
    kind: 'peer',
    cached: true,
    redis: false,
  },
  {
    id: 'stock',
    label: 'Yoga + @envelop/response-cache-redis',
    serves: `the same with createRedisCache from @envelop/response-cache-redis (${TENANT}); the baseline Hotpath's store replaced.`,
    kind: 'peer',
    cached: true,
    redis: true,
  },
  {
    id: 'apollo-memory',
    label: 'Apollo Server 5 + response cache (memory)',
    serves:
      '@apollo/server-plugin-response-cache on the default InMemoryLRUCache, with ' +
      'ApolloServerPluginCacheControl (defaultMaxAge 60 s), the root field PRIVATE and ' +
      `sessionId the tenant (${TENANT}); startStandaloneServer.`,
    kind: 'peer',
    cached: true,
    redis: false,
  },
  {
    id: 'apollo-redis',
    label: 'Apollo Server 5 + response cache (Keyv Redis)',
    serves:
      'the same on `new KeyvAdapter(new Keyv(new KeyvRedis(url)))`; KeyvAdapter batches the ' +
      'reads of one tick into one MGET.',
    kind: 'peer',
    cached: true,
    redis: true,
  },
  {
    id: 'mercurius-memory',
    label: 'mercurius + mercurius-cache (memory)',
    serves:
      'fastify 5 + mercurius 16 + mercurius-cache 8 in memory. It caches resolvers, not ' +
      'responses: Query.agenda, Agenda.user, Agenda.appointments and Appointment.service, ' +
      `each with extendKey the tenant (${TENANT}); a hit still executes the query.`,
    kind: 'peer',
    cached: true,
    redis: false,
  },
  {
    id: 'mercurius-redis',
    label: 'mercurius + mercurius-cache (Redis)',
    serves: "the same on mercurius-cache's Redis storage (an ioredis client).",
    kind: 'peer',
    cached: true,
    redis: true,
  },
  {
    id: 'mercurius-jit-memory',
    label: 'mercurius + graphql-jit + mercurius-cache (memory)',
    serves:
      'mercurius-memory with `jit: 1`: the query is compiled by graphql-jit after its first run.',
    kind: 'peer',
    cached: true,
    redis: false,
  },
  {
    id: 'mercurius-jit-redis',
    label: 'mercurius + graphql-jit + mercurius-cache (Redis)',
    serves: 'mercurius-redis with `jit: 1`.',
    kind: 'peer',
    cached: true,
    redis: true,
  },
];

/**
 * BENCH_TARGETS: a comma-separated subset of TARGET_IDS, in any order; empty or unset means
 * all. The ceiling always runs, since every ratio is to it. Targets keep the table's order.
 */
export function selectTargets(raw: string | undefined): TargetSpec[] {
  const wanted = (raw ?? '')
    .split(',')
    .map((id) => id.trim())
    .filter(Boolean);
  if (wanted.length === 0) return [...TARGETS];
  const unknown = wanted.filter((id) => !(TARGET_IDS as readonly string[]).includes(id));
  if (unknown.length > 0)
    throw new Error(
      `BENCH_TARGETS: unknown ${unknown.join(', ')}; known: ${TARGET_IDS.join(', ')}`,
    );
  return TARGETS.filter((t) => t.id === 'ceiling' || wanted.includes(t.id));
}

/** The medians of one target over the rounds. */
export interface Figures {
  id: TargetId;
  label: string;
  reqPerSec: number;
  p50: number;
  p99: number;
  /** The server process's CPU (user + system) per request answered, µs. */
  cpuPerRequest: number;
  /** Share of the measured requests Hotpath answered from its cache (its hit rows only). */
  hitShare?: number | null;
}

/** Below this share of hits a Hotpath "hit" row measures something else. */
export const FULL_HITS = 0.99;

export interface Verdict {
  met: boolean;
  line: string;
}

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const two = (n: number) => n.toFixed(2);

/** A hit row's thresholds: issue 8's targets. */
const HIT_TARGETS = [
  { id: 'memory', minShare: 0.6, maxCpu: 2 },
  { id: 'redis', minShare: 0.4, maxCpu: 3 },
] as const;

/** p99 of hits at most this, in ms, at 50 connections. */
export const MAX_HIT_P99_MS = 5;

/**
 * Issue 8's targets against the medians of one run: memory hit ≥ 0.60 × the ceiling's req/s
 * and ≤ 2× its CPU per request, Redis hit ≥ 0.40 and ≤ 3×, p99 of hits ≤ 5 ms, and each Hotpath
 * hit row ahead of every peer row in req/s. A target whose rows were not run says so, and does
 * not count as met.
 */
export function evaluateTargets(figures: readonly Figures[]): Verdict[] {
  const by = (id: string) => figures.find((f) => f.id === id);
  const ceiling = by('ceiling');
  const peers = figures.filter((f) => TARGETS.find((t) => t.id === f.id)?.kind === 'peer');
  const verdicts: Verdict[] = [];
  const notMeasured = (line: string) =>
    verdicts.push({ met: false, line: `${line}: not measured` });
  for (const { id, minShare, maxCpu } of HIT_TARGETS) {
    const hit = by(id);
    const name = id === 'memory' ? 'Memory hit' : 'Redis hit';
    if (!hit || !ceiling) {
      notMeasured(`${name} req/s ≥ ${two(minShare)} × the ceiling's`);
      notMeasured(`${name} CPU per request ≤ ${maxCpu}× the ceiling's`);
      notMeasured(`${name} p99 ≤ ${MAX_HIT_P99_MS} ms`);
      notMeasured(`${name} ahead of every peer`);
      continue;
    }
    // A row that was not all hits (the breaker opened, say) does not show a hit's cost.
    const caveat =
      hit.hitShare != null && hit.hitShare < FULL_HITS
        ? `; only ${Math.floor(100 * hit.hitShare)}% hits`
        : '';
    const verdict = (met: boolean, what: string, figures: string) =>
      verdictLine(met, what, `${figures}${caveat}`);
    const share = hit.reqPerSec / ceiling.reqPerSec;
    verdicts.push(
      verdict(
        share >= minShare,
        `${name} req/s ≥ ${two(minShare)} × the ceiling's`,
        `${int(hit.reqPerSec)} req/s = ${two(share)} × ${int(ceiling.reqPerSec)}`,
      ),
    );
    const cpu = hit.cpuPerRequest / ceiling.cpuPerRequest;
    verdicts.push(
      verdict(
        cpu <= maxCpu,
        `${name} CPU per request ≤ ${maxCpu}× the ceiling's`,
        `${int(hit.cpuPerRequest)} µs = ${two(cpu)}× ${int(ceiling.cpuPerRequest)} µs`,
      ),
    );
    verdicts.push(
      verdict(
        hit.p99 <= MAX_HIT_P99_MS,
        `${name} p99 ≤ ${MAX_HIT_P99_MS} ms`,
        `p99 ${two(hit.p99)} ms`,
      ),
    );
    if (peers.length === 0) {
      notMeasured(`${name} ahead of every peer`);
      continue;
    }
    const ahead = peers.filter((p) => p.reqPerSec >= hit.reqPerSec);
    const fastest = peers.reduce((a, b) => (b.reqPerSec > a.reqPerSec ? b : a));
    verdicts.push(
      verdict(
        ahead.length === 0,
        `${name} ahead of every peer (req/s)`,
        ahead.length === 0
          ? `${int(hit.reqPerSec)} req/s; the fastest peer, ${fastest.label}: ${int(fastest.reqPerSec)}`
          : `${int(hit.reqPerSec)} req/s; ahead of it: ${ahead
              .sort((a, b) => b.reqPerSec - a.reqPerSec)
              .map((p) => `${p.label} ${int(p.reqPerSec)}`)
              .join(', ')}`,
      ),
    );
  }
  return verdicts;
}

function verdictLine(met: boolean, what: string, figures: string): Verdict {
  return { met, line: `${what}: ${met ? 'met' : 'MISSED'} (${figures})` };
}

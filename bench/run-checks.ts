/**
 * What `npm run bench` (and `bench:layout`) check before they measure a target, and how they
 * measure it: the request, the reference answer every target must give, warming with every
 * answer checked, the per-tenant key of every cache, Hotpath's own count of its cache
 * outcomes, the checked load and the measured window.
 */
import { isDeepStrictEqual } from 'node:util';
import { openDatabase } from '../src/db/data-source.js';
import { DEMO_TENANTS, seedDemo } from '../src/db/seed.js';
import { localDate } from '../src/time.js';
import { WARM_DOCUMENTS } from '../src/warming/warming.js';
import type { BenchServer } from './lib/child.js';
import { type CpuSample, cpuSample } from './lib/cpu.js';
import { type LoadResult, runLoad } from './lib/load.js';
import type { TargetId, TargetSpec } from './targets.js';

/** Checked requests that warm each target before its load. */
export const WARM_REQUESTS = 20;

export function fail(message: string): never {
  throw new Error(`bench: ${message}`);
}

export interface Workload {
  url: (port: number) => string;
  headers: Record<string, string>;
  body: string;
  userId: string;
  date: string;
}

/**
 * The demo seeded into a fresh SQLite file, and the request the hit benches send: today's
 * agenda of the first demo tenant's first user, with that tenant's key.
 */
export async function seedAgendaWorkload(sqlitePath: string) {
  const db = await openDatabase({ sqlitePath });
  const seed = await seedDemo(db);
  await db.destroy();
  const demo = DEMO_TENANTS[0];
  const tenant = seed.tenants.find((t) => t.id === demo.id) ?? fail('the first demo tenant');
  const user = tenant.users[0] ?? fail('the first demo user');
  const variables = { userId: user.id, date: localDate(new Date(), tenant.timezone) };
  const workload: Workload = {
    url: (port) => `http://127.0.0.1:${port}/graphql`,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${demo.apiKey}` },
    body: JSON.stringify({ query: WARM_DOCUMENTS.agenda, variables }),
    ...variables,
  };
  return { workload, variables, tenant };
}

export async function post(workload: Workload, port: number) {
  const response = await fetch(workload.url(port), {
    method: 'POST',
    headers: workload.headers,
    body: workload.body,
  });
  return { response, text: await response.text() };
}

export async function waitUntilAnswers(workload: Workload, port: number): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      await post(workload, port);
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** The body must be today's agenda of the chosen user, with appointments in it. */
export function checkAgenda(text: string, workload: Workload): void {
  let parsed: {
    data?: { agenda?: { date?: string; user?: { id?: string }; appointments?: unknown[] } };
    errors?: unknown;
  };
  try {
    parsed = JSON.parse(text);
  } catch {
    fail(`the response is not JSON: ${text.slice(0, 200)}`);
  }
  const agenda = parsed.data?.agenda;
  if (parsed.errors || !agenda) fail(`the response is not an agenda: ${text.slice(0, 500)}`);
  if (agenda.user?.id !== workload.userId || agenda.date !== workload.date)
    fail(`the agenda is not ${workload.userId} on ${workload.date}: ${text.slice(0, 300)}`);
  if (!Array.isArray(agenda.appointments) || agenda.appointments.length === 0)
    fail('the agenda has no appointments: the seed should give the first user some today');
}

export interface Reference {
  /** Hotpath's response, parsed: every target's body must equal it as JSON. */
  json: unknown;
  body: string;
  contentType: string;
}

function sameJson(text: string, reference: Reference): boolean {
  try {
    return isDeepStrictEqual(JSON.parse(text), reference.json);
  } catch {
    return false;
  }
}

/**
 * Sequential requests so that the cache is hot. Each answer must be a 200 whose body equals
 * Hotpath's as JSON (servers differ in bytes: Apollo ends its body with a newline). Returns the
 * target's own bytes, which every measured response must then repeat exactly.
 */
export async function warm(
  target: TargetSpec,
  workload: Workload,
  port: number,
  reference: Reference,
) {
  let body = '';
  for (let i = 0; i < WARM_REQUESTS; i++) {
    const { response, text } = await post(workload, port);
    if (response.status !== 200) fail(`${target.label}: HTTP ${response.status}: ${text}`);
    if (!sameJson(text, reference))
      fail(`${target.label}: the body differs from Hotpath's:\n${text.slice(0, 500)}`);
    const xCache = response.headers.get('x-cache');
    const expected = target.kind !== 'hotpath' ? null : target.cached ? 'HIT' : 'BYPASS';
    if (i === WARM_REQUESTS - 1 && expected && xCache !== expected)
      fail(`${target.label}: X-Cache is ${xCache} after warming, expected ${expected}`);
    body = text;
  }
  return body;
}

/**
 * The cache must be keyed per tenant: once the agenda is cached for its tenant, the very same
 * request with another tenant's API key must not get it (it is someone else's user: NOT_FOUND).
 */
export async function checkPerTenant(
  target: TargetSpec,
  workload: Workload,
  port: number,
  otherTenantKey: string,
) {
  const response = await fetch(workload.url(port), {
    method: 'POST',
    headers: { ...workload.headers, authorization: `Bearer ${otherTenantKey}` },
    body: workload.body,
  });
  const text = await response.text();
  let code: unknown;
  try {
    code = JSON.parse(text).errors?.[0]?.extensions?.code;
  } catch {}
  if (code !== 'NOT_FOUND')
    fail(
      `${target.label}: another tenant's request for the cached agenda got ` +
        `HTTP ${response.status} ${text.slice(0, 300)}, not NOT_FOUND: the cache is not per tenant`,
    );
}

/** Where each Redis-backed target keeps its keys, under the run's prefix. */
export function keyPattern(prefix: string, id: TargetId): string {
  switch (id) {
    case 'redis':
      return `${prefix}.hotpath:*`;
    case 'stock':
      return `${prefix}:stock:*`;
    case 'apollo-redis':
      return `${prefix}:apollo:*`;
    case 'mercurius-redis':
      return `${prefix}:mercurius:*`;
    case 'mercurius-jit-redis':
      return `${prefix}:mercurius-jit:*`;
    default:
      return fail(`${id} keeps nothing in Redis`);
  }
}

export type Outcomes = Record<'hit' | 'miss' | 'bypass' | 'errors', number>;

/** /metrics is private (issue 14): the bench's processes take this token for it. */
export const METRICS_TOKEN = 'bench-metrics-token-0123456789';

export async function cacheOutcomes(port: number): Promise<Outcomes> {
  const text = await (
    await fetch(`http://127.0.0.1:${port}/metrics`, {
      headers: { authorization: `Bearer ${METRICS_TOKEN}` },
    })
  ).text();
  const count = (series: string) =>
    Number(new RegExp(`^${series.replace(/[{}]/g, '\\$&')} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
  const requests = (outcome: string) => count(`hotpath_cache_requests_total{outcome="${outcome}"}`);
  return {
    hit: requests('hit'),
    miss: requests('miss'),
    bypass: requests('bypass'),
    errors: count('hotpath_cache_errors_total'),
  };
}

export function hitShare(before: Outcomes, after: Outcomes): number {
  const hits = after.hit - before.hit;
  const all = hits + after.miss - before.miss + after.bypass - before.bypass;
  return all === 0 ? 0 : hits / all;
}

/**
 * autocannon on the agenda for `duration` seconds, every response checked: 2xx, no errors or
 * timeouts, and exactly the expected body.
 */
export const agendaLoad =
  (workload: Workload, port: number, expectBody: string, errorPrefix = 'bench: ') =>
  (duration: number) =>
    runLoad({
      url: workload.url(port),
      headers: workload.headers,
      body: workload.body,
      duration,
      expectBody,
      problems: (result) => [
        result.mismatches && `${result.mismatches} bodies differ from the expected agenda`,
      ],
      errorPrefix,
    });

/** What one measured window read, before and after the load. */
export interface MeasuredWindow {
  measured: LoadResult;
  cpuBefore: CpuSample;
  cpuAfter: CpuSample;
  /** Query.agenda's executions and SQL statements in the window (bench/server.ts counts). */
  resolverCalls: number;
  statements: number;
  /** Hotpath's cache outcomes around the window; null when not asked for (a peer). */
  outcomes: { before: Outcomes; after: Outcomes } | null;
}

/**
 * The measured window of a running target (lib/cpu.ts's convention): every counter read right
 * before and right after `load`, nothing else inside it.
 */
/** What a window's Redis CPU is read from: a Redis, or the sum over a cluster's processes. */
export interface InfoSource {
  info(section: 'cpu'): Promise<string>;
}

export async function measureWindow(
  server: BenchServer,
  redis: InfoSource,
  hotpath: boolean,
  load: () => Promise<LoadResult>,
): Promise<MeasuredWindow> {
  const outcomesBefore = hotpath ? await cacheOutcomes(server.port) : null;
  const countsBefore = await server.counts();
  const cpuBefore = cpuSample(server.pid, await redis.info('cpu'));
  const measured = await load();
  const cpuAfter = cpuSample(server.pid, await redis.info('cpu'));
  const countsAfter = await server.counts();
  const outcomesAfter = hotpath ? await cacheOutcomes(server.port) : null;
  return {
    measured,
    cpuBefore,
    cpuAfter,
    resolverCalls: countsAfter.agendaResolves - countsBefore.agendaResolves,
    statements: countsAfter.statements - countsBefore.statements,
    outcomes:
      outcomesBefore && outcomesAfter ? { before: outcomesBefore, after: outcomesAfter } : null,
  };
}

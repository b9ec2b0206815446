import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { traceFields } from '../../src/logger.js';
import type { Tracing } from '../../src/telemetry/tracing.js';
import { buildTestApp, sharedRedisCache, type TestApp } from '../support/app.js';
import { CREATE_SERVICE, SERVICES } from '../support/documents.js';
import { createProvider, createTestTenant } from '../support/fixtures.js';
import { type ReceivedSpan, startOtlpReceiver, startTestTracing } from '../support/otlp.js';

// Issue 18: OpenTelemetry spans, checked by a real OTLP receiver that decodes what the SDK's
// exporter posts. Through node:http, as in production: the hit path and Yoga's path.

describe('tracing (OTLP receiver)', () => {
  let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
  let tracing: Tracing;
  let app: TestApp;
  let redisApp: TestApp;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    tracing = await startTestTracing(receiver.url);
    // megaStats lives 1 s here, then is served STALE while one refresh runs (SWR).
    app = await buildTestApp('sqlite', {
      via: 'http',
      tracing,
      cache: { backend: 'MEMORY', ttlOverrides: { CACHE_TTL_STATS: 1 } },
    });
    redisApp = await buildTestApp('sqlite', { via: 'http', tracing, cache: sharedRedisCache() });
  });
  afterAll(async () => {
    await app?.close();
    await redisApp?.close();
    await tracing?.shutdown();
    await receiver?.close();
  });

  /** POSTs a document with headers of our own; the response and its trace id. */
  async function post(
    target: TestApp,
    key: string,
    query: string,
    variables: Record<string, unknown>,
    headers: Record<string, string> = {},
  ) {
    const res = await target.request('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, ...headers },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await res.json()) as { data?: any; errors?: unknown[] };
    const timing = res.headers.get('server-timing') ?? '';
    const traceparent = /traceparent;desc="([^"]+)"/.exec(timing)?.[1];
    expect(traceparent, `Server-Timing: ${timing}`).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    const [, traceId, spanId] = (traceparent as string).split('-');
    return { res, body, traceId, spanId };
  }

  /** The spans of one trace, once the request span has arrived (the exporter batches). */
  async function traceOf(traceId: string, minimum = 1): Promise<ReceivedSpan[]> {
    const of = () => receiver.spans.filter((s) => s.traceId === traceId);
    await expect
      .poll(
        async () => {
          await tracing.flush();
          return of().some((s) => s.attributes['hotpath.cache.path']) && of().length >= minimum;
        },
        { timeout: 10_000 },
      )
      .toBe(true);
    return of();
  }
  const requestSpan = (spans: ReceivedSpan[]) =>
    spans.find((s) => s.attributes['hotpath.cache.path'] !== undefined) as ReceivedSpan;
  const childrenOf = (spans: ReceivedSpan[], parent: ReceivedSpan) =>
    spans.filter((s) => s.parentSpanId === parent.spanId);

  it('a miss: the request span with the cache attributes, execution, SQL and store calls', async () => {
    const tenant = await createTestTenant(app, 'Traced');
    const provider = await createProvider(app, tenant, 'Ana');
    const miss = await post(app, tenant.key, String(SERVICES), { u: provider.user.id });
    expect(miss.res.headers.get('x-cache')).toBe('MISS');
    const spans = await traceOf(miss.traceId, 4);
    const root = requestSpan(spans);
    // The span Server-Timing names is the request's.
    expect(root.spanId).toBe(miss.spanId);
    expect(root.name).toBe('query Services');
    expect(root.resource['service.name']).toBe('hotpath-test');
    expect(root.attributes).toMatchObject({
      'graphql.operation.name': 'Services',
      'graphql.operation.type': 'query',
      'hotpath.cache.outcome': 'miss',
      'hotpath.cache.reason': 'first',
      'hotpath.cache.level': 'memory',
      'hotpath.cache.path': 'yoga',
      'hotpath.cache.ttl_seconds': 86_400,
      'hotpath.cache.tag_count': expect.any(Number),
    });
    expect(root.attributes['hotpath.cache.tag_count']).toBeGreaterThanOrEqual(2);
    expect(root.attributes['hotpath.cache.lookup_ms']).toEqual(expect.any(Number));
    const children = childrenOf(spans, root);
    const lookup = children.find((s) => s.name === 'hotpath.cache.lookup');
    expect(lookup?.attributes).toMatchObject({
      'hotpath.cache.store.call': 'lookup',
      'hotpath.cache.outcome': 'miss',
    });
    const execution = children.find((s) => s.name === 'graphql.execute') as ReceivedSpan;
    expect(execution).toBeDefined();
    // Each SQL statement is a child of the execution, with its text and never its values.
    const sql = childrenOf(spans, execution).filter((s) => s.attributes['db.system.name']);
    expect(sql.length).toBeGreaterThan(0);
    expect(sql[0].attributes['db.system.name']).toBe('sqlite');
    expect(String(sql[0].attributes['db.query.text'])).toMatch(/SELECT/i);
    expect(JSON.stringify(sql)).not.toContain(provider.user.id);
    // The save of the result is a store call of the same request.
    const save = spans.find((s) => s.name === 'hotpath.cache.save');
    expect(save?.attributes['hotpath.cache.save.result']).toBe('stored');
  });

  it('on PostgreSQL too: each statement a span of the execution (a query runner per call)', async () => {
    const pg = await buildTestApp('postgres', {
      via: 'http',
      tracing,
      cache: { backend: 'MEMORY' },
    });
    try {
      const tenant = await createTestTenant(pg, 'Postgres');
      const provider = await createProvider(pg, tenant, 'Gil');
      const miss = await post(pg, tenant.key, String(SERVICES), { u: provider.user.id });
      expect(miss.res.headers.get('x-cache')).toBe('MISS');
      const spans = await traceOf(miss.traceId, 4);
      const execution = spans.find((s) => s.name === 'graphql.execute') as ReceivedSpan;
      const sql = childrenOf(spans, execution).filter((s) => s.attributes['db.system.name']);
      expect(sql.length).toBeGreaterThan(0);
      expect(sql.every((s) => s.attributes['db.system.name'] === 'postgresql')).toBe(true);
      expect(sql.map((s) => s.name)).toContain('SELECT postgresql');
    } finally {
      await pg.close();
    }
  });

  it('a hit on the node:http hit path: a request span of its own, no execution', async () => {
    const tenant = await createTestTenant(app, 'Hit');
    const provider = await createProvider(app, tenant, 'Bia');
    await post(app, tenant.key, String(SERVICES), { u: provider.user.id });
    const hit = await post(app, tenant.key, String(SERVICES), { u: provider.user.id });
    expect(hit.res.headers.get('x-cache')).toBe('HIT');
    const spans = await traceOf(hit.traceId, 2);
    const root = requestSpan(spans);
    expect(root.name).toBe('query Services');
    expect(root.attributes).toMatchObject({
      'hotpath.cache.path': 'hit-path',
      'hotpath.cache.outcome': 'hit',
      'hotpath.cache.level': 'memory',
      'graphql.operation.name': 'Services',
      'http.response.status_code': 200,
    });
    expect(root.attributes['hotpath.cache.reason']).toBeUndefined();
    expect(root.attributes['hotpath.cache.ttl_seconds']).toBeGreaterThan(86_000);
    expect(spans.map((s) => s.name)).toContain('hotpath.cache.lookup');
    expect(spans.map((s) => s.name)).not.toContain('graphql.execute');
  });

  it('a hit from Redis says its level: redis, then the near copy', async () => {
    const tenant = await createTestTenant(redisApp, 'Redis level');
    const provider = await createProvider(redisApp, tenant, 'Cris');
    await post(redisApp, tenant.key, String(SERVICES), { u: provider.user.id });
    const levels: unknown[] = [];
    for (let i = 0; i < 2; i++) {
      const hit = await post(redisApp, tenant.key, String(SERVICES), { u: provider.user.id });
      expect(hit.res.headers.get('x-cache')).toBe('HIT');
      levels.push(requestSpan(await traceOf(hit.traceId)).attributes['hotpath.cache.level']);
    }
    expect(levels).toEqual(['redis', 'near']);
  });

  it('a mutation: BYPASS with its reason, and the invalidation span with tags and instance', async () => {
    const tenant = await createTestTenant(app, 'Writer');
    const provider = await createProvider(app, tenant, 'Duda');
    await post(app, tenant.key, String(SERVICES), { u: provider.user.id });
    const write = await post(app, tenant.key, String(CREATE_SERVICE), {
      i: { userId: provider.user.id, name: 'Beard', durationMinutes: 20, priceCents: 2000 },
    });
    expect(write.body.errors).toBeUndefined();
    expect(write.res.headers.get('x-cache')).toBe('BYPASS');
    expect(write.res.headers.get('x-cache-reason')).toBe('mutation');
    const spans = await traceOf(write.traceId, 3);
    const root = requestSpan(spans);
    expect(root.name).toBe('mutation CreateService');
    expect(root.attributes).toMatchObject({
      'hotpath.cache.outcome': 'bypass',
      'hotpath.cache.reason': 'mutation',
      'graphql.operation.type': 'mutation',
    });
    await expect
      .poll(async () => {
        await tracing.flush();
        return receiver.spans.some(
          (s) => s.traceId === write.traceId && s.name === 'hotpath.cache.invalidate',
        );
      })
      .toBe(true);
    const invalidation = receiver.spans.find(
      (s) => s.traceId === write.traceId && s.name === 'hotpath.cache.invalidate',
    ) as ReceivedSpan;
    expect(invalidation.attributes['hotpath.cache.invalidation.tags']).toContain(
      `ServiceList:${provider.user.id}`,
    );
    expect(invalidation.attributes['hotpath.cache.invalidation.removed']).toBe(1);
    expect(invalidation.attributes['hotpath.instance']).toBe(tracing.instance);
    // The write's SQL (the insert and its outbox row) belongs to the same trace.
    const inserts = receiver.spans.filter(
      (s) => s.traceId === write.traceId && s.attributes['db.operation.name'] === 'INSERT',
    );
    expect(inserts.length).toBeGreaterThanOrEqual(2);
    // The next read says why it missed.
    const after = await post(app, tenant.key, String(SERVICES), { u: provider.user.id });
    expect(after.res.headers.get('x-cache-reason')).toBe('invalidated');
  });

  it("joins the client's trace: traceparent accepted, the request span its child", async () => {
    const tenant = await createTestTenant(app, 'Parent');
    const provider = await createProvider(app, tenant, 'Eva');
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const parent = '00f067aa0ba902b7';
    for (const expected of ['MISS', 'HIT']) {
      const res = await post(
        app,
        tenant.key,
        String(SERVICES),
        { u: provider.user.id },
        { traceparent: `00-${traceId}-${parent}-01` },
      );
      expect(res.res.headers.get('x-cache')).toBe(expected);
      expect(res.traceId).toBe(traceId);
      const root = requestSpan(await traceOf(traceId, expected === 'MISS' ? 3 : 1));
      expect(root).toBeDefined();
      const span = receiver.spans.find((s) => s.spanId === res.spanId) as ReceivedSpan;
      expect(span.parentSpanId).toBe(parent);
      expect(span.attributes['hotpath.cache.outcome']).toBe(expected.toLowerCase());
    }
  });

  it('a stale-while-revalidate refresh joins the trace of the request that caused it', async () => {
    const tenant = await createTestTenant(app, 'Stale');
    const query = '{ megaStats { id today { total } } }';
    await post(app, tenant.key, query, {});
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const stale = await post(app, tenant.key, query, {});
    expect(stale.res.headers.get('x-cache')).toBe('STALE');
    await expect
      .poll(async () => {
        await tracing.flush();
        return receiver.spans.filter((s) => s.traceId === stale.traceId).length;
      })
      .toBeGreaterThanOrEqual(3);
    // The refresh's own request span (made by Yoga, in process) is a child of the client's.
    const refresh = receiver.spans.find(
      (s) => s.traceId === stale.traceId && s.parentSpanId === stale.spanId && s.name === 'query',
    );
    expect(refresh?.attributes).toMatchObject({
      'hotpath.cache.path': 'yoga',
      'hotpath.cache.outcome': 'miss',
      'hotpath.cache.reason': 'expired',
    });
    const root = receiver.spans.find((s) => s.spanId === stale.spanId) as ReceivedSpan;
    expect(root.attributes['hotpath.cache.outcome']).toBe('stale');
  });

  it('in process (yoga.fetch, no node:http front): Yoga makes the request span itself', async () => {
    const tenant = await createTestTenant(app, 'In process');
    const provider = await createProvider(app, tenant, 'Fia');
    const res = await app.yoga.fetch(
      new Request('http://hotpath.test/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${tenant.key}` },
        body: JSON.stringify({ query: String(SERVICES), variables: { u: provider.user.id } }),
      }),
    );
    expect(res.headers.get('x-cache')).toBe('MISS');
    const traceparent = /traceparent;desc="([^"]+)"/.exec(res.headers.get('server-timing') ?? '');
    const traceId = (traceparent?.[1] ?? '').split('-')[1];
    const root = requestSpan(await traceOf(traceId, 2));
    expect(root.attributes).toMatchObject({
      'hotpath.cache.path': 'yoga',
      'hotpath.cache.outcome': 'miss',
      'hotpath.cache.reason': 'first',
    });
    expect(receiver.posts.every((p) => p.startsWith('POST /v1/traces application/json'))).toBe(
      true,
    );
  });

  it('a log line written inside a traced request carries its trace_id and span_id', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    // The mixin createLogger() installs (src/logger.ts), on a logger we can read.
    const logger = pino({ base: null, mixin: traceFields }, sink);
    logger.info('outside any request');
    const ids = tracing.tracer.startActiveSpan('a request', (span) => {
      logger.info('inside');
      span.end();
      return span.spanContext();
    });
    expect(JSON.parse(lines[0]).trace_id).toBeUndefined();
    expect(JSON.parse(lines[1])).toMatchObject({ trace_id: ids.traceId, span_id: ids.spanId });
  });
});

import { getIntrospectionQuery } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Service } from '../../src/db/entities/service.entity.js';
import { DEFAULT_LIMITS } from '../../src/limits.js';
import { buildTestApp, sharedRedisCache, type TestApp } from '../support/app.js';
import { expectDeadlineEndsReport } from '../support/deadline.js';

/**
 * DESIGN §12, tried as a hostile client would (issue 6): every request is answered with a
 * status below 500 and an error code, nothing is half-written, and the cache keeps working.
 */

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  body: { data?: any; errors?: { message: string; extensions?: Record<string, any> }[] };
}

const backends = [
  ['memory', { backend: 'MEMORY' as const }],
  ['Redis', sharedRedisCache()],
] as const;

/** A 1-wide chain user → services → user → …, `levels` fields deep below `user`. */
function chain(levels: number) {
  let selection = 'id';
  for (let i = levels - 1; i >= 0; i--) {
    selection = i % 2 === 0 ? `services { ${selection} }` : `user { ${selection} }`;
  }
  return `query Chain($u: ID!) { user(id: $u) { ${selection} } }`;
}

describe.each(backends)('hostile requests, cache on %s', (_name, cache) => {
  let app: TestApp;
  let key: string;
  let userId: string;

  beforeAll(async () => {
    app = await buildTestApp('sqlite', {
      cache,
      limits: { executionMs: DEFAULT_LIMITS.executionMs },
    });
    const tenant = await app.createTenant();
    key = tenant.key;
    userId = (await app.createUser(tenant.tenant.id)).id;
    const created = await app.execute(
      `mutation($input: CreateServiceInput!) { createService(input: $input) { id } }`,
      { input: { userId, name: 'Cut', durationMinutes: 30, priceCents: 5000 } },
      key,
    );
    expect(created.body.errors).toBeUndefined();
  });
  afterAll(() => app.close());

  async function send(body: string | object, init: RequestInit = {}): Promise<Answer> {
    const response = await app.yoga.fetch('http://hotpath.test/graphql', {
      method: 'POST',
      ...init,
      headers: {
        'content-type': 'application/json',
        accept: 'application/graphql-response+json, application/json',
        authorization: `Bearer ${key}`,
        ...(init.headers as Record<string, string>),
      },
      body:
        init.method === 'GET' ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    let parsed: Answer['body'] = {};
    try {
      parsed = JSON.parse(text);
    } catch {}
    return { status: response.status, headers: response.headers, text, body: parsed };
  }

  /** What every hostile request must get: no 5xx, a code on every error, no stack trace. */
  function expectSurvivable(answer: Answer) {
    expect(answer.status, answer.text.slice(0, 300)).toBeLessThan(500);
    for (const error of answer.body.errors ?? []) {
      expect(error.extensions?.code, error.message).toEqual(expect.any(String));
    }
    expect(answer.text).not.toMatch(/"stack"|originalError|\n\s+at /);
  }

  function expectLimit(answer: Answer, limit: string) {
    expectSurvivable(answer);
    expect(answer.body.errors?.[0]?.extensions).toMatchObject({ code: 'LIMIT_EXCEEDED', limit });
    expect(answer.body.data ?? null).toBeNull();
    expect(answer.status).toBeGreaterThanOrEqual(400);
  }

  it('refuses a deep chain by its depth, naming the limit and the depth found', async () => {
    const answer = await send({ query: chain(28), variables: { u: userId } });
    expectLimit(answer, 'depth');
    expect(answer.body.errors?.[0]?.message).toBe(
      'Query depth limit of 10 exceeded, found 30 (LIMIT_DEPTH).',
    );
  });

  it('refuses an affordable depth whose lists multiply past the cost limit', async () => {
    const answer = await send({ query: chain(5), variables: { u: userId } });
    expectLimit(answer, 'cost');
    expect(answer.body.errors?.[0]?.extensions?.found).toBeGreaterThan(DEFAULT_LIMITS.cost);
  });

  it('refuses fragments that double at every level (2^30 fields once spread) by their depth', async () => {
    const levels = Array.from(
      { length: 30 },
      (_, i) => `fragment L${i} on Query { ...L${i + 1} ... on Query { ...L${i + 1} } }`,
    );
    const query = `${levels.join(' ')} fragment L30 on Query { stores { id } } query { ...L0 }`;
    expectLimit(await send({ query }), 'depth');
  });

  it("admits GraphiQL's introspection query and the README's examples", async () => {
    const introspection = getIntrospectionQuery({
      descriptions: true,
      specifiedByUrl: true,
      directiveIsRepeatable: true,
      schemaDescription: true,
      inputValueDeprecation: true,
    });
    const schema = await send({ query: introspection });
    expect(schema.body.errors).toBeUndefined();
    expect(schema.body.data.__schema.types.length).toBeGreaterThan(20);
    const agenda = await send({
      query: `query($u: ID!, $d: Date!) { agenda(userId: $u, date: $d) { id appointments {
        clientName startsAt status service { name priceCents } } } }`,
      variables: { u: userId, d: '2026-11-22' },
    });
    expect(agenda.body.errors).toBeUndefined();
    const report = await send({
      query: `{ analytics(input: {metrics: [REVENUE, AVERAGE_TICKET, ORDER_COUNT],
        dimensions: [MONTH, CHANNEL], dateRange: {start: "2025-11-01", end: "2026-11-30"}}) {
        rows { keys values } totalRows } }`,
    });
    expect(report.body.errors).toBeUndefined();
  });

  it('answers a chain within the limits', async () => {
    const answer = await send({ query: chain(3), variables: { u: userId } });
    expectSurvivable(answer);
    expect(answer.body.data.user.services[0].user.services[0].id).toEqual(expect.any(String));
  });

  it('refuses too many aliases, and 10,000 of them at the token limit', async () => {
    const some = Array.from({ length: 31 }, (_, i) => `a${i}: __typename`).join(' ');
    expectLimit(await send({ query: `{ ${some} }` }), 'aliases');
    const many = Array.from({ length: 10_000 }, (_, i) => `m${i}: megaStats { today }`).join(' ');
    expectLimit(await send({ query: `{ ${many} }` }), 'tokens');
  });

  it('refuses too many directives', async () => {
    const directives = Array.from({ length: 21 }, () => '@include(if: true)').join(' ');
    expectLimit(await send({ query: `{ __typename ${directives} }` }), 'directives');
  });

  it('refuses a body over the size limit with 413, before reading it as GraphQL', async () => {
    const query = `{ ${'a: __typename '.repeat(350_000)} }`; // about 5 MB
    const answer = await send({ query });
    expectLimit(answer, 'bodyBytes');
    expect(answer.status).toBe(413);
  });

  it('refuses a body without Content-Length once it passes the limit', async () => {
    const chunk = new TextEncoder().encode(' '.repeat(64 * 1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        sent += chunk.byteLength;
        if (sent > 4 * DEFAULT_LIMITS.bodyBytes) controller.close();
        else controller.enqueue(chunk);
      },
    });
    const response = await app.yoga.fetch('http://hotpath.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(response.status).toBe(413);
    expect(sent).toBeLessThan(4 * DEFAULT_LIMITS.bodyBytes);
  });

  it('refuses a document of many tokens while parsing, without a stack overflow', async () => {
    expectLimit(await send({ query: `{ ${'__typename '.repeat(10_000)} }` }), 'tokens');
    const nested = `{ user(id: ${'['.repeat(5_000)}1${']'.repeat(5_000)}) { id } }`;
    expectLimit(await send({ query: nested }), 'tokens');
  });

  it('refuses deeply nested variables and extensions with 400', async () => {
    // Written as text: JSON.stringify itself overflows the stack on such a value.
    const deep = `${'['.repeat(100_000)}1${']'.repeat(100_000)}`;
    const variables = await send(`{"query": "{ __typename }", "variables": {"v": ${deep}}}`);
    expectLimit(variables, 'inputDepth');
    expect(variables.status).toBe(400);
    const extensions = await send(`{"query": "{ __typename }", "extensions": {"e": ${deep}}}`);
    expectLimit(extensions, 'inputDepth');
  });

  it.each([
    ['a number as query', { query: 123 }],
    ['a list as query', { query: ['{ __typename }'] }],
    ['an object as query', { query: { a: 1 } }],
    ['a number as operationName', { query: '{ __typename }', operationName: 123 }],
    ['a list as variables', { query: '{ __typename }', variables: [1] }],
    ['a string as extensions', { query: '{ __typename }', extensions: 'x' }],
    ['no query at all', {}],
  ])('answers %s with 400 and a code', async (_what, body) => {
    const answer = await send(body);
    expectSurvivable(answer);
    expect(answer.status).toBe(400);
    expect(answer.body.errors?.[0]?.extensions?.code).toMatch(/^BAD_REQUEST$/);
  });

  it('codes the variable errors graphql-js writes, and a subscription', async () => {
    const query = 'query($u: ID!) { user(id: $u) { id } }';
    const missing = await send({ query });
    expectSurvivable(missing);
    expect(missing.body.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'u',
    });
    const nulled = await send({ query, variables: { u: null } });
    expectSurvivable(nulled);
    expect(nulled.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
    const subscription = await send({ query: 'subscription { __typename }' });
    expectSurvivable(subscription);
    expect(subscription.body.errors?.[0]?.extensions?.code).toBe('BAD_REQUEST');
    expect(subscription.status).toBe(400);
  });

  it.each(['__proto__', 'constructor', 'toString', 'hasOwnProperty'])(
    'answers template(id: "builtin:%s") NOT_FOUND',
    async (name) => {
      const answer = await send({ query: `{ template(id: "builtin:${name}") { id } }` });
      expectSurvivable(answer);
      expect(answer.body.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    },
  );

  it('refuses a rendered template over the size limit, stores nothing and stays cached', async () => {
    const upsert = await send({
      query: `mutation($input: UpsertTemplateInput!) { upsertTemplate(input: $input) { id } }`,
      variables: {
        input: { userId, type: 'WELCOME', name: 'Huge', body: '{{a}}'.repeat(800) },
      },
    });
    expect(upsert.body.errors).toBeUndefined();
    const render = `query($u: ID!, $v: JSON!) {
      renderTemplate(userId: $u, type: WELCOME, variables: $v) { text }
    }`;
    const answer = await send({
      query: render,
      variables: { u: userId, v: { a: 'x'.repeat(100_000) } },
    });
    expectSurvivable(answer);
    expect(answer.text.length).toBeLessThan(2_000);
    expect(answer.body.errors?.[0]?.extensions).toMatchObject({
      code: 'LIMIT_EXCEEDED',
      limit: 'renderBytes',
      max: DEFAULT_LIMITS.renderBytes,
      found: 80_000_000,
    });
    const small = { query: render, variables: { u: userId, v: { a: 'y' } } };
    expect((await send(small)).headers.get('x-cache')).toBe('MISS');
    const again = await send(small);
    expect(again.headers.get('x-cache')).toBe('HIT');
    expect(again.body.data.renderTemplate.text).toBe('y'.repeat(800));
  });

  it('writes nothing for a mutation refused by a limit', async () => {
    const before = await app.db.getRepository(Service).countBy({ userId });
    let selection = 'id';
    for (let i = 0; i < 12; i++) selection = `user { services { ${selection} } }`;
    const answer = await send({
      query: `mutation($input: CreateServiceInput!) { createService(input: $input) { ${selection} } }`,
      variables: { input: { userId, name: 'Refused', durationMinutes: 30, priceCents: 1 } },
    });
    expectLimit(answer, 'depth');
    expect(await app.db.getRepository(Service).countBy({ userId })).toBe(before);
  });

  it('serves a response over CACHE_MAX_ENTRY_BYTES without storing it', async () => {
    const small = await buildTestApp('sqlite', { cache: { ...cache, maxEntryBytes: 64 } });
    try {
      const { tenant, key: smallKey } = await small.createTenant();
      const user = await small.createUser(tenant.id, 'A provider with a long enough name');
      const query = 'query($u: ID!) { user(id: $u) { id name plan } }';
      const first = await small.execute(query, { u: user.id }, smallKey);
      expect(first.data.user.name).toBe('A provider with a long enough name');
      expect(first.headers.get('x-cache')).toBe('MISS');
      expect((await small.execute(query, { u: user.id }, smallKey)).headers.get('x-cache')).toBe(
        'MISS',
      );
      const tiny = 'query($u: ID!) { user(id: $u) { plan } }';
      await small.execute(tiny, { u: user.id }, smallKey);
      expect((await small.execute(tiny, { u: user.id }, smallKey)).headers.get('x-cache')).toBe(
        'HIT',
      );
    } finally {
      await small.close();
    }
  });
});

describe('the execution deadline', () => {
  it('ends an operation still running after LIMIT_EXECUTION_MS with a coded error', async () => {
    const app = await buildTestApp('postgres', { limits: { executionMs: 300 } });
    try {
      const { tenant, key } = await app.createTenant();
      await app.createUser(tenant.id);
      await expectDeadlineEndsReport(app, key, 300);
    } finally {
      await app.close();
    }
  });
});

describe('no stack trace in any NODE_ENV', () => {
  it('masks an unexpected error and keeps its detail out of the response', async () => {
    const previous = process.env.NODE_ENV;
    process.env.NODE_ENV = 'development';
    const app = await buildTestApp('sqlite');
    try {
      const { tenant, key } = await app.createTenant();
      const user = await app.createUser(tenant.id);
      await app.db.query('DROP TABLE services');
      const answer = await app.execute(
        'query($u: ID!) { services(userId: $u) { id } }',
        { u: user.id },
        key,
      );
      expect(answer.body.errors?.[0]).toMatchObject({
        message: 'Unexpected error.',
        extensions: { code: 'INTERNAL_SERVER_ERROR' },
      });
      expect(JSON.stringify(answer.body)).not.toMatch(/stack|originalError|no such table/);
    } finally {
      process.env.NODE_ENV = previous;
      await app.close();
    }
  });
});

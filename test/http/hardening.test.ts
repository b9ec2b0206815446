import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMetricsGate } from '../../src/ops/metrics.js';
import { buildTestApp, codes, OPS_TOKEN, sharedRedisCache, type TestApp } from '../support/app.js';

/**
 * Issue 14, production hardening: introspection and field suggestions can be turned off (and a
 * cached answer of an instance that allows introspection is never found by one that doesn't),
 * validation stops after LIMIT_VALIDATION_ERRORS errors, and /metrics wants a token.
 * test/hardening-process.test.ts checks the same against `NODE_ENV=production` processes.
 */

const SCHEMA = '{ __schema { queryType { name } } }';
const TYPE = 'query Types { __type(name: "Agenda") { name fields { name } } }';
const STORES = 'query Stores { stores { id name } }';
/** What a public scanner sends: ten copies of one unknown directive. */
const TEN_DIRECTIVES = `{ __typename ${'@unknownDirective '.repeat(10)}}`;

const messages = (body: { errors?: { message: string }[] }) =>
  (body.errors ?? []).map((e) => e.message);

describe('introspection and field suggestions', () => {
  let open: TestApp;
  let hidden: TestApp;
  let key: string;

  beforeAll(async () => {
    open = await buildTestApp('sqlite', { cache: sharedRedisCache(), via: 'http' });
    // The same database and the same Redis prefix: the second instance of one deployment,
    // started with introspection off.
    hidden = await buildTestApp('sqlite', {
      db: open.db,
      cache: sharedRedisCache({ prefix: open.cacheConfig.prefix }),
      via: 'http',
      introspection: false,
    });
    ({ key } = await open.createTenant('Hardening'));
  });
  afterAll(async () => {
    await hidden?.close();
    await open?.close();
  });

  it('answers introspection by default (development) and refuses it when off', async () => {
    for (const query of [SCHEMA, TYPE]) {
      const allowed = await open.execute(query, {}, key);
      expect(allowed.body.errors, query).toBeUndefined();
      const refused = await hidden.execute(query, {}, key);
      expect(refused.body.data ?? null, query).toBeNull();
      // graphql-js's rule reports each introspection field of the document.
      expect(new Set(codes(refused.body)), query).toEqual(new Set(['GRAPHQL_VALIDATION_FAILED']));
      expect(messages(refused.body)[0]).toMatch(/introspection/i);
    }
    // The operator token doesn't turn it back on either.
    expect(codes((await hidden.execute(SCHEMA, {}, OPS_TOKEN)).body)).toContain(
      'GRAPHQL_VALIDATION_FAILED',
    );
    // __typename is not introspection: clients (Apollo, urql) add it everywhere.
    const typename = await hidden.execute('{ __typename }', {}, key);
    expect(typename.body).toEqual({ data: { __typename: 'Query' } });
  });

  it('suggests no field names when off: `{ cacheStat }` says nothing of cacheStats', async () => {
    const suggested = await open.execute('{ cacheStat }', {}, key);
    expect(messages(suggested.body).join('\n')).toContain('Did you mean "cacheStats"?');
    for (const token of [key, OPS_TOKEN]) {
      const plain = await hidden.execute('{ cacheStat }', {}, token);
      expect(codes(plain.body)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
      expect(messages(plain.body)).toEqual(['Cannot query field "cacheStat" on type "Query".']);
    }
    // Arguments and types too.
    const argument = await hidden.execute('{ stores(firs: 1) { id } }', {}, key);
    expect(messages(argument.body).join('\n')).not.toMatch(/Did you mean/);
    const type = await hidden.execute('query($u: Strin) { __typename }', {}, key);
    expect(messages(type.body).join('\n')).toMatch(/Unknown type "Strin"/);
    expect(messages(type.body).join('\n')).not.toMatch(/Did you mean/);
    // Enum values, in a literal (validation) and in a variable (coerced by execution).
    const input = (plan: string) => `input: { tenantId: "x", name: "A", plan: ${plan} }`;
    for (const [query, variables] of [
      [`mutation { createUser(${input('PROO')}) { id } }`, {}],
      [`mutation($p: Plan!) { createUser(${input('$p')}) { id } }`, { p: 'PROO' }],
    ] as const) {
      const suggested = await open.execute(query, variables, OPS_TOKEN);
      expect(messages(suggested.body).join('\n')).toContain('Did you mean the enum value "PRO"?');
      const plain = await hidden.execute(query, variables, OPS_TOKEN);
      expect(codes(plain.body)).toEqual(['BAD_USER_INPUT']);
      expect(messages(plain.body).join('\n')).toMatch(/"PROO" does not exist in "Plan" enum\.$/);
    }
  });

  it("keys entries by the setting: the hit path never serves the other instance's answers", async () => {
    // Introspection is never stored (test/cache/scope-and-policy.both.test.ts); the key salt makes
    // sure that even an entry that was would not be found by an instance with it off.
    for (let i = 0; i < 3; i++) await open.execute(SCHEMA, {}, key);
    for (let i = 0; i < 3; i++) {
      const refused = await hidden.execute(SCHEMA, {}, key);
      expect(refused.body.data ?? null).toBeNull();
      expect(codes(refused.body)).toContain('GRAPHQL_VALIDATION_FAILED');
      expect(refused.headers.get('x-cache')).not.toBe('HIT');
    }
    // An ordinary entry of the open instance is a miss for the other: their keys differ.
    expect((await open.execute(STORES, {}, key)).headers.get('x-cache')).toBe('MISS');
    expect((await open.execute(STORES, {}, key)).headers.get('x-cache')).toBe('HIT');
    expect((await hidden.execute(STORES, {}, key)).headers.get('x-cache')).toBe('MISS');
    expect((await hidden.execute(STORES, {}, key)).headers.get('x-cache')).toBe('HIT');
  });
});

describe('validation stops after LIMIT_VALIDATION_ERRORS errors', () => {
  let app: TestApp;
  let unlimited: TestApp;
  let key: string;

  beforeAll(async () => {
    app = await buildTestApp('sqlite');
    unlimited = await buildTestApp('sqlite', { limits: { validationErrors: Infinity } });
    ({ key } = await app.createTenant('Validation'));
  });
  afterAll(async () => {
    await unlimited?.close();
    await app?.close();
  });

  it('ten duplicated unknown directives answer five errors, the last saying it stopped', async () => {
    const answer = await app.execute(TEN_DIRECTIVES, {}, key);
    const errors = answer.body.errors ?? [];
    expect(errors).toHaveLength(5);
    expect(messages(answer.body).slice(0, 4)).toEqual(
      Array(4).fill('Unknown directive "@unknownDirective".'),
    );
    expect(errors[4]).toMatchObject({
      message: 'Validation error limit of 5 exceeded (LIMIT_VALIDATION_ERRORS).',
      extensions: { code: 'LIMIT_EXCEEDED', limit: 'validationErrors', max: 5 },
    });
    expect(answer.body.data ?? null).toBeNull();
    // Without the limit, graphql-js reports all ten.
    const all = await unlimited.execute(TEN_DIRECTIVES, {}, OPS_TOKEN);
    expect(all.body.errors).toHaveLength(10);
  });

  it('a document with as many errors as the limit gets them all', async () => {
    const five = await app.execute(`{ __typename ${'@unknownDirective '.repeat(5)}}`, {}, key);
    expect(messages(five.body)).toEqual(Array(5).fill('Unknown directive "@unknownDirective".'));
  });
});

describe('GET /metrics is private', () => {
  const METRICS_TOKEN = 'metrics-token-for-tests';
  let app: TestApp;

  beforeAll(async () => {
    app = await buildTestApp('sqlite', { via: 'http' });
  });
  afterAll(async () => {
    await app?.close();
  });

  const scrape = (target: TestApp, authorization?: string) =>
    target.request('/metrics', { headers: authorization ? { authorization } : {} });

  it('answers 401, with no cache headers, without the operator token', async () => {
    for (const authorization of [undefined, 'Bearer wrong-token-0000000000', OPS_TOKEN]) {
      const refused = await scrape(app, authorization);
      expect(refused.status).toBe(401);
      expect(refused.headers.get('www-authenticate')).toBe('Bearer');
      expect(refused.headers.get('x-cache')).toBeNull();
      expect(refused.headers.get('server-timing')).toBeNull();
      const body = await refused.json();
      expect(body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
      expect(JSON.stringify(body)).not.toContain(OPS_TOKEN);
    }
    const scraped = await scrape(app, `Bearer ${OPS_TOKEN}`);
    expect(scraped.status).toBe(200);
    expect(await scraped.text()).toMatch(/^hotpath_cache_fallback_active 0$/m);
  });

  it('takes the operator token or METRICS_TOKEN, as a bearer token only', () => {
    // METRICS_TOKEN and METRICS_PORT through a real process: test/hardening-process.test.ts.
    const main = createMetricsGate([OPS_TOKEN, METRICS_TOKEN]);
    expect(main(`Bearer ${METRICS_TOKEN}`)).toBe(true);
    expect(main(`bearer  ${OPS_TOKEN} `)).toBe(true);
    expect(main(`Bearer ${METRICS_TOKEN}x`)).toBe(false);
    expect(main(METRICS_TOKEN)).toBe(false);
    expect(main(undefined)).toBe(false);
    // A separate port without METRICS_TOKEN is open: it is for the private network only.
    expect(createMetricsGate([])(undefined)).toBe(true);
  });
});

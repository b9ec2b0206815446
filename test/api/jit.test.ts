import { type DocumentNode, GraphQLObjectType, GraphQLSchema, GraphQLString, parse } from 'graphql';
import { createYoga, type Plugin } from 'graphql-yoga';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ByteBudget } from '../../src/cache/stats/bounds.js';
import { documentBytes } from '../../src/yoga/parse-cache.js';
import {
  JIT_BYTES_PER_FIELD,
  JIT_FIXED_BYTES,
  spreadFields,
  useJit,
} from '../../src/yoga/use-jit.js';
import { buildTestApp, OPS_TOKEN, type TestApp } from '../support/app.js';
import { expectDeadlineEndsReport, SALES_REPORT } from '../support/deadline.js';
import { CREATE_SERVICE } from '../support/documents.js';

// Issue 19: a document the parse cache keeps is compiled by graphql-jit at its
// JIT_AFTER_RUNS-th run (src/yoga/use-jit.ts). Two apps on one database, the cache off so that
// every request executes: one compiles at the first run, one never compiles. Every answer
// must be the same, bytes and status, errors included.

const KiB = 1_024;

const CREATE = `mutation JitCreateAppointment($input: CreateAppointmentInput!) {
  createAppointment(input: $input) { id }
}`;

const AGENDA = `query JitAgenda($u: ID!, $d: Date!) {
  agenda(userId: $u, date: $d) {
    id date user { id name plan }
    appointments { id clientName status startsAt endsAt service { id name priceCents active } }
  }
}`;

/** hotpath_memory_<metric>{structure="jit"} from /metrics (0 when absent). */
async function jitMetric(app: TestApp, metric: string): Promise<number> {
  const scrape = await app.request('/metrics', {
    headers: { authorization: `Bearer ${OPS_TOKEN}` },
  });
  const line = (await scrape.text())
    .split('\n')
    .find((l) => l.startsWith(`hotpath_memory_${metric}{structure="jit"}`));
  return line ? Number(line.split(' ').pop()) : 0;
}

describe('graphql-jit answers as the interpreter does', () => {
  let compiled: TestApp;
  let interpreted: TestApp;
  let key: string;
  let userId: string;

  beforeAll(async () => {
    compiled = await buildTestApp('sqlite', { cache: { bounds: jitBounds(1) } });
    interpreted = await buildTestApp('sqlite', {
      db: compiled.db,
      cache: { bounds: jitBounds(0) },
    });
    const created = await compiled.createTenant('Jit', 'America/Sao_Paulo');
    key = created.key;
    userId = (await compiled.createUser(created.tenant.id, 'Lia')).id;
    const service = await compiled.execute(
      CREATE_SERVICE,
      { i: { userId, name: 'Cut', durationMinutes: 30, priceCents: 4000 } },
      key,
    );
    for (const [hour, clientName] of [
      [13, 'Ana'],
      [15, 'Bia'],
    ] as const) {
      const booked = await compiled.execute(
        CREATE,
        {
          input: {
            userId,
            serviceId: service.data.createService.id,
            clientName,
            startsAt: `2026-03-10T${hour}:00:00.000Z`,
          },
        },
        key,
      );
      expect(booked.body.errors).toBeUndefined();
    }
  });
  afterAll(async () => {
    await interpreted.close();
    await compiled.close();
  });

  /** Runs the same request on both apps, twice each: bodies and statuses equal every time. */
  async function same(query: string, variables: Record<string, unknown>, as = key) {
    const answers = [];
    for (let run = 0; run < 2; run++) {
      const a = await compiled.execute(query, variables, as);
      const b = await interpreted.execute(query, variables, as);
      expect({ status: a.status, body: a.body }).toEqual({ status: b.status, body: b.body });
      answers.push(a);
    }
    return answers[1];
  }

  it('compiles: data, nulls and nested lists', async () => {
    const before = await jitMetric(compiled, 'bytes');
    const answer = await same(AGENDA, { u: userId, d: '2026-03-10' });
    expect(
      answer.data.agenda.appointments.map((a: { clientName: string }) => a.clientName),
    ).toEqual(['Ana', 'Bia']);
    expect(await jitMetric(compiled, 'bytes')).toBeGreaterThan(before);
    expect(await jitMetric(interpreted, 'bytes')).toBe(0);
    await same(AGENDA, { u: userId, d: '2026-03-11' }); // an empty day
  });

  it('variables that do not coerce: the same 400, message and code', async () => {
    const badDate = await same(AGENDA, { u: userId, d: '2026-02-30' });
    expect(badDate.status).toBe(400);
    const badPlan = await same(
      'mutation JitUser($i: CreateUserInput!) { createUser(input: $i) { id } }',
      { i: { tenantId: 'x', name: 'A', plan: 'GOLD' } },
      OPS_TOKEN,
    );
    expect(badPlan.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(badPlan.body.errors?.[0]?.message).toContain('i.plan');
  });

  it("a resolver's coded error keeps its code, path and locations", async () => {
    const forbidden = await same(
      'mutation JitPlan($t: ID!) { setTenantPlan(tenantId: $t, plan: { maximumAvailable: 10 }) { tenantId } }',
      { t: userId },
    );
    expect(forbidden.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const missing = await same('query JitUser($u: ID!) { user(id: $u) { id name } }', {
      u: '00000000-0000-4000-8000-000000000000',
    });
    expect(missing.body.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect(missing.body.errors?.[0]).toHaveProperty('path', ['user']);
    expect(missing.body.errors?.[0]).toHaveProperty('locations');
  });

  it('an operation name the document does not have, or none of its own: the same answer', async () => {
    for (const operationName of ['Other', '', null]) {
      const bodies = [];
      for (const app of [compiled, compiled, interpreted]) {
        const response = await app.request('/graphql', {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
          body: JSON.stringify({
            query: AGENDA,
            variables: { u: userId, d: '2026-03-10' },
            operationName,
          }),
        });
        bodies.push({ status: response.status, body: await response.json() });
      }
      expect(bodies[0]).toEqual(bodies[2]);
      expect(bodies[1]).toEqual(bodies[2]);
    }
  });

  it('a mutation is never compiled', async () => {
    const before = await jitMetric(compiled, 'bytes');
    for (let run = 0; run < 3; run++)
      await compiled.execute(
        'mutation JitTenant($n: String!) { createTenant(name: $n) { name } }',
        { n: `T${run}` },
        OPS_TOKEN,
      );
    expect(await jitMetric(compiled, 'bytes')).toBe(before);
  });
});

describe('a compiled query and the execution deadline', () => {
  it('ends at LIMIT_EXECUTION_MS with the coded error the interpreter gives', async () => {
    const app = await buildTestApp('postgres', {
      limits: { executionMs: 300 },
      cache: { bounds: jitBounds(1) },
    });
    try {
      const { tenant, key } = await app.createTenant();
      await app.createUser(tenant.id);
      // Compiled at its first run: the report, then the same report behind the lock.
      expect((await app.execute(SALES_REPORT, {}, key)).body.errors).toBeUndefined();
      expect(await jitMetric(app, 'bytes')).toBeGreaterThan(0);
      await expectDeadlineEndsReport(app, key, 300);
    } finally {
      await app.close();
    }
  });
});

describe('what graphql-jit keeps (JIT_AFTER_RUNS, JIT_MAX_BYTES)', () => {
  it('compiles a document at its second run, never one sent once, within its bytes', async () => {
    const app = await buildTestApp('sqlite', {
      cache: { bounds: { ...jitBounds(2), jitBytes: 48 * KiB } },
    });
    try {
      const { tenant, key } = await app.createTenant('Jit bounds');
      const user = await app.createUser(tenant.id, 'Lia');
      // Each a document of its own (the alias): parsed and kept once, run once.
      for (let i = 0; i < 5; i++)
        await app.execute(`query { u${i}: user(id: "${user.id}") { id } }`, {}, key);
      expect(await jitMetric(app, 'bytes')).toBe(0);
      // The same texts again: their second run compiles them, 48 KiB keeps some of them.
      for (let round = 0; round < 2; round++)
        for (let i = 0; i < 5; i++)
          await app.execute(`query { u${i}: user(id: "${user.id}") { id } }`, {}, key);
      const bytes = await jitMetric(app, 'bytes');
      expect(bytes).toBeGreaterThan(0);
      expect(bytes).toBeLessThanOrEqual(48 * KiB);
      expect(await jitMetric(app, 'evictions_total')).toBeGreaterThan(0);
      // A document too large for the whole budget is never compiled, and says so.
      const wide = `query { ${Array.from({ length: 25 }, (_, i) => `a${i}: user(id: "${user.id}") { id name plan }`).join(' ')} }`;
      for (let run = 0; run < 2; run++) {
        const answer = await app.execute(wide, {}, key);
        expect(answer.body.errors).toBeUndefined();
      }
      expect(await jitMetric(app, 'refusals_total')).toBe(1);
    } finally {
      await app.close();
    }
  });
});

describe('useJit on its own: it runs only what it compiled', () => {
  const schemaAnswering = (answer: string) =>
    new GraphQLSchema({
      query: new GraphQLObjectType({
        name: 'Query',
        fields: { hello: { type: GraphQLString, resolve: () => answer } },
      }),
    });
  const a = schemaAnswering('a');
  const b = schemaAnswering('b');
  // Set before a request: what the plugins around useJit do to its arguments.
  let schemaBefore: GraphQLSchema | null = null;
  let documentAfter: DocumentNode | null = null;
  const before: Plugin = {
    onExecute({ args }) {
      if (schemaBefore) (args as { schema: GraphQLSchema }).schema = schemaBefore;
    },
  };
  const after: Plugin = {
    onExecute({ args }) {
      if (documentAfter) (args as { document: DocumentNode }).document = documentAfter;
    },
  };
  const budget = new ByteBudget('jit', 1_048_576);
  const yoga = createYoga({
    schema: a,
    plugins: [before, useJit({ afterRuns: 1, maxBytes: 1_048_576, budget }), after],
  });
  const ask = async (query: string) => {
    const response = await yoga.fetch('http://yoga/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query }),
    });
    return response.json();
  };

  it('another schema, or a document rewritten after it: the interpreter', async () => {
    expect(await ask('{ hello }')).toEqual({ data: { hello: 'a' } });
    expect(budget.bytes).toBeGreaterThan(0); // compiled against a
    schemaBefore = b;
    expect(await ask('{ hello }')).toEqual({ data: { hello: 'b' } });
    schemaBefore = null;
    documentAfter = parse('{ hello again: hello }');
    expect(await ask('{ hello }')).toEqual({ data: { hello: 'a', again: 'a' } });
  });
});

describe('what a compiled query is counted for', () => {
  const schema = new GraphQLSchema({
    query: new GraphQLObjectType({
      name: 'Query',
      fields: { hello: { type: GraphQLString, resolve: () => 'hi' } },
    }),
  });
  // Five fields written once, spread twice: ten fields of code (13 selections) for few tokens.
  const spread =
    'fragment F on Query { a: hello b: hello c: hello d: hello e: hello } ' +
    'query { ...F ... on Query { ...F } }';

  it('counts the selections once fragments are spread, up to where it stops', () => {
    // Ten fields, two spreads and an inline fragment.
    expect(spreadFields(parse(spread), Number.POSITIVE_INFINITY)).toBe(13);
    expect(spreadFields(parse(spread), 3)).toBe(4);
    // Spreads that double at each of 30 levels: 2^31 selections, walked only up to the bound.
    const levels = Array.from(
      { length: 30 },
      (_, i) => `fragment L${i} on Query { ...L${i + 1} ... on Query { ...L${i + 1} } }`,
    );
    const doubling = parse(`${levels.join(' ')} fragment L30 on Query { hello } query { ...L0 }`);
    expect(spreadFields(doubling, 8_192)).toBe(8_193);
  });

  it('refuses a document whose spread fields pass the bound, not counting its tokens', async () => {
    const kept = documentBytes(spread, parse(spread));
    for (const [fields, compiles] of [
      [12, false],
      [13, true],
    ] as const) {
      const budget = new ByteBudget('jit', 0);
      const maxBytes = kept + JIT_FIXED_BYTES + fields * JIT_BYTES_PER_FIELD;
      const yoga = createYoga({ schema, plugins: [useJit({ afterRuns: 1, maxBytes, budget })] });
      const response = await yoga.fetch('http://yoga/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: spread }),
      });
      expect(((await response.json()) as { data: { a: string } }).data.a).toBe('hi');
      expect({ bytes: budget.bytes, refusals: budget.refusals }).toEqual(
        compiles ? { bytes: maxBytes, refusals: 0 } : { bytes: 0, refusals: 1 },
      );
    }
  });
});

/** Bounds with graphql-jit at the given run (0: off). */
function jitBounds(afterRuns: number) {
  return { jitAfterRuns: afterRuns, jitBytes: afterRuns === 0 ? 0 : 8 * 1_048_576 };
}

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUDGET_DEFAULTS } from '../../src/budget/budgets.js';
import { FIELD_WEIGHTS } from '../../src/schema/builder.js';
import { graphql } from '../gql/index.js';
import { buildTestApp, type TestApp } from '../support/app.js';

/**
 * Fields weighted by their database work (issue 17: analytics was under-priced, the cost rule
 * counting fields only). The requested cost is read where clients read it, extensions.cost.
 */

// Two fields each: the root field and one scalar under it.
const AGENDA = graphql(`
  query WeightAgenda($u: ID!, $d: Date!) { agenda(userId: $u, date: $d) { date } }
`);
const REPORT = graphql(`
  query WeightReport {
    analytics(input: { metrics: [REVENUE], dateRange: { start: "2026-01-01", end: "2026-01-31" } }) {
      computedAt
    }
  }
`);
// Aliased: the weight follows the field, not its name in the answer.
const ALIASED = graphql(`
  query WeightAliased {
    r: analytics(input: { metrics: [REVENUE], dateRange: { start: "2026-02-01", end: "2026-02-28" } }) {
      computedAt
    }
  }
`);
const STATS = graphql(`
  query WeightStats { megaStats { computedAt } }
`);

interface WithCost {
  extensions?: { cost?: { requestedQueryCost: number; actualQueryCost: number | null } };
}

describe('the cost rule weighs database work', () => {
  let app: TestApp;
  beforeAll(async () => {
    // Budgets on explicitly: extensions.cost reports the requested cost.
    app = await buildTestApp('sqlite', { cache: { backend: 'MEMORY' }, budget: BUDGET_DEFAULTS });
  });
  afterAll(() => app.close());

  async function requested(answer: Awaited<ReturnType<TestApp['execute']>>) {
    expect(answer.body.errors).toBeUndefined();
    return (answer.body as WithCost).extensions?.cost?.requestedQueryCost as number;
  }

  it('asks more for an analytics report, and megaStats, than for an agenda of the same size', async () => {
    const { tenant } = await app.defaultTenant();
    const provider = await app.createUser(tenant.id);
    const agenda = await requested(await app.execute(AGENDA, { u: provider.id, d: '2026-11-22' }));
    const report = await requested(await app.execute(REPORT));
    const stats = await requested(await app.execute(STATS));
    expect(agenda).toBe(2);
    expect(report).toBeGreaterThan(agenda);
    expect(report).toBe(FIELD_WEIGHTS.analytics + 1);
    expect(stats).toBe(FIELD_WEIGHTS.megaStats + 1);
  });

  it('charges the weight of a field that ran: settlement refunds no database work', async () => {
    const actual = (answer: Awaited<ReturnType<TestApp['execute']>>) => {
      expect(answer.body.errors).toBeUndefined();
      expect(answer.headers.get('x-cache')).toBe('MISS');
      return (answer.body as WithCost).extensions?.cost?.actualQueryCost;
    };
    const { key } = await app.createTenant();
    expect(actual(await app.execute(REPORT, {}, key))).toBe(FIELD_WEIGHTS.analytics + 1);
    expect(actual(await app.execute(ALIASED, {}, key))).toBe(FIELD_WEIGHTS.analytics + 1);
    expect(actual(await app.execute(STATS, {}, key))).toBe(FIELD_WEIGHTS.megaStats + 1);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUDGET_DEFAULTS } from '../../src/budget/budgets.js';
import { TenantPlan } from '../../src/db/entities/tenant-plan.entity.js';
import { graphql } from '../gql/index.js';
import { buildTestApp, dialects, OPS_TOKEN, type TestApp } from '../support/app.js';
import { waitUntil } from '../support/wait.js';

/**
 * Plans (issue 17): operators set a tenant's budget and bulkhead with a mutation; it is stored
 * in tenant_plans (a migration on both dialects) and in force on every instance within 1 s.
 */

const SET_PLAN = graphql(`
  mutation PlansSet($t: ID!, $p: TenantPlanInput!) {
    setTenantPlan(tenantId: $t, plan: $p) {
      tenantId maximumAvailable restoreRate maxConcurrentMisses
    }
  }
`);
/** An ordinary read: what its answer's extensions.cost shows is the tenant's plan. */
const QUERY = graphql(`
  query PlansMe($u: ID!) { user(id: $u) { id name } }
`);
const READ_PLAN = graphql(`
  query PlansRead($t: ID!) { tenantPlan(tenantId: $t) { maximumAvailable restoreRate } }
`);
const BUDGETS = graphql(`
  query PlansBudgets { cacheStats { budgets { tenant pointsUsed throttled queuedSeconds } } }
`);

describe.each(dialects)('plans on %s', (dialect) => {
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    const budget = { ...BUDGET_DEFAULTS, planPollMs: 200 };
    // Two instances on one database, each with its own buckets (memory).
    a = await buildTestApp(dialect, { cache: { backend: 'MEMORY' }, budget });
    b = await buildTestApp(dialect, { cache: { backend: 'MEMORY' }, budget, db: a.db });
  });
  afterAll(async () => {
    await b.close();
    await a.close();
  });

  const maxOn = async (app: TestApp, key: string, userId: string) => {
    const answer = await app.execute(QUERY, { u: userId }, key);
    const body = answer.body as {
      extensions?: { cost?: { throttleStatus: { maximumAvailable: number } } };
    };
    return body.extensions?.cost?.throttleStatus.maximumAvailable;
  };

  it('is set by operators, stored, in force here at once and on the other instance within 1 s', async () => {
    const { tenant, key } = await a.createTenant();
    const user = await a.createUser(tenant.id);
    expect(await maxOn(b, key, user.id)).toBe(BUDGET_DEFAULTS.maximumAvailable);
    const set = await a.execute(
      SET_PLAN,
      { t: tenant.id, p: { maximumAvailable: 777, restoreRate: 7, maxConcurrentMisses: 2 } },
      OPS_TOKEN,
    );
    expect(set.data.setTenantPlan).toEqual({
      tenantId: tenant.id,
      maximumAvailable: 777,
      restoreRate: 7,
      maxConcurrentMisses: 2,
    });
    const row = await a.db.getRepository(TenantPlan).findOneByOrFail({ tenantId: tenant.id });
    expect(row).toMatchObject({ maximumAvailable: 777, restoreRate: 7, maxConcurrentMisses: 2 });
    expect(await maxOn(a, key, user.id)).toBe(777);
    const took = await waitUntil(async () => (await maxOn(b, key, user.id)) === 777, 1_000);
    expect(took).toBeLessThan(1_000);
    expect(b.app.budgets?.maxConcurrentOf(tenant.id)).toBe(2);
    // Back to the defaults: null fields.
    await a.execute(SET_PLAN, { t: tenant.id, p: { maximumAvailable: null } }, OPS_TOKEN);
    await waitUntil(
      async () => (await maxOn(b, key, user.id)) === BUDGET_DEFAULTS.maximumAvailable,
      1_000,
    );
    const read = await b.execute(READ_PLAN, { t: tenant.id }, OPS_TOKEN);
    expect(read.data.tenantPlan).toEqual({ maximumAvailable: null, restoreRate: null });
  });

  it('is for operators only, checks its input, and knows only existing tenants', async () => {
    const { tenant, key } = await a.createTenant();
    const asTenant = await a.execute(SET_PLAN, { t: tenant.id, p: { restoreRate: 1 } }, key);
    expect(asTenant.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const bad = await a.execute(SET_PLAN, { t: tenant.id, p: { restoreRate: 0 } }, OPS_TOKEN);
    expect(bad.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const missing = await a.execute(
      SET_PLAN,
      { t: '00000000-0000-0000-0000-000000000000', p: { restoreRate: 1 } },
      OPS_TOKEN,
    );
    expect(missing.body.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });

  it('shows each tenant in cacheStats.budgets', async () => {
    const { tenant, key } = await a.createTenant();
    const user = await a.createUser(tenant.id);
    await a.execute(QUERY, { u: user.id }, key);
    const stats = await a.execute(BUDGETS, {}, OPS_TOKEN);
    const mine = stats.data.cacheStats.budgets.find((s) => s.tenant === tenant.id);
    expect(mine).toMatchObject({ throttled: 0, queuedSeconds: 0 });
    expect(mine?.pointsUsed).toBeGreaterThan(0);
  });
});

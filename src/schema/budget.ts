import type { TenantBudgetStats } from '../budget/budgets.js';
import type { TenantPlan } from '../db/entities/tenant-plan.entity.js';
import { builder, listBound } from './builder.js';
import { CacheStatsRef } from './cache.js';

/** Cost budgets (issue 17): tenants' plans, and what each tenant spent, for operators. */

const TenantPlanRef = builder.objectRef<TenantPlan>('TenantPlan').implement({
  description:
    "A tenant's budget and bulkhead, set by operators. A null field takes the default " +
    '(BUDGET_MAX_POINTS, BUDGET_RESTORE_RATE, TENANT_MAX_CONCURRENT_MISSES).',
  fields: (t) => ({
    tenantId: t.exposeID('tenantId'),
    maximumAvailable: t.exposeInt('maximumAvailable', {
      nullable: true,
      description:
        "The bucket of cost points each of the tenant's API keys has: what one key may spend at once.",
    }),
    restoreRate: t.exposeInt('restoreRate', {
      nullable: true,
      description: "Cost points restored per second, to each key's bucket.",
    }),
    maxConcurrentMisses: t.exposeInt('maxConcurrentMisses', {
      nullable: true,
      description: "The tenant's executions running at once.",
    }),
  }),
});

const TenantBudgetStatsRef = builder.objectRef<TenantBudgetStats>('TenantBudgetStats').implement({
  description:
    'One tenant in this process since it started; past BUDGET_METRIC_TENANTS tenants, the ' +
    "rest are summed under tenant 'other'.",
  fields: (t) => ({
    tenant: t.exposeString('tenant', { description: "A tenant id, or 'other'." }),
    pointsUsed: t.exposeFloat('pointsUsed', {
      description: 'Cost points spent: the actual cost of misses, COST_HIT per hit.',
    }),
    throttled: t.exposeInt('throttled', { description: 'Requests refused with THROTTLED.' }),
    queuedSeconds: t.exposeFloat('queuedSeconds', {
      description: 'Time its executions waited for a bulkhead slot.',
    }),
  }),
});

builder.objectField(CacheStatsRef, 'budgets', (t) =>
  t.field({
    type: [TenantBudgetStatsRef],
    complexity: listBound(50),
    description: 'Cost budgets per tenant (empty when BUDGETS_ENABLED=false).',
    resolve: (s) => s.budgets,
  }),
);

builder.queryFields((t) => ({
  tenantPlan: t.field({
    type: TenantPlanRef,
    nullable: true,
    description: "Operators only: a tenant's plan; null when it has the defaults.",
    args: { tenantId: t.arg.id({ required: true }) },
    resolve: (_, args, ctx) => ctx.services.plans.tenantPlan(ctx.viewer, String(args.tenantId)),
  }),
}));

const TenantPlanInput = builder.inputType('TenantPlanInput', {
  fields: (t) => ({
    maximumAvailable: t.int({ description: 'Null: BUDGET_MAX_POINTS.' }),
    restoreRate: t.int({ description: 'Points per second. Null: BUDGET_RESTORE_RATE.' }),
    maxConcurrentMisses: t.int({ description: 'Null: TENANT_MAX_CONCURRENT_MISSES.' }),
  }),
});

builder.mutationFields((t) => ({
  setTenantPlan: t.field({
    type: TenantPlanRef,
    description:
      "Operators only: a tenant's budget and bulkhead. In force on every instance within 1 s " +
      '(BUDGET_PLAN_POLL_MS).',
    args: {
      tenantId: t.arg.id({ required: true }),
      plan: t.arg({ type: TenantPlanInput, required: true }),
    },
    resolve: (_, args, ctx) =>
      ctx.services.plans.setTenantPlan(ctx.viewer, {
        tenantId: String(args.tenantId),
        ...args.plan,
      }),
  }),
}));

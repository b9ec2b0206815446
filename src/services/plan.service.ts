import { z } from 'zod';
import type { Viewer } from '../auth/viewer.js';
import { inTransaction } from '../db/data-source.js';
import { Tenant } from '../db/entities/tenant.entity.js';
import { TenantPlan } from '../db/entities/tenant-plan.entity.js';
import { notFound } from '../errors/errors.js';
import { id, parseInput } from '../validation.js';
import { requireOperator } from './access.js';
import type { ServiceDeps } from './deps.js';

/** What the budgets must hear of at once, before the mutation answers. */
export interface PlanEvents {
  changed(plan: TenantPlan): void;
}

const points = z.number().int().min(1).max(1_000_000_000).nullish();
const setPlanInput = z.object({
  tenantId: id,
  maximumAvailable: points,
  restoreRate: points,
  maxConcurrentMisses: z.number().int().min(1).max(10_000).nullish(),
});

export type SetPlanArgs = z.input<typeof setPlanInput>;

/** Tenants' plans (issue 17): their budget and bulkhead, set by operators. */
export class PlanService {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly events: PlanEvents = { changed() {} },
  ) {}

  /**
   * Sets a tenant's plan (a null or absent field: the default). In force on this instance
   * before it answers, on the others within BUDGET_PLAN_POLL_MS.
   */
  async setTenantPlan(viewer: Viewer, args: SetPlanArgs): Promise<TenantPlan> {
    requireOperator(viewer);
    const input = parseInput(setPlanInput, args, '');
    const plan = await inTransaction(this.deps.db, async (manager) => {
      if (!(await manager.getRepository(Tenant).existsBy({ id: input.tenantId }))) {
        throw notFound('Tenant', input.tenantId);
      }
      const plans = manager.getRepository(TenantPlan);
      const last = await plans
        .createQueryBuilder('p')
        .select('MAX(p.version)', 'max')
        .getRawOne<{ max: string | number | null }>();
      return plans.save({
        tenantId: input.tenantId,
        maximumAvailable: input.maximumAvailable ?? null,
        restoreRate: input.restoreRate ?? null,
        maxConcurrentMisses: input.maxConcurrentMisses ?? null,
        version: Number(last?.max ?? 0) + 1,
      });
    });
    this.events.changed(plan);
    return plan;
  }

  async tenantPlan(viewer: Viewer, tenantId: string): Promise<TenantPlan | null> {
    requireOperator(viewer);
    return this.deps.db.getRepository(TenantPlan).findOneBy({ tenantId });
  }
}

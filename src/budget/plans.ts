import type { Logger } from 'pino';
import { type DataSource, MoreThanOrEqual } from 'typeorm';
import { TenantPlan } from '../db/entities/tenant-plan.entity.js';
import type { TenantPlan as PlanShape } from './budgets.js';

export interface PlanBookOptions {
  db: DataSource;
  /** How often the table is read for plans written elsewhere (BUDGET_PLAN_POLL_MS). */
  pollMs: number;
  logger: Logger;
}

/**
 * The plans in force in this process (issue 17): all of them read at start, then, every
 * `pollMs`, the rows at or above the highest version seen (a row written with the same version
 * by a concurrent writer is still read; reading one twice changes nothing). A plan set through
 * this instance applies at once; through another, within `pollMs`. One entry per tenant with a
 * plan: tenants are made by operators, not by clients.
 */
export function createPlanBook(options: PlanBookOptions) {
  const plans = new Map<string, PlanShape>();
  let seen = 0;
  let timer: NodeJS.Timeout | undefined;
  let polling: Promise<void> | null = null;

  function apply(row: TenantPlan) {
    plans.set(row.tenantId, {
      maximumAvailable: row.maximumAvailable,
      restoreRate: row.restoreRate,
      maxConcurrentMisses: row.maxConcurrentMisses,
    });
    if (row.version > seen) seen = row.version;
  }

  async function poll() {
    const rows = await options.db
      .getRepository(TenantPlan)
      .find({ where: { version: MoreThanOrEqual(seen) }, order: { version: 'ASC' } });
    for (const row of rows) apply(row);
  }

  const pollSafely = () => {
    polling ??= poll()
      .catch((err) => options.logger.warn({ err }, 'reading tenant plans failed'))
      .finally(() => {
        polling = null;
      });
    return polling;
  };

  return {
    get: (tenantId: string): PlanShape | undefined => plans.get(tenantId),
    /** A plan this instance just wrote: in force here before the mutation answers. */
    apply,
    size: () => plans.size,
    async start() {
      await pollSafely();
      timer = setInterval(pollSafely, options.pollMs);
      timer.unref();
    },
    async close() {
      if (timer) clearInterval(timer);
      await polling;
    },
  };
}

export type PlanBook = ReturnType<typeof createPlanBook>;

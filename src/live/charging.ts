import type { TenantViewer, Viewer } from '../auth/viewer.js';
import type { LiveBudget, LiveCharge, LiveCost } from './budget.js';
import type { LiveResult } from './execute.js';
import type { Group, Stream } from './group.js';
import type { LiveParams } from './request.js';

/** One stream's share of an execution, taken before it ran. */
export interface Paid {
  payer: TenantViewer;
  share: number;
  charge: LiveCharge;
}

/**
 * What live queries pay, applied to groups and streams (the rules: src/live/budget.ts and the
 * README's Budgets, "Live queries"). The hub asks this module what each thing costs and who
 * pays; it never reads the budget itself. With no budget (budgets off) nobody pays anything and
 * nothing is awaited.
 *
 * @param onThrottled ends a stream whose key could not pay its share of a run (THROTTLED).
 */
export function createLiveCharging(
  budget: LiveBudget | null,
  onThrottled: (stream: Stream, retryAfter: number) => void,
) {
  /**
   * Before an execution: each stream that will receive it pays its share of the requested
   * cost; those whose key can't are throttled. Resolves with what was taken.
   */
  async function admitRun(group: Group): Promise<Paid[]> {
    const cost = group.cost;
    if (!budget || !cost) return [];
    const payers: { stream: Stream; payer: TenantViewer }[] = [];
    for (const stream of group.streams) {
      if (stream.payer) payers.push({ stream, payer: stream.payer });
    }
    if (payers.length === 0) return [];
    const share = Math.max(1, Math.ceil(cost.requested / payers.length));
    const charges = await Promise.all(payers.map(({ payer }) => budget.admit(payer, share)));
    const paid: Paid[] = [];
    payers.forEach(({ stream, payer }, i) => {
      const charge = charges[i] as LiveCharge;
      if (charge.allowed) paid.push({ payer, share, charge });
      else if (group.streams.has(stream)) onThrottled(stream, charge.retryAfter);
    });
    return paid;
  }

  /**
   * After it: each share settled to the actual cost split the same way (COST_HIT each when
   * the response cache answered), the rest refunded; nothing ran: all of it back.
   */
  function settleRun(group: Group, paid: Paid[], result: LiveResult | null) {
    if (!budget || !group.cost || paid.length === 0) return;
    let actual = 0;
    if (result && (result.xCache === 'HIT' || result.xCache === 'STALE')) {
      actual = budget.hitCost;
    } else if (result) {
      actual = Math.ceil(group.cost.actual(result.body) / paid.length);
    }
    for (const { payer, share, charge } of paid) {
      budget.settle(payer, share, Math.min(share, actual), charge);
    }
  }

  /**
   * What joining `existing` costs `payer`: null when it is free (no budget, nobody pays, hits
   * are free, or the stream starts the group, whose first execution admitRun charges).
   * Joining a group with a result (or one being computed) is served a copy: COST_HIT, as a
   * cache hit, taken and settled at once. Rejects when the budget does.
   */
  function payToJoin(
    payer: TenantViewer | null,
    existing: Group | undefined,
  ): Promise<LiveCharge> | null {
    if (!budget || !payer || budget.hitCost === 0 || !(existing?.event || existing?.running)) {
      return null;
    }
    const hitCost = budget.hitCost;
    return budget.admit(payer, hitCost).then((charge) => {
      if (charge.allowed) budget.settle(payer, hitCost, hitCost, charge);
      return charge;
    });
  }

  return {
    /** Whether anybody pays: without budgets a run awaits nothing before it executes. */
    on: budget !== null,
    /** The API key that pays for a stream opened by `viewer`; null: nobody (an operator). */
    payerOf: (viewer: Viewer): TenantViewer | null =>
      budget && viewer.kind === 'tenant' ? viewer : null,
    /** A new group's cost, counted once; null when budgets are off. */
    costOf: (params: LiveParams): LiveCost | null => (budget ? budget.costOf(params) : null),
    admitRun,
    settleRun,
    payToJoin,
  };
}

export type LiveCharging = ReturnType<typeof createLiveCharging>;

import type { TenantViewer } from '../auth/viewer.js';
import type { LiveParams } from './request.js';

/** A charge as the live hub needs it (src/budget/budgets.ts's Charge, seen through a port). */
export interface LiveCharge {
  allowed: boolean;
  /** What was taken. */
  charged: number;
  /** Seconds until the refused cost is available again (0 when allowed). */
  retryAfter: number;
}

/**
 * What live queries pay (issue 17; README: Budgets, "Live queries"), through a port: the live
 * hub never imports the budgets nor the schema, app.ts hands it this. src/live/charging.ts
 * applies it to groups and streams:
 *
 * - Joining a group that already has (or is computing) a result costs COST_HIT: the stream is
 *   served a copy, as a cache hit is.
 * - Each execution of a group (its first, and each re-execution on a change, a TTL or a poll)
 *   costs its requested cost, split evenly between the streams that will receive it (each
 *   stream's API key pays `ceil(requested / streams)`, at least 1), taken before it runs;
 *   after it, each is settled to its share of the actual cost (COST_HIT each when the
 *   response cache answered it), the rest refunded.
 * - A stream whose key can't pay its share gets an error event THROTTLED with the seconds to
 *   wait, then `complete` (429 and Retry-After when nothing was sent yet): never a hang.
 */
/** What one live operation costs: asked for each execution, and what a result actually cost. */
export interface LiveCost {
  /** Counted by the cost rule (weights included). */
  requested: number;
  /** A result's JSON counted as Yoga's path counts it (never above `requested`). */
  actual(body: string): number;
}

export interface LiveBudget {
  /** The cost of a live operation, counted once per group. */
  costOf(params: LiveParams): LiveCost;
  /** Takes `cost` points from the key's bucket when it has them. */
  admit(payer: TenantViewer, cost: number): Promise<LiveCharge>;
  /** After the execution: gives back what `admitted` took beyond `actual`. */
  settle(payer: TenantViewer, requested: number, actual: number, admitted: LiveCharge): void;
  /** What a hit costs (COST_HIT). */
  readonly hitCost: number;
}

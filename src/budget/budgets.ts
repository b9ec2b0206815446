import { Counter, Gauge, type Registry } from 'prom-client';
import type { RedisClient } from '../cache/store/redis/client.js';
import {
  type BucketBackend,
  bucketIdOf,
  createMemoryBuckets,
  createRedisBuckets,
  type Payer,
  type Plan,
  refilled,
  type ThrottleStatus,
} from './bucket.js';

/** The budgets' settings (BUDGET_* variables, README: Budgets). */
export interface BudgetConfig {
  /** The default plan: bucket size and points restored per second. */
  maximumAvailable: number;
  restoreRate: number;
  /** What a cache hit costs (COST_HIT); a 304 costs nothing. */
  hitCost: number;
  /** This process's share of a plan while Redis is away (BUDGET_FALLBACK_SHARE, 0..1]. */
  fallbackShare: number;
  /**
   * Buckets (API keys) whose views, and without Redis whose buckets, this process keeps
   * (BUDGET_MAX_TENANTS, named before budgets were per key).
   */
  maxTenants: number;
  /** Tenants named in metric labels; the others count as `other` (BUDGET_METRIC_TENANTS). */
  metricTenants: number;
  /** Misses of one tenant executing at once (TENANT_MAX_CONCURRENT_MISSES). */
  maxConcurrentMisses: number;
  /** Misses of one tenant waiting for a slot (TENANT_MISS_QUEUE). */
  missQueue: number;
  /** How long one waits at most (TENANT_MISS_QUEUE_MS). */
  missQueueMs: number;
  /** How often each instance reads the plans table (BUDGET_PLAN_POLL_MS, at most 1 s). */
  planPollMs: number;
}

/** How long a hit's charge may wait to be sent with others (a bucket sees it that much later). */
const HIT_FLUSH_MS = 20;

export const BUDGET_DEFAULTS: BudgetConfig = {
  maximumAvailable: 10_000,
  restoreRate: 500,
  hitCost: 1,
  fallbackShare: 0.5,
  maxTenants: 10_000,
  metricTenants: 50,
  maxConcurrentMisses: 4,
  missQueue: 16,
  missQueueMs: 2_000,
  planPollMs: 250,
};

/** A tenant's plan as operators set it; what is absent takes the default. */
export interface TenantPlan {
  maximumAvailable?: number | null;
  restoreRate?: number | null;
  maxConcurrentMisses?: number | null;
}

/** A charge's outcome, in the words of extensions.cost. */
export interface Charge {
  allowed: boolean;
  /** What was taken: the cost, or the whole bucket for a request dearer than it. */
  charged: number;
  status: ThrottleStatus;
  /** Seconds until the refused cost is available again (0 when allowed). */
  retryAfter: number;
}

export interface BudgetsOptions {
  config: BudgetConfig;
  /** The cache's Redis client; null: buckets live in this process. */
  redis: RedisClient | null;
  prefix: string;
  registry: Registry;
  /** Operators' plans per tenant (src/budget/plans.ts); none: the defaults. */
  planOf?: (tenantId: string) => TenantPlan | undefined;
  onError?: (err: unknown) => void;
}

interface View {
  available: number;
  at: number;
}

/**
 * The budgets of DESIGN §15: one leaky bucket of cost points per API key, of the size and rate
 * its tenant's plan sets (keys are minted by operators only, so a tenant can't buy budget by
 * minting keys), in Redis when there is one, else in the process. Metrics and stats stay per
 * tenant (the sum over its keys), and so does the bulkhead. While Redis fails, each process keeps its own buckets with `fallbackShare` of the
 * plan: never unlimited, never an error. Each process also keeps a view of every bucket it
 * charged (what the last charge left, refilled since): a hit is answered from that view and
 * charged afterwards, so the bookkeeping never delays it.
 */
export function createBudgets(options: BudgetsOptions) {
  const { config } = options;
  const shared: BucketBackend | null = options.redis
    ? createRedisBuckets(options.redis, options.prefix)
    : null;
  const local = createMemoryBuckets(config.maxTenants);
  const views = new Map<string, View>();
  const metrics = createBudgetMetrics(options.registry, config.metricTenants);
  new Gauge({
    name: 'hotpath_budget_tenants',
    help: 'API keys whose bucket view (and, without Redis, bucket) this process keeps (bound: BUDGET_MAX_TENANTS).',
    registers: [options.registry],
    collect() {
      this.set(Math.max(views.size, local.size()));
    },
  });
  let fallbackActive = false;

  function planOf(tenantId: string): Plan {
    const plan = options.planOf?.(tenantId);
    return {
      maximumAvailable: plan?.maximumAvailable ?? config.maximumAvailable,
      restoreRate: plan?.restoreRate ?? config.restoreRate,
    };
  }

  const share = (plan: Plan): Plan => ({
    maximumAvailable: plan.maximumAvailable * config.fallbackShare,
    restoreRate: plan.restoreRate * config.fallbackShare,
  });

  function remember(id: string, available: number) {
    views.delete(id);
    views.set(id, { available, at: performance.now() });
    if (views.size > config.maxTenants) {
      const oldest = views.keys().next().value;
      if (oldest !== undefined) views.delete(oldest);
    }
  }

  const statusOf = (plan: Plan, available: number): ThrottleStatus => ({
    maximumAvailable: plan.maximumAvailable,
    currentlyAvailable: Math.floor(available),
    restoreRate: plan.restoreRate,
  });

  const retryAfterOf = (plan: Plan, cost: number, available: number) =>
    Math.max(1, Math.ceil((cost - available) / Math.max(plan.restoreRate, 0.001)));

  /** Takes `cost` points from the shared bucket, or this process's while Redis fails. */
  async function take(payer: Payer, cost: number, force: boolean): Promise<Charge> {
    let plan = planOf(payer.tenantId);
    // A request dearer than the whole bucket waits for a full one and takes all of it.
    let charged = Math.min(cost, plan.maximumAvailable);
    let taken: { allowed: boolean; available: number } | null = null;
    const redis = options.redis;
    if (shared && redis?.status === 'ready') {
      try {
        taken = await shared.take(payer, charged, plan, force);
        fallbackActive = false;
        // The next fallback starts from this bucket as seen now, not from an old local level.
        local.forget(payer);
      } catch (err) {
        options.onError?.(err);
      }
    }
    if (!taken) {
      // Redis away, or slow past REDIS_TIMEOUT (the charge may even have been applied): this
      // process's share of what the shared bucket last had, never a fresh bucket per timeout.
      // A bucket the fallback already holds carries on from its own level.
      const view = views.get(bucketIdOf(payer));
      const seen = view ? refilled(view, plan, performance.now()) : plan.maximumAvailable;
      if (shared) {
        fallbackActive = true;
        plan = share(plan);
      }
      charged = Math.min(cost, plan.maximumAvailable);
      taken = local.takeFrom(
        payer,
        charged,
        plan,
        force,
        seen * (shared ? config.fallbackShare : 1),
      );
    }
    metrics.fallback.set(fallbackActive ? 1 : 0);
    remember(bucketIdOf(payer), taken.available);
    return {
      allowed: taken.allowed,
      charged,
      status: statusOf(plan, taken.available),
      retryAfter: taken.allowed ? 0 : retryAfterOf(plan, charged, taken.available),
    };
  }

  // Hits are charged in batches: one script call per key every HIT_FLUSH_MS instead of one
  // per hit, so a hit's bookkeeping is a Map update (DESIGN §15: at most 2 µs a hit).
  const pendingHits = new Map<string, { payer: Payer; points: number }>();
  let flushTimer: NodeJS.Timeout | null = null;
  function flushHits() {
    if (flushTimer) clearTimeout(flushTimer);
    flushTimer = null;
    for (const { payer, points } of pendingHits.values()) {
      take(payer, points, true).catch(options.onError);
    }
    pendingHits.clear();
  }

  /** `cost` against this process's view of the bucket (no charge); a refusal is counted. */
  function viewCharge(payer: Payer, cost: number): Charge {
    const plan = fallbackActive ? share(planOf(payer.tenantId)) : planOf(payer.tenantId);
    const view = views.get(bucketIdOf(payer));
    const available = view ? refilled(view, plan, performance.now()) : plan.maximumAvailable;
    if (available < cost) {
      metrics.throttled(payer.tenantId);
      return {
        allowed: false,
        charged: 0,
        status: statusOf(plan, available),
        retryAfter: retryAfterOf(plan, cost, available),
      };
    }
    return {
      allowed: true,
      charged: cost,
      status: statusOf(plan, available - cost),
      retryAfter: 0,
    };
  }

  return {
    config,
    /** Charges the hits not yet sent (tests; a stopping process). */
    flush: flushHits,
    /** Before a miss executes: its requested cost, taken if available. */
    async admit(payer: Payer, requested: number): Promise<Charge> {
      const charge = await take(payer, requested, false);
      if (!charge.allowed) metrics.throttled(payer.tenantId);
      return charge;
    },
    /**
     * After it ran: what it was charged beyond its actual cost comes back. The refund is sent
     * in the background; the answer reports the bucket as it will be.
     */
    settle(payer: Payer, requested: number, actual: number, admitted: Charge): ThrottleStatus {
      const refund = Math.max(0, Math.min(requested, admitted.charged) - actual);
      metrics.points(payer.tenantId, Math.min(requested, actual));
      if (refund === 0) return admitted.status;
      take(payer, -refund, true).catch(options.onError);
      const { maximumAvailable } = admitted.status;
      return {
        ...admitted.status,
        currentlyAvailable: Math.floor(
          Math.min(maximumAvailable, admitted.status.currentlyAvailable + refund),
        ),
      };
    },
    /**
     * A hit, synchronously: refused when this process's view of the bucket has less than
     * COST_HIT, else the status after it. The caller answers, then calls charged().
     */
    hit: (payer: Payer): Charge => viewCharge(payer, config.hitCost),
    /**
     * A miss, before anything is parsed: refused when this process's view of the bucket has
     * less than 1 point, the least any execution costs. A flood that ignores Retry-After is
     * then refused before Yoga (issue 17: a 429 costs at most 100 µs); otherwise Yoga's
     * admission charges the requested cost.
     */
    emptyFor: (payer: Payer): Charge | null => {
      const charge = viewCharge(payer, 1);
      return charge.allowed ? null : charge;
    },
    /** Charges a hit already answered (in the background: nothing waits for it). */
    charged(payer: Payer): void {
      if (config.hitCost === 0) return;
      metrics.points(payer.tenantId, config.hitCost);
      // Seen here at once; sent to the bucket with the key's other hits of this moment.
      const id = bucketIdOf(payer);
      const view = views.get(id);
      if (view) view.available -= config.hitCost;
      const pending = pendingHits.get(id);
      if (pending) pending.points += config.hitCost;
      else
        pendingHits.set(id, {
          payer: { tenantId: payer.tenantId, keyId: payer.keyId },
          points: config.hitCost,
        });
      if (!flushTimer) flushTimer = setTimeout(flushHits, HIT_FLUSH_MS).unref();
    },
    /** Gives back what a request was charged but never ran (refused by the bulkhead). */
    refund(payer: Payer, points: number): void {
      take(payer, -points, true).catch(options.onError);
    },
    /** Seconds a request waited for a bulkhead slot. */
    queued(tenantId: string, seconds: number): void {
      metrics.queued(tenantId, seconds);
    },
    /** The bucket as this process last saw it, without charging. */
    peek(payer: Payer): ThrottleStatus {
      const plan = fallbackActive ? share(planOf(payer.tenantId)) : planOf(payer.tenantId);
      const view = views.get(bucketIdOf(payer));
      const available = view ? refilled(view, plan, performance.now()) : plan.maximumAvailable;
      return statusOf(plan, available);
    },
    /**
     * Per tenant (the labelled ones), summed over its keys: points used, throttled requests,
     * seconds queued.
     */
    tenants: () => metrics.snapshot(),
    fallbackActive: () => fallbackActive,
    /** The plan's bulkhead, or the default. */
    maxConcurrentOf: (tenantId: string) =>
      options.planOf?.(tenantId)?.maxConcurrentMisses ?? config.maxConcurrentMisses,
  };
}

export type Budgets = ReturnType<typeof createBudgets>;

export interface TenantBudgetStats {
  tenant: string;
  pointsUsed: number;
  throttled: number;
  queuedSeconds: number;
}

/**
 * The budgets' metrics, labelled by tenant. The label set is bounded: the first
 * `metricTenants` tenants seen get their own label, later ones count as `other`.
 */
function createBudgetMetrics(registry: Registry, metricTenants: number) {
  const points = new Counter({
    name: 'hotpath_budget_points_total',
    help: 'Cost points spent (actual cost of misses, COST_HIT per hit), per tenant.',
    labelNames: ['tenant'],
    registers: [registry],
  });
  const throttled = new Counter({
    name: 'hotpath_budget_throttled_total',
    help: 'Requests refused with 429 THROTTLED, per tenant.',
    labelNames: ['tenant'],
    registers: [registry],
  });
  const queued = new Counter({
    name: 'hotpath_budget_queued_seconds_total',
    help: 'Seconds misses waited for a bulkhead slot, per tenant.',
    labelNames: ['tenant'],
    registers: [registry],
  });
  const fallback = new Gauge({
    name: 'hotpath_budget_fallback',
    help: '1 while budgets are kept per process because Redis is away.',
    registers: [registry],
  });
  const tracked = new Gauge({
    name: 'hotpath_budget_metric_tenants',
    help: 'Tenants with their own label in the budget metrics (bound: BUDGET_METRIC_TENANTS).',
    registers: [registry],
  });
  const stats = new Map<string, TenantBudgetStats>();
  function statsOf(tenantId: string): TenantBudgetStats {
    let entry = stats.get(tenantId);
    if (entry) return entry;
    const label = stats.size < metricTenants ? tenantId : 'other';
    entry = stats.get(label);
    if (!entry) {
      entry = { tenant: label, pointsUsed: 0, throttled: 0, queuedSeconds: 0 };
      stats.set(label, entry);
      tracked.set(stats.size);
    }
    return entry;
  }
  return {
    fallback,
    points(tenantId: string, n: number) {
      const entry = statsOf(tenantId);
      entry.pointsUsed += n;
      points.inc({ tenant: entry.tenant }, n);
    },
    throttled(tenantId: string) {
      const entry = statsOf(tenantId);
      entry.throttled += 1;
      throttled.inc({ tenant: entry.tenant });
    },
    queued(tenantId: string, seconds: number) {
      const entry = statsOf(tenantId);
      entry.queuedSeconds += seconds;
      queued.inc({ tenant: entry.tenant }, seconds);
    },
    snapshot: (): TenantBudgetStats[] => Array.from(stats.values(), (s) => ({ ...s })),
  };
}

import { Counter, Gauge, Registry } from 'prom-client';
import { type CacheOutcome, type CacheReason, REASONS } from '../outcome.js';
import { inflationCount } from '../store/body.js';
import type { NearStats } from '../store/store.js';
import { ByteBudget, processBudgets, registerBudgetMetrics } from './bounds.js';
import { registerOutcomeMetrics, registerReasonMetrics } from './outcome-metrics.js';
import {
  add,
  bucketOf,
  type Fields,
  HISTORY_MS,
  type InvalidationEvent,
  LATENCY_BOUNDS_MS,
  latencyIndex,
  MAX_OPERATIONS,
  OTHER_OPERATIONS,
  RECENT_INVALIDATIONS,
  type StatsDelta,
  type StatsView,
  summarize,
} from './view.js';

export interface CacheStatsOptions {
  now?: () => number;
  /** Cached responses waiting in the outbox (issue 7 plugs its count in); 0 until then. */
  outboxPending?: () => number;
}

/**
 * Counters of this process, for cacheStats and the console, mirrored into Prometheus metrics
 * for /metrics. When a cluster flusher is attached (REDIS), it drains what changed since its
 * last drain into Redis in one batch a second: never a Redis write per request, and nothing
 * extra to count per request.
 */
export function createCacheStats(options: CacheStatsOptions = {}) {
  const now = options.now ?? Date.now;
  const startedAt = now();
  const totals: Fields = new Map();
  const buckets = new Map<number, Fields>();
  const invalidationLog: InvalidationEvent[] = [];
  const providers = {
    outboxPending: options.outboxPending ?? (() => 0),
    fallbackActive: () => false,
    storeInfo: async (): Promise<{ keys: number | null; usedMemoryBytes: number | null }> => ({
      keys: null,
      usedMemoryBytes: null,
    }),
    nearStats: (): NearStats | null => null,
    /** Each LISTEN connection to PostgreSQL: listening, or null where there is none. */
    listeners: (): { name: string; listening: boolean | null }[] => [],
  };

  const registry = new Registry();
  const errors = new Counter({
    name: 'hotpath_cache_errors_total',
    help: 'Cache store calls that failed or timed out (each served from the database).',
    registers: [registry],
  });
  const invalidations = new Counter({
    name: 'hotpath_cache_invalidations_total',
    help: 'Cached responses removed by invalidation.',
    registers: [registry],
  });
  const budgets = new Set<ByteBudget>();
  registerBudgetMetrics(registry, () => [...processBudgets, ...budgets]);
  const outcomes = registerOutcomeMetrics(
    registry,
    [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  );
  const reasons = registerReasonMetrics(registry);
  new Gauge({
    name: 'hotpath_cache_fallback_active',
    help: '1 while the store failed and requests are served from the database only.',
    registers: [registry],
    collect() {
      this.set(providers.fallbackActive() ? 1 : 0);
    },
  });
  new Gauge({
    name: 'hotpath_outbox_pending',
    help: 'Invalidations waiting in the outbox to be applied (0 until the outbox exists).',
    registers: [registry],
    collect() {
      this.set(providers.outboxPending());
    },
  });
  new Gauge({
    name: 'hotpath_db_listening',
    help: "1 while this LISTEN connection to PostgreSQL listens, 0 while it reconnects (other instances' invalidations and revocations then arrive by polling); absent without one.",
    labelNames: ['listener'],
    registers: [registry],
    collect() {
      this.reset();
      for (const { name, listening } of providers.listeners()) {
        if (listening !== null) this.set({ listener: name }, listening ? 1 : 0);
      }
    },
  });
  // One store call serves the three store gauges of a scrape (they collect concurrently).
  let storeInfo: Promise<{ keys: number | null; usedMemoryBytes: number | null } | null> | null =
    null;
  const readStoreInfo = () => {
    if (!storeInfo) {
      storeInfo = providers.storeInfo().catch(() => null);
      setTimeout(() => {
        storeInfo = null;
      }, 500).unref();
    }
    return storeInfo;
  };
  new Counter({
    name: 'hotpath_cache_near_hits_total',
    help: "Redis hits served from the process's copy after one round trip proved it valid.",
    registers: [registry],
    collect() {
      const near = providers.nearStats();
      if (near) {
        this.reset();
        this.inc(near.hits);
      }
    },
  });
  new Counter({
    name: 'hotpath_cache_near_kept_total',
    help: "Near hits whose scope had a write since the copy's last proof, and whose tags it left alone.",
    registers: [registry],
    collect() {
      const near = providers.nearStats();
      if (near) {
        this.reset();
        this.inc(near.kept);
      }
    },
  });
  new Gauge({
    name: 'hotpath_cache_near_bytes',
    help: "Bytes of Redis entries kept in this process's copies (CACHE_NEAR_MAX_BYTES).",
    registers: [registry],
    collect() {
      this.set(providers.nearStats()?.bytes ?? 0);
    },
  });
  new Counter({
    name: 'hotpath_cache_inflations_total',
    help: 'Gzipped bodies inflated to JSON in this process: a client without gzip served with no JSON kept in process (a Redis hit without a copy), a stale entry, CACHE_DEBUG.',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(inflationCount());
    },
  });
  new Gauge({
    name: 'hotpath_cache_keys',
    help: "Keys in the store: Redis's DBSIZE or the in-memory entries.",
    registers: [registry],
    async collect() {
      const info = await readStoreInfo();
      if (info?.keys != null) this.set(info.keys);
    },
  });
  new Gauge({
    name: 'hotpath_cache_used_memory_bytes',
    help: "Redis's used_memory (0 for the in-memory store).",
    registers: [registry],
    async collect() {
      const info = await readStoreInfo();
      if (info?.usedMemoryBytes != null) this.set(info.usedMemoryBytes);
    },
  });
  new Gauge({
    name: 'hotpath_cache_store_up',
    help: 'Whether the store answered (1) or not (0) at the last scrape.',
    registers: [registry],
    async collect() {
      this.set((await readStoreInfo()) ? 1 : 0);
    },
  });

  // Field names built once: record() allocates no strings.
  const HIT_LATENCY = LATENCY_BOUNDS_MS.map((_, i) => `lh:${i}`);
  const MISS_LATENCY = LATENCY_BOUNDS_MS.map((_, i) => `lm:${i}`);
  const operationFields = new Map<
    string,
    { h: string; m: string; r: Partial<Record<CacheReason, string>> }
  >();
  const REASON_FIELDS = new Map(REASONS.map((reason) => [reason, `x:${reason}`]));
  let currentStart = -1;
  let current: Fields = new Map();

  function bucketAt(at: number): Fields {
    const start = bucketOf(at);
    if (start === currentStart) return current;
    let fields = buckets.get(start);
    if (!fields) {
      fields = new Map();
      buckets.set(start, fields);
      for (const old of buckets.keys()) {
        if (old > start - HISTORY_MS) break;
        buckets.delete(old);
        flushed?.buckets.delete(old);
      }
    }
    currentStart = start;
    current = fields;
    return fields;
  }

  function fieldsOf(operationName: string) {
    let fields = operationFields.get(operationName);
    if (!fields) {
      const name =
        operationFields.size >= MAX_OPERATIONS || operationName.length > 200
          ? OTHER_OPERATIONS
          : operationName;
      fields = operationFields.get(name) ?? { h: `o:h:${name}`, m: `o:m:${name}`, r: {} };
      // Names past the bound are not remembered: they all map to OTHER_OPERATIONS.
      operationFields.set(name, fields);
    }
    return fields;
  }

  /**
   * What the cluster has been sent: the delta of a flush is the counts minus this, so record()
   * keeps one set of counters whether or not a flusher is attached. `from`: the first bucket
   * that can have changed since the last drain.
   */
  let flushed: { totals: Fields; buckets: Map<number, Fields>; from: number } | null = null;
  let pendingInvalidations: InvalidationEvent[] = [];

  function diff(counts: Fields, sent: Fields, into: Fields) {
    for (const [name, value] of counts) {
      const by = value - (sent.get(name) ?? 0);
      if (by === 0) continue;
      into.set(name, by);
      sent.set(name, value);
    }
  }

  return {
    registry,
    startedAt,
    /**
     * `operationName`: the operation that ran or was served from the cache, as its document
     * names it ('anonymous' when unnamed); null counts the request but no operation (it never
     * reached execution: a name the client made up must not take a slot).
     */
    record(
      outcome: CacheOutcome,
      operationName: string | null,
      seconds: number,
      reason: CacheReason | null = null,
    ) {
      outcomes.record(outcome, seconds);
      const bucket = bucketAt(now());
      if (reason !== null && (outcome === 'miss' || outcome === 'bypass')) {
        reasons.record(outcome, reason);
        add(totals, REASON_FIELDS.get(reason) as string);
      }
      if (outcome === 'bypass') {
        add(totals, 'b');
        add(bucket, 'b');
        return;
      }
      const op = operationName === null ? null : fieldsOf(operationName || 'anonymous');
      if (op && reason !== null && outcome === 'miss') {
        // Per operation, `r:<reason>:<operation>`: reasons are a bounded set, and so are names.
        const field = op.r[reason] ?? `r:${reason}:${op.h.slice(4)}`;
        op.r[reason] = field;
        add(totals, field);
      }
      const slot = latencyIndex(seconds * 1000);
      // STALE (SWR, stale-if-error) was served from the cache: a hit for the database.
      if (outcome === 'hit' || outcome === 'stale') {
        add(totals, 'h');
        if (op) add(totals, op.h);
        add(bucket, 'h');
        add(bucket, HIT_LATENCY[slot]);
      } else {
        add(totals, 'm');
        if (op) add(totals, op.m);
        add(bucket, 'm');
        add(bucket, MISS_LATENCY[slot]);
      }
    },
    error() {
      add(totals, 'e');
      errors.inc();
    },
    /** `removed` entries went; the event joins the recent invalidations. */
    invalidated(removed: number, event: Omit<InvalidationEvent, 'at' | 'removed'>) {
      const at = now();
      add(totals, 'i', removed);
      invalidations.inc(removed);
      const full = { ...event, at, removed };
      invalidationLog.unshift(full);
      invalidationLog.length = Math.min(invalidationLog.length, RECENT_INVALIDATIONS);
      if (flushed) {
        pendingInvalidations.push(full);
        if (pendingInvalidations.length > RECENT_INVALIDATIONS) pendingInvalidations.shift();
      }
    },
    /** A structure of this app bounded in bytes, reported by /metrics (see bounds.ts). */
    budget(structure: string, maxBytes: number, reader?: () => number): ByteBudget {
      const budget = new ByteBudget(structure, maxBytes, reader);
      budgets.add(budget);
      return budget;
    },
    /** Where the gauges read what this module doesn't count itself. */
    provide(values: Partial<typeof providers>) {
      Object.assign(providers, values);
    },
    /** This process since it started. */
    view(): StatsView {
      return summarize(totals, buckets, now(), startedAt);
    },
    /** Newest first. */
    recentInvalidations(): InvalidationEvent[] {
      return [...invalidationLog];
    },
    /** A cluster flusher (REDIS) is attached: drain() from now on hands out deltas. */
    shareWithCluster() {
      flushed ??= { totals: new Map(), buckets: new Map(), from: 0 };
    },
    /**
     * What was counted since the last drain (everything since the start, the first time); the
     * flusher gives it back if Redis refused it. Cost: the totals' fields and the one or two
     * buckets touched since the last drain.
     */
    drain(): StatsDelta | null {
      if (!flushed) return null;
      const delta: StatsDelta = {
        totals: new Map(),
        buckets: new Map(),
        invalidations: pendingInvalidations,
      };
      pendingInvalidations = [];
      diff(totals, flushed.totals, delta.totals);
      for (const [start, fields] of buckets) {
        if (start < flushed.from) continue;
        let sent = flushed.buckets.get(start);
        if (!sent) {
          sent = new Map();
          flushed.buckets.set(start, sent);
        }
        const changed: Fields = new Map();
        diff(fields, sent, changed);
        if (changed.size > 0) delta.buckets.set(start, changed);
      }
      flushed.from = bucketOf(now());
      return delta;
    },
    giveBack(delta: StatsDelta) {
      if (!flushed) return;
      for (const [name, by] of delta.totals) add(flushed.totals, name, -by);
      for (const [start, fields] of delta.buckets) {
        const sent = flushed.buckets.get(start);
        if (!sent) continue; // aged out of the history meanwhile
        for (const [name, by] of fields) add(sent, name, -by);
        flushed.from = Math.min(flushed.from, start);
      }
      pendingInvalidations = [...delta.invalidations, ...pendingInvalidations].slice(
        -RECENT_INVALIDATIONS,
      );
    },
  };
}

export type CacheStats = ReturnType<typeof createCacheStats>;

import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** What the hub counts, for cacheStats.live and the console. */
export interface LiveCounts {
  streams: number;
  groups: number;
  /** `next` events written to clients since start. */
  pushes: number;
  /** Executions of a group's request since start (first ones included). */
  executions: number;
  /** Streams refused by a cap since start. */
  refused: number;
  /** Bytes the groups hold now: their results (events), the requests they replay, bookkeeping. */
  bytes: number;
}

/** The hub's Prometheus metrics (hotpath_live_*), read from `counts` at scrape time. */
export function registerLiveMetrics(registry: Registry, counts: () => LiveCounts) {
  new Gauge({
    name: 'hotpath_live_streams',
    help: 'Open live-query streams on this instance (LIVE_MAX_STREAMS).',
    registers: [registry],
    collect() {
      this.set(counts().streams);
    },
  });
  new Gauge({
    name: 'hotpath_live_groups',
    help: 'Live (tenant, document, variables) groups this instance re-executes (LIVE_MAX_GROUPS).',
    registers: [registry],
    collect() {
      this.set(counts().groups);
    },
  });
  new Gauge({
    name: 'hotpath_live_bytes',
    help: 'Bytes the live groups hold: results (LIVE_MAX_RESULT_BYTES), requests (LIVE_MAX_DOCUMENT_BYTES), bookkeeping.',
    registers: [registry],
    collect() {
      this.set(counts().bytes);
    },
  });
  const pushes = new Counter({
    name: 'hotpath_live_pushes_total',
    help: 'next events written to live-query clients.',
    registers: [registry],
  });
  const executions = new Counter({
    name: 'hotpath_live_executions_total',
    help: 'Executions of live groups through the response cache, by reason and X-Cache outcome.',
    labelNames: ['reason', 'cache'] as const,
    registers: [registry],
  });
  const refused = new Counter({
    name: 'hotpath_live_refused_total',
    help: 'Live queries refused or ended by a bound (LIVE_MAX_*), by bound.',
    labelNames: ['limit'] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'hotpath_live_push_latency_seconds',
    help: 'From the invalidation (or TTL expiry) that changed a live result to its push.',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  return { pushes, executions, refused, latency };
}

export type LiveMetrics = ReturnType<typeof registerLiveMetrics>;

/**
 * A bulkhead per tenant (DESIGN §15): at most `limitOf(tenant)` of its executions run at once,
 * so one tenant can't hold the whole database pool. Others wait in a short queue (at most
 * `queueMax` each, at most `queueMs` each); past that they are refused at once. A tenant's
 * entry lives only while something of it runs or waits.
 */
export interface BulkheadOptions {
  limitOf: (tenantId: string) => number;
  queueMax: number;
  queueMs: number;
}

export class BulkheadFull extends Error {
  constructor(readonly reason: 'queue-full' | 'queue-timeout') {
    super(reason);
  }
}

interface Waiter {
  grant: () => void;
  timer: NodeJS.Timeout;
}

interface Lane {
  running: number;
  waiting: Waiter[];
}

export function createBulkhead(options: BulkheadOptions) {
  const lanes = new Map<string, Lane>();

  function release(tenantId: string) {
    const lane = lanes.get(tenantId);
    if (!lane) return;
    const next = lane.waiting.shift();
    if (next) {
      clearTimeout(next.timer);
      next.grant(); // the slot passes on: `running` stays the same
      return;
    }
    lane.running -= 1;
    if (lane.running === 0) lanes.delete(tenantId);
  }

  return {
    /**
     * Waits for a slot; resolves with its release and the seconds spent queued, or rejects
     * with BulkheadFull.
     */
    acquire(tenantId: string): Promise<{ release: () => void; queuedSeconds: number }> {
      let lane = lanes.get(tenantId);
      if (!lane) {
        lane = { running: 0, waiting: [] };
        lanes.set(tenantId, lane);
      }
      let released = false;
      const slot = () => {
        if (released) return;
        released = true;
        release(tenantId);
      };
      if (lane.running < Math.max(1, options.limitOf(tenantId))) {
        lane.running += 1;
        return Promise.resolve({ release: slot, queuedSeconds: 0 });
      }
      if (lane.waiting.length >= options.queueMax) {
        return Promise.reject(new BulkheadFull('queue-full'));
      }
      const queuedAt = performance.now();
      const waiting = lane.waiting;
      return new Promise((resolve, reject) => {
        const waiter: Waiter = {
          grant: () =>
            resolve({ release: slot, queuedSeconds: (performance.now() - queuedAt) / 1000 }),
          timer: setTimeout(() => {
            const at = waiting.indexOf(waiter);
            if (at !== -1) waiting.splice(at, 1);
            reject(new BulkheadFull('queue-timeout'));
          }, options.queueMs),
        };
        waiting.push(waiter);
      });
    },
    /** Running and waiting executions of a tenant (tests, the console). */
    load(tenantId: string) {
      const lane = lanes.get(tenantId);
      return { running: lane?.running ?? 0, waiting: lane?.waiting.length ?? 0 };
    },
  };
}

export type Bulkhead = ReturnType<typeof createBulkhead>;

import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { syncLookupOf } from './memory-store.js';
import {
  isSlotRefusal,
  type LookupOptions,
  type LookupResult,
  type ResponseStore,
  type SaveEntry,
  SlotMoving,
  type StoreInfo,
} from './store.js';

export interface ResilientStoreOptions {
  /** A store call slower than this counts as a miss (CACHE_TIMEOUT_MS). */
  timeoutMs: number;
  /** Consecutive failures that open the breaker. */
  failureThreshold?: number;
  /** How often an open breaker pings the store in the background. */
  probeIntervalMs?: number;
  /**
   * How long a confirming PING may take before a timeout is blamed on the store, and how long
   * an invalidation may take (default max(500, 10 × timeoutMs)); the event loop's own delays
   * are not counted.
   */
  confirmTimeoutMs?: number;
  /**
   * Runs before the store is trusted again after an outage, and at start (the outbox sweep: it
   * re-applies every invalidation that could not be applied). The breaker stays open until it
   * succeeds.
   */
  beforeTrust?: () => Promise<void>;
  /**
   * While the breaker stays open, how often the probe's last failure is logged as a warning
   * (default 60 s): the reason caching has not resumed, not only that it stopped.
   */
  stillDownLogMs?: number;
  logger: Logger;
  /** Told of every failure and every state change, for stats and metrics. */
  onError?: (error: unknown) => void;
  onStateChange?: (state: BreakerState) => void;
  now?: () => Date;
}

export interface BreakerState {
  /** Requests are served without the store. */
  fallbackActive: boolean;
  fallbackSince: Date | null;
}

/** How long an invalidation refused by a moving Redis Cluster slot waits to be tried again. */
const SLOT_RETRY_MS = 20;

export class StoreTimeout extends Error {
  constructor(ms: number) {
    super(`cache store did not answer within ${ms} ms`);
  }
}

/** The client's own per-command timeout (ioredis commandTimeout): a timeout too, not an error. */
const isTimeout = (error: unknown) =>
  error instanceof StoreTimeout ||
  (error instanceof Error && error.message === 'Command timed out');

interface Waiter {
  done: boolean;
  reject: (error: StoreTimeout) => void;
}

/** The calls bounded by the same limits that began within the same millisecond: one timer. */
interface TimerGroup {
  started: number;
  dueAt: number;
  waiters: Waiter[];
}

const openGroups = new Map<string, TimerGroup>();

function armGroup(group: TimerGroup, ms: number, maxMs: number, key: string): void {
  setTimeout(
    () =>
      // Yield to I/O first, so that a reply that already arrived is read and wins.
      setImmediate(() => {
        if (openGroups.get(key) === group) openGroups.delete(key);
        const pending = group.waiters.filter((waiter) => !waiter.done);
        if (pending.length === 0) return;
        const at = performance.now();
        const late = at - group.dueAt;
        if (late > ms / 2 && at - group.started + ms <= maxMs) {
          // The timer fired late: the event loop was busy, not the store. Give the time back.
          group.dueAt = at + ms;
          group.waiters = pending;
          armGroup(group, ms, maxMs, key);
          return;
        }
        for (const waiter of pending) {
          waiter.done = true;
          waiter.reject(new StoreTimeout(ms));
        }
      }),
    Math.max(0, group.dueAt - performance.now()),
  );
}

let lastKey = { ms: Number.NaN, maxMs: Number.NaN, key: '' };
/** `ms:maxMs`, built once for the limits every lookup uses (one string per call otherwise). */
function groupKey(ms: number, maxMs: number): string {
  if (lastKey.ms !== ms || lastKey.maxMs !== maxMs) lastKey = { ms, maxMs, key: `${ms}:${maxMs}` };
  return lastKey.key;
}

/**
 * Bounds `work` by `ms` of the store's time, not of this process's: when the timer fires late
 * because the event loop was busy (a CPU-starved host), the late part is given back and the
 * timer re-armed, up to `maxMs` in all. Each re-arm first yields to I/O, so a reply that
 * already arrived is read and wins. Calls that begin within the same millisecond share one
 * timer (a timer per call costs a cache hit a measurable share of its time); each gets at
 * least `ms`, at most `ms` + 1.
 */
export function withStoreTimeout<T>(work: Promise<T>, ms: number, maxMs = ms * 10): Promise<T> {
  const at = performance.now();
  const key = groupKey(ms, maxMs);
  let group = openGroups.get(key);
  if (group === undefined || at - group.started >= 1) {
    group = { started: at, dueAt: at + ms + 1, waiters: [] };
    openGroups.set(key, group);
    armGroup(group, ms, maxMs, key);
  }
  const waiters = group.waiters;
  return new Promise<T>((resolve, reject) => {
    const waiter: Waiter = { done: false, reject };
    waiters.push(waiter);
    work.then(
      (value) => {
        if (waiter.done) return;
        waiter.done = true;
        resolve(value);
      },
      (error) => {
        if (waiter.done) return;
        waiter.done = true;
        reject(error);
      },
    );
  });
}

/**
 * Wraps a store so that it can only ever slow a request by its timeout: every failure is a
 * miss. Errors (a refused connection, a script error) count towards `failureThreshold`; a
 * timeout counts only once a confirming PING has also failed within `confirmTimeoutMs`, so a
 * slow event loop in front of a healthy Redis never opens the breaker. When the breaker is
 * open, requests stop asking the store and a background probe waits for it to come back; the
 * `beforeTrust` hook (the outbox sweep) must succeed before it closes. An invalidation that
 * fails opens the breaker at once, because the entries it should have removed may still be
 * there; without a `beforeTrust` hook the epoch is bumped on recovery instead.
 */
export function createResilientStore(store: ResponseStore, options: ResilientStoreOptions) {
  const threshold = options.failureThreshold ?? 3;
  const probeIntervalMs = options.probeIntervalMs ?? 1_000;
  const confirmMs = options.confirmTimeoutMs ?? Math.max(500, options.timeoutMs * 10);
  const now = options.now ?? (() => new Date());
  const stillDownLogMs = options.stillDownLogMs ?? 60_000;
  // When the probe's failure was last logged as a warning (ms since the epoch).
  let stillDownLoggedAt = 0;
  const log = options.logger.child({ component: 'cache' });
  let failures = 0;
  // An invalidation that failed, or was skipped while open, may have left stale entries.
  let invalidationsLost = false;
  let state: BreakerState = { fallbackActive: false, fallbackSince: null };
  let probe: NodeJS.Timeout | null = null;
  let confirming = false;
  let closed = false;
  const counters = { timeouts: 0, slowLoopTimeouts: 0 };
  // Read once: a Redis store comes wrapped in Proxies (topology.ts), where every property read
  // of a call is a trap or two (issue 19).
  const inProcess = store.inProcess === true;

  const withTimeout = <T>(work: Promise<T>, ms = options.timeoutMs) => withStoreTimeout(work, ms);

  /**
   * `work` bounded by `ms`, tried again while it times out: the client's own command timeout
   * (as short as CACHE_TIMEOUT_MS) fires during an event-loop stall too, so one timeout proves
   * nothing; `ms` of them in a row do. Tried again too, every SLOT_RETRY_MS, while Redis
   * refuses it because its Redis Cluster slot is moving (it did nothing then).
   */
  async function patiently<T>(work: () => Promise<T>, ms: number): Promise<T> {
    const deadline = performance.now() + ms;
    for (;;) {
      try {
        return await withTimeout(work(), Math.max(1, deadline - performance.now()));
      } catch (error) {
        if (performance.now() >= deadline) throw error;
        if (isSlotRefusal(error)) await sleep(SLOT_RETRY_MS);
        else if (!isTimeout(error)) throw error;
      }
    }
  }

  function setState(next: BreakerState) {
    state = next;
    options.onStateChange?.(next);
  }

  function open(reason: unknown) {
    if (state.fallbackActive || closed) return;
    setState({ fallbackActive: true, fallbackSince: now() });
    log.warn(
      { err: reason, backend: store.backend },
      'cache unavailable: serving from the database',
    );
    startProbe();
  }

  function startProbe() {
    if (probe || closed) return;
    probe = setInterval(tryRecover, probeIntervalMs);
    probe.unref();
  }

  let recovering = false;
  async function tryRecover(): Promise<boolean> {
    if (recovering || closed) return false;
    recovering = true;
    try {
      await patiently(() => store.ping(), confirmMs);
      let epoch: number | null = null;
      if (options.beforeTrust) await options.beforeTrust();
      else if (invalidationsLost) epoch = await withTimeout(store.purge(), confirmMs);
      invalidationsLost = false;
      if (probe) clearInterval(probe);
      probe = null;
      failures = 0;
      if (state.fallbackActive) {
        const downMs = state.fallbackSince ? now().getTime() - state.fallbackSince.getTime() : 0;
        setState({ fallbackActive: false, fallbackSince: null });
        log.info({ backend: store.backend, epoch, downMs }, 'cache back: caching again');
      }
      return true;
    } catch (err) {
      stillDown(err);
      return false;
    } finally {
      recovering = false;
    }
  }

  /** The probe failed: a debug line each time, a warning with the reason once a while. */
  function stillDown(err: unknown) {
    const since = state.fallbackSince?.getTime();
    const at = now().getTime();
    if (since === undefined || at - Math.max(since, stillDownLoggedAt) < stillDownLogMs) {
      log.debug({ err }, 'cache still unavailable');
      return;
    }
    stillDownLoggedAt = at;
    log.warn(
      { err, backend: store.backend, downMs: at - since },
      'cache still unavailable: serving from the database',
    );
  }

  /** A timeout: the store or the event loop? A PING with a generous timeout decides. */
  function confirmTimeout(error: unknown) {
    counters.timeouts++;
    if (confirming) return;
    confirming = true;
    patiently(() => store.ping(), confirmMs)
      .then(
        () => {
          counters.slowLoopTimeouts++;
          log.debug('cache timeout on a slow event loop; the store answers: breaker stays closed');
        },
        () => failed(error, { openNow: true }),
      )
      .finally(() => {
        confirming = false;
      });
  }

  function failed(error: unknown, { openNow = false } = {}) {
    options.onError?.(error);
    failures++;
    if (openNow || failures >= threshold) open(error);
  }

  async function guarded<T>(work: () => Promise<T>, fallback: T, ms = options.timeoutMs) {
    if (state.fallbackActive) return fallback;
    try {
      // A timer per call costs more than an in-process lookup itself, which can't hang.
      const result = await (inProcess ? work() : withTimeout(work(), ms));
      failures = 0;
      return result;
    } catch (error) {
      if (isTimeout(error)) {
        options.onError?.(error);
        confirmTimeout(error);
      } else if (!isSlotRefusal(error)) failed(error);
      // A slot on the move: a miss (or a save left out) for its tenants, not an outage.
      return fallback;
    }
  }

  const lookupSync = syncLookupOf(store);
  /** guarded() for a lookup that doesn't wait: the same breaker, no promise. */
  function lookupNow(scope: string, key: string): LookupResult | null {
    if (state.fallbackActive || lookupSync === undefined) return null;
    try {
      const result = lookupSync(scope, key);
      failures = 0;
      return result;
    } catch (error) {
      failed(error);
      return null;
    }
  }

  return {
    backend: store.backend,
    state: () => state,
    /** Timeouts of store calls, and those of them a confirming PING blamed on the event loop. */
    timeouts: () => ({ ...counters }),
    /**
     * Trusts the store only after `beforeTrust` succeeded (the outbox holds no invalidation
     * left to apply). Until then the breaker is open and requests go to the database.
     */
    async start(): Promise<boolean> {
      if (!options.beforeTrust) return true;
      try {
        await options.beforeTrust();
        return true;
      } catch (error) {
        invalidationsLost = true;
        open(error);
        return false;
      }
    },
    /** null: the store could not be asked; serve from the database and store nothing. */
    lookup: (scope: string, key: string, options?: LookupOptions) =>
      guarded<LookupResult | null>(() => store.lookup(scope, key, options), null),
    /**
     * lookup() answered at once, when the store is a memory store itself (syncLookupOf); absent
     * otherwise (Redis, or a traced store): use lookup().
     */
    lookupNow: lookupSync && lookupNow,
    save: (scope: string, key: string, entry: SaveEntry) =>
      guarded<'stored' | 'stale' | 'skipped'>(() => store.save(scope, key, entry), 'skipped'),
    /** ResponseStore.savesInOrder: an in-process store always is. */
    savesInOrder: () => store.inProcess === true || (store.savesInOrder?.() ?? false),
    /**
     * null: not applied; the breaker opens, and the outbox (or, without one, an epoch bump)
     * makes it good before the store is trusted again. Writes can wait longer than reads: the
     * timeout is `confirmTimeoutMs`. Also null, the breaker closed, when the scope's Redis
     * Cluster slot is moving (SlotMoving): its entries miss already, and the outbox row, kept,
     * is applied again once the slot has moved.
     */
    async invalidate(scope: string, tags: string[]): Promise<number | null> {
      if (state.fallbackActive) {
        invalidationsLost = true;
        return null;
      }
      try {
        const removed = await patiently(() => store.invalidate(scope, tags), confirmMs);
        failures = 0;
        return removed;
      } catch (error) {
        if (error instanceof SlotMoving) {
          // Its entries miss already; the outbox applies the rest once the slot has moved.
          // Redis answered: no outage, and the breaker (every tenant's cache) stays closed.
          log.info(
            { scope, tags },
            'invalidation left to the outbox: its Redis Cluster slot is moving',
          );
          return null;
        }
        invalidationsLost = true;
        failed(error, { openNow: true });
        return null;
      }
    },
    /** Throws when the store can't be reached: an operator asked for it and must know. */
    async purge(): Promise<number> {
      return withTimeout(store.purge(), confirmMs);
    },
    nearStats: () => store.nearStats?.() ?? null,
    async info(): Promise<StoreInfo | null> {
      if (state.fallbackActive) return null;
      return withTimeout(store.info(), confirmMs).catch(() => null);
    },
    async close() {
      closed = true;
      if (probe) clearInterval(probe);
      await store.close();
    },
  };
}

export type ResilientStore = ReturnType<typeof createResilientStore>;

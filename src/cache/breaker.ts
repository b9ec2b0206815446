import type { Logger } from 'pino';
import type { LookupResult, ResponseStore, SaveEntry, StoreInfo } from './store.js';

export interface ResilientStoreOptions {
  /** A store call slower than this counts as a failure (CACHE_TIMEOUT_MS). */
  timeoutMs: number;
  /** Consecutive failures that open the breaker. */
  failureThreshold?: number;
  /** How often an open breaker pings the store in the background. */
  probeIntervalMs?: number;
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

class StoreTimeout extends Error {
  constructor(ms: number) {
    super(`cache store did not answer within ${ms} ms`);
  }
}

/**
 * Wraps a store so that it can only ever slow a request by its timeout: every failure is a
 * miss, and after `failureThreshold` of them in a row the breaker opens, requests stop asking
 * the store, and a background probe waits for it to come back. An invalidation that fails
 * opens the breaker at once, because the entries it should have removed may still be there.
 * When any invalidation was lost (failed, or skipped while open), the epoch is bumped before
 * the store is trusted again, so everything cached before the outage becomes unreachable; an
 * outage without writes keeps the cache, since a bump empties it for every instance.
 */
export function createResilientStore(store: ResponseStore, options: ResilientStoreOptions) {
  const threshold = options.failureThreshold ?? 3;
  const probeIntervalMs = options.probeIntervalMs ?? 1_000;
  const now = options.now ?? (() => new Date());
  const log = options.logger.child({ component: 'cache' });
  let failures = 0;
  // An invalidation that failed, or was skipped while open, may have left stale entries.
  let invalidationsLost = false;
  let state: BreakerState = { fallbackActive: false, fallbackSince: null };
  let probe: NodeJS.Timeout | null = null;
  let closed = false;

  function withTimeout<T>(work: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    // Timers run before the event loop reads sockets: on a busy loop the timer and a reply that
    // already arrived are both due. setImmediate lets that reply be read and win the race.
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => setImmediate(() => reject(new StoreTimeout(options.timeoutMs))),
        options.timeoutMs,
      );
    });
    return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
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
    probe = setInterval(tryRecover, probeIntervalMs);
    probe.unref();
  }

  let recovering = false;
  async function tryRecover() {
    if (recovering || closed) return;
    recovering = true;
    try {
      await withTimeout(store.ping());
      const epoch = invalidationsLost ? await withTimeout(store.purge()) : null;
      invalidationsLost = false;
      if (probe) clearInterval(probe);
      probe = null;
      failures = 0;
      const downMs = state.fallbackSince ? now().getTime() - state.fallbackSince.getTime() : 0;
      setState({ fallbackActive: false, fallbackSince: null });
      log.info(
        { backend: store.backend, epoch, downMs },
        'cache back: epoch bumped, caching again',
      );
    } catch {
      // Still down; the next probe tries again.
    } finally {
      recovering = false;
    }
  }

  function failed(error: unknown, { openNow = false } = {}) {
    options.onError?.(error);
    failures++;
    if (openNow || failures >= threshold) open(error);
  }

  async function guarded<T>(work: () => Promise<T>, fallback: T, openOnFailure = false) {
    if (state.fallbackActive) return fallback;
    try {
      const result = await withTimeout(work());
      failures = 0;
      return result;
    } catch (error) {
      failed(error, { openNow: openOnFailure });
      return fallback;
    }
  }

  return {
    backend: store.backend,
    state: () => state,
    /** null: the store could not be asked; serve from the database and store nothing. */
    lookup: (scope: string, key: string) =>
      guarded<LookupResult | null>(() => store.lookup(scope, key), null),
    save: (scope: string, key: string, entry: SaveEntry) =>
      guarded<'stored' | 'stale' | 'skipped'>(() => store.save(scope, key, entry), 'skipped'),
    /** null: not applied; the breaker is open and the epoch is bumped on recovery. */
    async invalidate(scope: string, tags: string[]): Promise<number | null> {
      const removed = await guarded<number | null>(() => store.invalidate(scope, tags), null, true);
      if (removed === null) invalidationsLost = true;
      return removed;
    },
    /** Throws when the store can't be reached: an operator asked for it and must know. */
    async purge(): Promise<number> {
      return withTimeout(store.purge());
    },
    async info(): Promise<StoreInfo | null> {
      if (state.fallbackActive) return null;
      return withTimeout(store.info()).catch(() => null);
    },
    async close() {
      closed = true;
      if (probe) clearInterval(probe);
      await store.close();
    },
  };
}

export type ResilientStore = ReturnType<typeof createResilientStore>;

/**
 * The memory store's lookup without its promise (issue 19): the same answers as lookup(), only
 * for the memory store itself (a wrapper, such as the traced store, is never bypassed), and
 * behind the same breaker in the resilient store.
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createMemoryStore, syncLookupOf } from '../../src/cache/store/memory-store.js';
import { createResilientStore } from '../../src/cache/store/resilient-store.js';
import type { ResponseStore, SaveEntry } from '../../src/cache/store/store.js';
import { traceStore } from '../../src/cache/store/traced-store.js';
import { TRACING_OFF } from '../../src/telemetry/tracing.js';

const logger = pino({ level: 'silent' });

const entry = (ttlMs: number | null): SaveEntry => ({
  body: '{"data":{"x":1}}',
  tags: ['User:1'],
  ttlMs,
  seenSeq: 0,
  seenEpoch: 0,
});

describe('syncLookupOf', () => {
  it('answers as lookup() does: a hit, a miss, an expired entry, an invalidated one', async () => {
    let clock = 1_000;
    const store = createMemoryStore({ maxEntries: 100, now: () => clock });
    const lookupNow = syncLookupOf(store);
    expect(lookupNow).toBeTypeOf('function');
    if (!lookupNow) return;
    await store.save('t1', 'fresh', entry(60_000));
    await store.save('t1', 'short', { ...entry(1_000), swrMs: 5_000 });
    await store.save('t1', 'gone', entry(60_000));
    await store.invalidate('t1', ['User:1']);
    await store.save('t1', 'fresh', { ...entry(60_000), seenSeq: 1 });
    clock += 2_000;
    for (const key of ['fresh', 'short', 'gone', 'never-saved']) {
      const now = lookupNow('t1', key);
      expect(now).not.toBeInstanceOf(Promise);
      expect(now).toEqual(await store.lookup('t1', key));
    }
    expect(lookupNow('t1', 'fresh').hit).toBe(true);
    expect(lookupNow('t1', 'short').hit).toBe(false);
    expect(lookupNow('t2', 'fresh').hit).toBe(false); // another scope
  });

  it('gives nothing for a wrapper of a memory store: its own lookup must run', () => {
    const memory = createMemoryStore({ maxEntries: 100 });
    const counted: ResponseStore = Object.create(memory, {
      lookup: { value: (scope: string, key: string) => memory.lookup(scope, key) },
    });
    expect(syncLookupOf(counted)).toBeUndefined();
    expect(syncLookupOf(traceStore(memory, { ...TRACING_OFF, on: true }))).toBeUndefined();
    expect(syncLookupOf({ ...memory })).toBeUndefined();
  });
});

describe('the resilient store over a memory store', () => {
  it('offers lookupNow only when the store it wraps is a memory store itself', () => {
    const memory = createMemoryStore({ maxEntries: 100 });
    const direct = createResilientStore(memory, { timeoutMs: 50, logger });
    expect(direct.lookupNow).toBeTypeOf('function');
    const traced = createResilientStore(traceStore(memory, { ...TRACING_OFF, on: true }), {
      timeoutMs: 50,
      logger,
    });
    expect(traced.lookupNow).toBeUndefined();
  });

  it('answers as lookup() does, and null while the breaker is open', async () => {
    // A clock that stands still: the two answers are compared whole, remaining TTL included,
    // and a busy host can let milliseconds pass between them.
    const memory = createMemoryStore({ maxEntries: 100, now: () => 1_000 });
    let failing = false;
    // The memory store with an invalidation that can fail: a failed invalidation opens the
    // breaker at once (its entries may still be there).
    const store = Object.assign(memory, {
      invalidate: async () => {
        if (failing) throw new Error('down');
        return 0;
      },
    });
    const resilient = createResilientStore(store, {
      timeoutMs: 50,
      confirmTimeoutMs: 50,
      probeIntervalMs: 60_000,
      logger,
    });
    await resilient.save('t1', 'k', entry(60_000));
    expect(resilient.lookupNow?.('t1', 'k')).toEqual(await resilient.lookup('t1', 'k'));
    expect(resilient.lookupNow?.('t1', 'k')?.hit).toBe(true);
    failing = true;
    expect(await resilient.invalidate('t1', ['User:1'])).toBeNull();
    expect(resilient.state().fallbackActive).toBe(true);
    // The entry is still in memory, but the store isn't trusted: nothing is served from it.
    expect(resilient.lookupNow?.('t1', 'k')).toBeNull();
    expect(await resilient.lookup('t1', 'k')).toBeNull();
    await resilient.close();
  });
});

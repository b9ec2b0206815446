import { afterEach, describe, expect, it, vi } from 'vitest';
import { ttlPolicy } from '../../src/cache/policy.js';
import { RequestCacheState } from '../../src/cache/request-state.js';
import { createSingleFlight } from '../../src/cache/single-flight.js';
import { ByteBudget } from '../../src/cache/stats/bounds.js';

const policy = ttlPolicy({});

/** A request that missed `key` under generation g1 of epoch 1. */
function missed(key: string) {
  const state = new RequestCacheState(policy, 'tenant', key, null, 0);
  state.outcome = 'miss';
  state.seen = { seq: 1, epoch: 1, generation: 'g1' };
  return state;
}

describe('single flight, what lingers', () => {
  it('is the JSON a stored result was saved as, not its objects; a waiter gets a copy of it', async () => {
    const flights = createSingleFlight(1_000);
    const state = missed('stored');
    expect(await flights.join(state)).toBeNull();
    const flight = state.flight;
    const result = { data: { agenda: { id: 'a', appointments: [{ id: 'x' }] } } };
    state.body = JSON.stringify(result);
    flights.end(state, result);
    // What the flight holds for its linger: one string (issue 19), not the result's tree.
    expect(flight?.value).toBe(state.body);
    const waiter = missed('stored');
    const shared = await flights.join(waiter);
    expect(shared).toEqual(result);
    expect(shared?.data).not.toBe(result.data);
    expect(waiter.shared).toBe(true);
  });

  it('is the result itself when it was not stored (too large, never cached)', async () => {
    const flights = createSingleFlight(1_000);
    const state = missed('unstored');
    await flights.join(state);
    const flight = state.flight;
    const result = { data: { big: 'x' } };
    flights.end(state, result);
    expect(flight?.value).toBe(result);
    expect(await flights.join(missed('unstored'))).toEqual(result);
  });
});

describe('single flight, while it runs', () => {
  it('makes no promise for a miss nobody joins: the request learns it runs the flight at once', () => {
    const flights = createSingleFlight(1_000);
    const state = missed('alone');
    // Not a promise: nothing to wait for (issue 19: the flight's promise, resolved with the
    // result, was what a Redis miss promoted most to V8's old generation).
    expect(flights.join(state)).toBeNull();
    flights.end(state, { data: { alone: true } });
    expect(state.flight).toBeNull();
    expect(flights.size()).toBe(1);
  });

  it('hands every request that joined while it ran the result once it ends, and only then', async () => {
    const flights = createSingleFlight(1_000);
    const first = missed('busy');
    expect(flights.join(first)).toBeNull();
    const flight = first.flight;
    const waiters = [missed('busy'), missed('busy')];
    const shared = waiters.map((waiter) => flights.join(waiter));
    expect(flight?.waiting).toBeInstanceOf(Promise);
    let settled = false;
    void Promise.all(shared).then(() => {
      settled = true;
    });
    await new Promise(setImmediate);
    expect(settled).toBe(false);
    const result = { data: { busy: 1 } };
    first.body = JSON.stringify(result);
    flights.end(first, result);
    for (const copy of await Promise.all(shared)) expect(copy).toEqual(result);
    expect(waiters.every((waiter) => waiter.shared && waiter.flight === null)).toBe(true);
  });

  it('lets a request that joined a failed execution run the flight itself', async () => {
    const flights = createSingleFlight(1_000);
    const first = missed('fails');
    flights.join(first);
    const second = missed('fails');
    const joined = flights.join(second);
    flights.end(first, null);
    expect(await joined).toBeNull();
    expect(second.flight).not.toBeNull();
    expect(second.shared).toBe(false);
  });
});

describe('single flight, after its execution ended', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('answers identical misses for 3/4 of lingerMs, forgets them by lingerMs, with one timer for all flights', async () => {
    vi.useFakeTimers();
    const flights = createSingleFlight(1_000);
    for (let i = 0; i < 100; i++) {
      const state = missed(`k${i}`);
      expect(await flights.join(state)).toBeNull();
      flights.end(state, { data: { i } });
    }
    // One timer sweeps every ended flight (issue 19: not one timer per miss).
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(749);
    const late = missed('k7');
    expect(await flights.join(late)).toEqual({ data: { i: 7 } });
    expect(late.shared).toBe(true);
    // Never past lingerMs: a request that shares a result stores nothing.
    await vi.advanceTimersByTimeAsync(251);
    expect(flights.size()).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    // Forgotten: the next identical miss runs the execution itself.
    const next = missed('k7');
    expect(await flights.join(next)).toBeNull();
    flights.end(next, null);
  });

  it('keeps a flight that ended later for its own linger, and no longer', async () => {
    vi.useFakeTimers();
    const flights = createSingleFlight(1_000);
    const first = missed('a');
    await flights.join(first);
    flights.end(first, { data: { a: 1 } });
    await vi.advanceTimersByTimeAsync(900);
    const second = missed('b');
    await flights.join(second);
    flights.end(second, { data: { b: 1 } });
    await vi.advanceTimersByTimeAsync(200);
    expect(flights.size()).toBe(1);
    await vi.advanceTimersByTimeAsync(549);
    expect(await flights.join(missed('b'))).toEqual({ data: { b: 1 } });
    await vi.advanceTimersByTimeAsync(251);
    expect(flights.size()).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('single flight, what lingers, in bytes', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('holds the lingering JSON within CACHE_FLIGHT_LINGER_BYTES; one past it ends at once', async () => {
    vi.useFakeTimers();
    const budget = new ByteBudget('single_flight', 1_000);
    const flights = createSingleFlight(1_000, budget);
    const end = async (key: string, chars: number) => {
      const state = missed(key);
      await flights.join(state);
      const result = { data: { text: 'x'.repeat(chars) } };
      state.body = JSON.stringify(result);
      state.bodyBytes = Buffer.byteLength(state.body);
      flights.end(state, result);
      return result;
    };
    const kept = await end('kept', 600);
    expect(budget.held).toBe(Buffer.byteLength(JSON.stringify(kept)));
    // Past the budget: answered all the same, but not kept for identical misses.
    await end('over', 600);
    expect(budget.refusals).toBe(1);
    expect(await flights.join(missed('over'))).toBeNull();
    expect(await flights.join(missed('kept'))).toEqual(kept);
    // Its bytes go with its linger.
    await vi.advanceTimersByTimeAsync(1_000);
    expect(budget.held).toBe(0);
    expect(flights.size()).toBe(1); // the 'over' miss that joined above runs on
  });
});

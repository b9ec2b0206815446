import type { ExecutionResult } from 'graphql';
import { isMissReason } from './outcome.js';
import type { Flight, RequestCacheState } from './request-state.js';
import { servedAs } from './response-save.js';
import type { ByteBudget } from './stats/bounds.js';

/**
 * Single flight (DESIGN §8): identical concurrent misses run one execution, the others wait
 * for its result. Only a flight that looked up under the same invalidation generation and
 * epoch is joined, so a waiter is never answered with a result older than its own lookup.
 * `lingerMs`: how long a finished execution still answers identical misses that looked up
 * before its result was stored (at least 3/4 of it: see tick). `budget`
 * (CACHE_FLIGHT_LINGER_BYTES): the stored JSON the finished flights hold while they linger; one
 * that would pass it ends at once instead (refused), since lingering only spares a repeat.
 */
export function createSingleFlight(lingerMs = 1_000, budget?: ByteBudget) {
  const flights = new Map<string, Flight>();
  // Ended flights by the quarter of lingerMs in which they ended, newest first. One timer
  // sweeps them every quarter, while any linger, instead of one timer per execution (issue 19:
  // a timer per miss): a flight goes at the fourth tick after it ended, so it lingers 3/4 of
  // lingerMs to lingerMs, never longer (a request that shares a result stores nothing, so a
  // flight that outlived its entry's TTL would keep the next request from storing the new one).
  let ended: [string, Flight, number][][] = [[], [], [], []];
  let ticking = false;
  const tick = () => {
    for (const [flightKey, flight, bytes] of ended[3]) {
      if (flights.get(flightKey) === flight) flights.delete(flightKey);
      if (budget) budget.held -= bytes;
    }
    ended = [[], ended[0], ended[1], ended[2]];
    ticking = ended[1].length + ended[2].length + ended[3].length > 0;
    if (ticking) setTimeout(tick, lingerMs / 4).unref();
  };

  return {
    /** Flights kept (running or lingering), for tests. */
    size: () => flights.size,
    /**
     * null: this request is now the flight of its key (or takes no part), and must end() it. A
     * promise: an execution of the same lookup runs (or just ended), and its result is this
     * request's (a copy); null from the promise when that execution failed, and this request is
     * the flight then. Synchronous when there is nothing to wait for: a miss nobody shares makes
     * no promise (issue 19: the flight's promise, resolved with the result, was most of what a
     * Redis miss promoted to V8's old generation once ioredis's were gone).
     */
    join(state: RequestCacheState): Promise<ExecutionResult | null> | null {
      if (!state.seen || !state.key || !state.scope) return null;
      const flightKey = `${state.scope}\0${state.key}`;
      const running = flights.get(flightKey);
      if (
        running &&
        running.generation === state.seen.generation &&
        running.epoch === state.seen.epoch
      ) {
        return share(running, state, flights, flightKey);
      }
      begin(state, flights, flightKey);
      return null;
    },
    /**
     * Ends the request's flight, if it runs one: waiters get the result, unless it failed; as
     * the JSON it was stored as, when it was (state.body), so that what lingers is one string.
     */
    end(state: RequestCacheState, result: ExecutionResult | null) {
      const flight = state.flight;
      if (!flight || !state.scope || !state.key) return;
      state.flight = null;
      flight.reason = state.reason;
      const settled = result && !result.errors ? (state.body ?? result) : null;
      flight.etag = typeof settled === 'string' ? state.etag : null;
      flight.ended = true;
      flight.value = settled;
      flight.settle?.(settled);
      flight.settle = null;
      const flightKey = `${state.scope}\0${state.key}`;
      // What lingers: the JSON (state.body, its UTF-8 bytes measured by the save), or a result
      // never stringified (never cached: TTL 0), uncounted.
      const bytes = typeof settled === 'string' ? state.bodyBytes : 0;
      if (budget && bytes > 0 && budget.held + bytes > budget.maxBytes) {
        budget.refusals++;
        if (flights.get(flightKey) === flight) flights.delete(flightKey);
        return;
      }
      if (budget) budget.held += bytes;
      ended[0].push([flightKey, flight, bytes]);
      if (!ticking) {
        ticking = true;
        setTimeout(tick, lingerMs / 4).unref();
      }
    },
  };
}

export type SingleFlight = ReturnType<typeof createSingleFlight>;

/** Makes the request the flight of its key. */
function begin(state: RequestCacheState, flights: Map<string, Flight>, flightKey: string): void {
  const { epoch, generation } = state.seen as NonNullable<RequestCacheState['seen']>;
  state.flight = { epoch, generation, ended: false, value: null, waiting: null, settle: null };
  flights.set(flightKey, state.flight);
}

/** The flight's result, waited for by the first request that needs to (made once per flight). */
function resultOf(
  flight: Flight,
): ExecutionResult | string | null | Promise<ExecutionResult | string | null> {
  if (flight.ended) return flight.value;
  flight.waiting ??= new Promise((resolve) => {
    flight.settle = resolve;
  });
  return flight.waiting;
}

/**
 * A copy of the running flight's result for `state`; when the flight failed, `state` becomes
 * the flight of its key instead (null).
 */
async function share(
  running: Flight,
  state: RequestCacheState,
  flights: Map<string, Flight>,
  flightKey: string,
): Promise<ExecutionResult | null> {
  const result = await resultOf(running);
  if (result) {
    // Its own lookup says why it missed, unless the result could not be stored.
    state.shared = true;
    if (running.reason && !isMissReason(running.reason)) state.reason = running.reason;
    if (typeof result !== 'string') return { ...result };
    // A copy: the stored JSON read again, answered as those very bytes (what a hit would
    // answer), with their ETag.
    const copy = JSON.parse(result) as ExecutionResult;
    servedAs(copy, result);
    state.etag = running.etag ?? null;
    return copy;
  }
  begin(state, flights, flightKey);
  return null;
}

import type { ExecutionResult } from 'graphql';
import { isMissReason } from './outcome.js';
import type { Flight, RequestCacheState } from './request-state.js';

/**
 * Single flight (DESIGN §8): identical concurrent misses run one execution, the others wait
 * for its result. Only a flight that looked up under the same invalidation generation and
 * epoch is joined, so a waiter is never answered with a result older than its own lookup.
 * `lingerMs`: how long a finished execution still answers identical misses that looked up
 * before its result was stored.
 */
export function createSingleFlight(lingerMs = 1_000) {
  const flights = new Map<string, Flight>();

  return {
    /**
     * The result of a running execution of the same lookup (a copy), or null: this request is
     * now the flight of its key, and must end() it.
     */
    async join(state: RequestCacheState): Promise<ExecutionResult | null> {
      if (!state.seen || !state.key || !state.scope) return null;
      const flightKey = `${state.scope}\0${state.key}`;
      const running = flights.get(flightKey);
      if (
        running &&
        running.generation === state.seen.generation &&
        running.epoch === state.seen.epoch
      ) {
        const result = await running.result;
        if (result) {
          // Its own lookup says why it missed, unless the result could not be stored.
          state.shared = true;
          if (running.reason && !isMissReason(running.reason)) state.reason = running.reason;
          return { ...result };
        }
      }
      let settle!: (result: ExecutionResult | null) => void;
      const result = new Promise<ExecutionResult | null>((resolve) => {
        settle = resolve;
      });
      state.flight = { ...state.seen, result, settle };
      flights.set(flightKey, state.flight);
      return null;
    },
    /** Ends the request's flight, if it runs one: waiters get the result, unless it failed. */
    end(state: RequestCacheState, result: ExecutionResult | null) {
      const flight = state.flight;
      if (!flight || !state.scope || !state.key) return;
      state.flight = null;
      flight.reason = state.reason;
      flight.settle(result && !result.errors ? result : null);
      const flightKey = `${state.scope}\0${state.key}`;
      setTimeout(() => {
        if (flights.get(flightKey) === flight) flights.delete(flightKey);
      }, lingerMs).unref();
    },
  };
}

export type SingleFlight = ReturnType<typeof createSingleFlight>;

import type { ExecutionArgs } from 'graphql';

/** Where an execution's Deadline rides on its args (use-request-limits sets it, use-jit reads it). */
const DEADLINE = Symbol('hotpath.deadline');

/**
 * LIMIT_EXECUTION_MS for one execution: a timer, and an AbortSignal made only when something
 * asks for it. graphql-js's interpreter (@graphql-tools/executor) takes the signal, and stops
 * resolving fields once it is aborted; a compiled run (use-jit) only needs to be told, so it
 * registers one callback instead and no AbortController is made for it. An AbortSignal handed
 * to the executor keeps the whole execution (its rows, its result) alive past the young
 * generation's collections, which then promote it: 2 MB per scavenge in an in-process miss
 * loop, against 16 KB without (README: Where a miss's garbage collection comes from).
 */
export class Deadline {
  #controller: AbortController | null = null;
  #reason: Error | null = null;
  #onExpire: ((reason: Error) => void) | null = null;
  readonly #timer: NodeJS.Timeout;

  constructor(ms: number, reason: () => Error) {
    this.#timer = setTimeout(() => this.#expire(reason()), ms);
  }

  #expire(reason: Error) {
    this.#reason = reason;
    this.#controller?.abort(reason);
    const onExpire = this.#onExpire;
    this.#onExpire = null;
    onExpire?.(reason);
  }

  /** The interpreter's signal, made on first use (aborted already if the time is up). */
  get signal(): AbortSignal {
    if (this.#controller === null) {
      this.#controller = new AbortController();
      if (this.#reason) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  /** Throws the limit's error once the time is up. */
  throwIfExpired(): void {
    if (this.#reason) throw this.#reason;
  }

  /** `onExpire(reason)` when the time runs out (one callback; the last one given). */
  onExpire(onExpire: (reason: Error) => void): void {
    if (this.#reason) onExpire(this.#reason);
    else this.#onExpire = onExpire;
  }

  /** The execution is done: no timer, no callback left holding it. */
  clear(): void {
    clearTimeout(this.#timer);
    this.#onExpire = null;
  }
}

/**
 * Puts `deadline` on `args`, enumerable: envelop hands each executeFn a copy of the args
 * (`{ ...args, contextValue }`), which must carry it.
 */
export function setDeadline(args: ExecutionArgs, deadline: Deadline): void {
  Object.defineProperty(args, DEADLINE, { value: deadline, enumerable: true, configurable: true });
}

/** The Deadline setDeadline put on `args` (or on the args they were copied from), if any. */
export function deadlineOf(args: ExecutionArgs): Deadline | undefined {
  return (args as { [DEADLINE]?: Deadline })[DEADLINE];
}

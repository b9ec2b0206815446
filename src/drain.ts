/**
 * What a stopping process must finish before it exits: work in flight that no request waits
 * for any more (invalidations, background writes), then the hooks registered with onDrain, in
 * order (a write-behind outbox plugs its final flush in here).
 */
export function createDrain() {
  const pending = new Set<Promise<unknown>>();
  const hooks: (() => Promise<void>)[] = [];
  let draining = false;

  return {
    /** True once drain() was called: /readyz answers 503 from then on. */
    get draining() {
      return draining;
    },
    /** Keeps `work` in the set drain() waits for until it settles; returns it unchanged. */
    track<T>(work: Promise<T>): Promise<T> {
      pending.add(work);
      const forget = () => pending.delete(work);
      work.then(forget, forget);
      return work;
    },
    /** Runs `hook` during drain(), after the tracked work, once. */
    onDrain(hook: () => Promise<void>) {
      hooks.push(hook);
    },
    /** Marks the process as draining (readiness fails) without waiting for anything. */
    begin() {
      draining = true;
    },
    /** Marks the process as draining, waits for tracked work (new work included), then the hooks. */
    async drain(): Promise<void> {
      draining = true;
      while (pending.size > 0) await Promise.allSettled([...pending]);
      for (const hook of hooks.splice(0)) await hook();
    },
  };
}

export type Drain = ReturnType<typeof createDrain>;

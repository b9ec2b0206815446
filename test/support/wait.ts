import { vi } from 'vitest';

/**
 * Polls `check` (every `intervalMs`) until it holds; returns the milliseconds that took, or
 * throws after `timeoutMs`. For conditions a background task brings about (a breaker opening,
 * a refresh stored, keys expiring), never for a speed assertion.
 */
export async function waitUntil(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  intervalMs = 10,
): Promise<number> {
  const started = performance.now();
  await vi.waitFor(
    async () => {
      if (!(await check())) throw new Error(`condition not met within ${timeoutMs} ms`);
    },
    { timeout: timeoutMs, interval: intervalMs },
  );
  return Math.round(performance.now() - started);
}

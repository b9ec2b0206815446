import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ByteBudget } from '../../src/cache/stats/bounds.js';
import { createTtlSimulator } from '../../src/cache/stats/ttl-simulator.js';

// Issue 18: the TTL simulator replays a sample of answers against caches with half, the same
// and twice the TTL. A fake clock makes the figures exact.

function simulator(options: { sample?: number; maxBytes?: number } = {}) {
  let t = 0;
  const budget = new ByteBudget('ttl_simulator', options.maxBytes ?? 1_048_576);
  const sim = createTtlSimulator({ sample: options.sample ?? 1, budget, now: () => t });
  const at = (ms: number) => {
    t = ms;
  };
  const answer = (
    key: string,
    etag: string,
    ttlMs: number | null,
    invalidated = false,
    operationName = 'Q',
  ) => sim.observe({ scope: 's', key, operationName, etag, ttlMs, invalidated });
  return { sim, budget, at, answer };
}

describe('TTL simulator', () => {
  it('answers what a TTL twice as long or half as long would have given', () => {
    const { sim, at, answer } = simulator();
    at(0);
    answer('key-a', 'e1', 1_000); // the first miss fills every simulated cache
    at(600);
    answer('key-a', 'e1', null); // a hit: ×½ has expired (500 ms), ×1 and ×2 serve it
    at(1_200);
    answer('key-a', 'e1', 1_000); // expired for real; the same body: ×2 still had it
    at(1_500);
    answer('key-a', 'e1', null);
    expect(sim.report()).toEqual([
      {
        operationName: 'Q',
        sampled: 4,
        repeatsWithinTtl: 3,
        invalidatedBeforeTtl: 0,
        hitRateHalfTtl: 0.25,
        hitRate: 0.5,
        hitRateDoubleTtl: 0.75,
      },
    ]);
    // An invalidation empties every simulated cache, whatever its TTL; a new body is no repeat.
    at(1_600);
    answer('key-a', 'e2', 1_000, true);
    const [after] = sim.report();
    expect(after).toMatchObject({ sampled: 5, repeatsWithinTtl: 3, invalidatedBeforeTtl: 1 });
    expect(after.hitRateDoubleTtl).toBe(3 / 5);
  });

  it('a body that changed is a miss at every TTL', () => {
    const { sim, at, answer } = simulator();
    at(0);
    answer('key-b', 'e1', 10_000);
    at(100);
    answer('key-b', 'e2', 10_000);
    expect(sim.report()[0]).toMatchObject({ repeatsWithinTtl: 0, hitRateDoubleTtl: 0 });
  });

  it('follows only its sample, by key, and nothing at 0', () => {
    const none = simulator({ sample: 0 });
    expect(none.sim.on).toBe(false);
    none.answer('key-c', 'e1', 1_000);
    expect(none.sim.report()).toEqual([]);
    const some = simulator({ sample: 0.25 });
    // Keys are hashes, as requestKeyOf makes them.
    const keys = Array.from({ length: 4_000 }, (_, i) =>
      createHash('sha256').update(`request ${i}`).digest('base64url'),
    );
    const followed = keys.filter((k) => some.sim.follows(k)).length;
    expect(followed / keys.length).toBeGreaterThan(0.18);
    expect(followed / keys.length).toBeLessThan(0.32);
    // The same key is followed every time (and on every instance).
    expect(keys.filter((k) => some.sim.follows(k)).length).toBe(followed);
  });

  it('is bounded: keys by CACHE_TTL_SIM_BYTES (least recent go), the queue by count', () => {
    const { sim, budget, answer } = simulator({ maxBytes: 8_192 });
    for (let i = 0; i < 200; i++) answer(`key-${i}`, 'e1', 1_000);
    // Not replayed yet: the queue holds them (background pass), counted in the budget.
    expect(budget.bytes).toBeGreaterThan(0);
    sim.report();
    expect(budget.bytes).toBeLessThanOrEqual(8_192);
    expect(budget.evictions).toBeGreaterThan(0);
    for (let i = 0; i < 1_500; i++) answer(`key-${i}`, 'e1', 1_000);
    expect(budget.refusals).toBe(500);
    sim.close();
  });
});

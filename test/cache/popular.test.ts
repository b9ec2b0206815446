import { describe, expect, it } from 'vitest';
import type { TenantViewer } from '../../src/auth/viewer.js';
import { createPopularRequests } from '../../src/cache/popular.js';

/** The popular list (issue 8) on its own: what enters it, its bound, its decay. */

const tenant = (tenantId: string): TenantViewer => ({
  kind: 'tenant',
  tenantId,
  timezone: 'America/Sao_Paulo',
});
const A = tenant('a');
const B = tenant('b');
const params = (n: number | string) => ({
  query: `query Q($n: Int) { q(n: $n) }`,
  operationName: 'Q',
  variables: { n },
});

/** A deterministic PRNG (mulberry32), so a failing case can be replayed. */
function random(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

describe('the popular list', () => {
  it('lists a request on its first hit, then counts its hits and misses', () => {
    const popular = createPopularRequests({ max: 10 });
    // A miss proves nothing: it may be a mutation, or an error that is never stored.
    popular.record(A, 'k1', params(1), false);
    expect(popular.size).toBe(0);
    popular.record(A, 'k1', params(1), true);
    popular.record(A, 'k1', params(1), true);
    // Once listed, a miss (after an invalidation) counts too.
    popular.record(A, 'k1', params(1), false);
    expect(popular.countOf('a', 'k1')).toBe(3);
    expect(popular.top()).toEqual([
      {
        viewer: A,
        key: 'k1',
        query: params(1).query,
        hash: null,
        operationName: 'Q',
        variables: '{"n":1}',
        count: 3,
      },
    ]);
  });

  it('keeps tenants apart: one key in two tenants is two entries, each with its viewer', () => {
    const popular = createPopularRequests({ max: 10 });
    for (let i = 0; i < 3; i++) popular.record(A, 'same', params(1), true);
    popular.record(B, 'same', params(1), true);
    expect(popular.countOf('a', 'same')).toBe(3);
    expect(popular.countOf('b', 'same')).toBe(1);
    expect(popular.top().map((e) => [e.viewer.tenantId, e.count])).toEqual([
      ['a', 3],
      ['b', 1],
    ]);
    expect(popular.drop('b', 'same')).toBe(true);
    expect(popular.countOf('a', 'same')).toBe(3);
    expect(popular.size).toBe(1);
  });

  it('stays bounded and keeps the most requested under a flood of one-off requests', () => {
    const popular = createPopularRequests({ max: 5 });
    let oneOff = 0;
    for (let round = 0; round < 20; round++) {
      for (const hot of ['h1', 'h2', 'h3']) popular.record(A, hot, params(hot), true);
      popular.record(A, `once-${oneOff}`, params(oneOff++), true);
    }
    // 90 requests over 5 places: the guarantee covers every key sent more than 18 times.
    for (let i = 0; i < 10; i++) popular.record(A, `once-${oneOff}`, params(oneOff++), true);
    expect(popular.size).toBe(5);
    const top = popular.top();
    expect(top).toHaveLength(5);
    expect(top.slice(0, 3).map((e) => [e.key, e.count])).toEqual(
      expect.arrayContaining([
        ['h1', 20],
        ['h2', 20],
        ['h3', 20],
      ]),
    );
    // The newest one-offs hold the other two places, with (over-)estimated counts below 20.
    for (const e of top.slice(3)) {
      expect(e.key).toMatch(/^once-/);
      expect(e.count).toBeLessThan(20);
    }
  });

  it('meets the space-saving guarantees on a random skewed stream', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const next = random(seed);
      const max = 20;
      const popular = createPopularRequests({ max });
      const truth = new Map<string, number>();
      const n = 5_000;
      for (let i = 0; i < n; i++) {
        // Zipf-like: key k with probability ~ 1/k over 500 keys.
        const key = `k${Math.floor(500 ** next())}`;
        truth.set(key, (truth.get(key) ?? 0) + 1);
        popular.record(A, key, params(key), true);
      }
      const top = popular.top();
      expect(top.length).toBe(max);
      expect(popular.size).toBe(max);
      const counts = top.map((e) => e.count);
      expect(counts, `seed ${seed}`).toEqual([...counts].sort((x, y) => y - x));
      // A listed count never underestimates; every key sent more than n / max times is listed.
      for (const e of top) expect(e.count).toBeGreaterThanOrEqual(truth.get(e.key) ?? 0);
      for (const [key, count] of truth) {
        if (count > n / max)
          expect(popular.countOf('a', key), `${key}, seed ${seed}`).toBeGreaterThan(0);
      }
      // Counts add up: sum of listed counts is the number of requests (space-saving invariant).
      expect(counts.reduce((s, c) => s + c, 0)).toBe(n);
    }
  });

  it('stays consistent under random records, misses, drops and decays', () => {
    const next = random(42);
    const popular = createPopularRequests({ max: 8 });
    const viewers = [A, B];
    for (let step = 0; step < 20_000; step++) {
      const viewer = viewers[Math.floor(next() * 2)];
      const key = `k${Math.floor(30 ** next())}`;
      const roll = next();
      if (roll < 0.001) popular.decay();
      else if (roll < 0.01) popular.drop(viewer.tenantId, key);
      else popular.record(viewer, key, params(key), roll < 0.8);
      if (step % 97 !== 0) continue;
      const top = popular.top();
      expect(top.length).toBe(popular.size);
      expect(top.length).toBeLessThanOrEqual(8);
      const counts = top.map((e) => e.count);
      expect(counts).toEqual([...counts].sort((x, y) => y - x));
      expect(Math.min(...counts, 1)).toBeGreaterThan(0);
      const ids = top.map((e) => `${e.viewer.tenantId}/${e.key}`);
      expect(new Set(ids).size).toBe(ids.length);
      for (const e of top) expect(popular.countOf(e.viewer.tenantId, e.key)).toBe(e.count);
    }
  });

  it('halves every count on decay, and a request no longer sent leaves the list', () => {
    const popular = createPopularRequests({ max: 10 });
    const hits = { k1: 1, k2: 2, k3: 3, k8: 8, k9: 9 };
    for (const [key, n] of Object.entries(hits)) {
      for (let i = 0; i < n; i++) popular.record(A, key, params(key), true);
    }
    popular.decay();
    expect(popular.top().map((e) => [e.key, e.count])).toEqual([
      ['k9', 4],
      ['k8', 4],
      ['k3', 1],
      ['k2', 1],
    ]);
    // Merged buckets still count correctly.
    popular.record(A, 'k2', params('k2'), true);
    popular.record(A, 'k8', params('k8'), true);
    expect(popular.countOf('a', 'k2')).toBe(2);
    expect(popular.countOf('a', 'k8')).toBe(5);
    popular.decay();
    popular.decay();
    expect(popular.top().map((e) => [e.key, e.count])).toEqual([
      ['k8', 1],
      ['k9', 1],
    ]);
    popular.decay();
    expect(popular.size).toBe(0);
    expect(popular.top()).toEqual([]);
    // And it fills again from empty.
    popular.record(A, 'k1', params(1), true);
    expect(popular.countOf('a', 'k1')).toBe(1);
  });

  it('lists a persisted query by its hash, and its text once a request carries it', () => {
    const popular = createPopularRequests({ max: 10 });
    const extensions = { persistedQuery: { version: 1, sha256Hash: 'abc123' } };
    popular.record(A, 'apq', { variables: { n: 1 }, extensions }, true);
    expect(popular.top()[0]).toMatchObject({ query: null, hash: 'abc123', count: 1 });
    popular.record(A, 'apq', { ...params(1), extensions }, true);
    expect(popular.top()[0]).toMatchObject({ query: params(1).query, hash: 'abc123', count: 2 });
    // Neither text nor hash: nothing to send again.
    popular.record(A, 'none', { variables: {} }, true);
    expect(popular.countOf('a', 'none')).toBe(0);
  });

  it("reads a persisted-query hash as the hit path does: only Apollo's version 1", () => {
    const popular = createPopularRequests({ max: 10 });
    const other = { persistedQuery: { version: 2, sha256Hash: 'abc123' } };
    // A hash of another version is no hash (the warmer would resend it as version 1).
    popular.record(A, 'v2-text', { ...params(1), extensions: other }, true);
    expect(popular.top()[0]).toMatchObject({ key: 'v2-text', query: params(1).query, hash: null });
    popular.record(A, 'v2-alone', { variables: { n: 1 }, extensions: other }, true);
    expect(popular.countOf('a', 'v2-alone')).toBe(0);
  });

  it('leaves out excluded requests, oversized requests, and everything when max is 0', () => {
    const popular = createPopularRequests({ max: 10, maxEntryChars: 100 });
    const warmerRequest = popular.exclude(new Request('http://x/graphql'));
    popular.record(A, 'k1', params(1), true, warmerRequest);
    expect(popular.size).toBe(0);
    popular.record(A, 'k1', params(1), true, new Request('http://x/graphql'));
    expect(popular.size).toBe(1);
    popular.record(A, 'big', { query: params(1).query, variables: { s: 'x'.repeat(100) } }, true);
    expect(popular.countOf('a', 'big')).toBe(0);

    const off = createPopularRequests({ max: 0 });
    off.record(A, 'k1', params(1), true);
    expect(off.size).toBe(0);
    expect(off.top()).toEqual([]);
  });
});

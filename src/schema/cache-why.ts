import { REASONS } from '../cache/outcome.js';
import type { TtlSimulation } from '../cache/stats/ttl-simulator.js';
import type { ReasonCount } from '../cache/stats/view.js';
import { builder, listBound } from './builder.js';
import { CacheStatsRef, ClusterCacheStatsRef, OperationStatsRef } from './cache.js';

// Issue 18 (README: Why a miss, TTL simulator): cacheStats says why responses missed, and what
// a longer or shorter TTL would have given. Fields added to the types of cache.ts.

const ReasonCountRef = builder.objectRef<ReasonCount>('CacheReasonCount').implement({
  description: 'How many MISS or BYPASS responses gave this reason (X-Cache-Reason).',
  fields: (t) => ({
    reason: t.exposeString('reason', { description: `One of ${REASONS.join(', ')}.` }),
    count: t.exposeInt('count', { description: 'Responses.' }),
  }),
});

const TtlSimulationRef = builder.objectRef<TtlSimulation>('TtlSimulation').implement({
  description:
    "One operation's sampled answers (CACHE_TTL_SIM_SAMPLE of the keys) replayed against " +
    'caches whose TTL is half, the same and twice the real one. Of this process.',
  fields: (t) => ({
    operationName: t.exposeString('operationName', { description: "'anonymous' when unnamed." }),
    sampled: t.exposeInt('sampled', { description: 'Answers of followed keys.' }),
    repeatsWithinTtl: t.exposeInt('repeatsWithinTtl', {
      description: 'Answers identical to the previous one of their key, within its TTL.',
    }),
    invalidatedBeforeTtl: t.exposeInt('invalidatedBeforeTtl', {
      description: 'Misses whose entry an invalidation removed before its TTL ran out.',
    }),
    hitRateHalfTtl: t.exposeFloat('hitRateHalfTtl', {
      nullable: true,
      description: 'The hit rate with the TTL halved (0..1); null before any answer.',
    }),
    hitRate: t.exposeFloat('hitRate', {
      nullable: true,
      description: 'The simulated hit rate with the TTL as it is (compare with the real one).',
    }),
    hitRateDoubleTtl: t.exposeFloat('hitRateDoubleTtl', {
      nullable: true,
      description: 'The hit rate with the TTL doubled (0..1).',
    }),
  }),
});

builder.objectField(CacheStatsRef, 'reasons', (t) =>
  t.field({
    type: [ReasonCountRef],
    complexity: listBound(REASONS.length),
    description: 'Why MISS and BYPASS responses were not from the cache, most frequent first.',
    resolve: (s) => s.reasons,
  }),
);

builder.objectField(ClusterCacheStatsRef, 'reasons', (t) =>
  t.field({
    type: [ReasonCountRef],
    complexity: listBound(REASONS.length),
    description: 'Why MISS and BYPASS responses were not from the cache, over every instance.',
    resolve: (s) => s.reasons,
  }),
);

builder.objectField(OperationStatsRef, 'reasons', (t) =>
  t.field({
    type: [ReasonCountRef],
    complexity: listBound(REASONS.length),
    description:
      'Why its misses missed, most frequent first. Counted per instance: empty in cluster totals.',
    resolve: (s) => s.reasons ?? [],
  }),
);

builder.objectField(CacheStatsRef, 'ttlSimulation', (t) =>
  t.field({
    type: [TtlSimulationRef],
    complexity: listBound(200),
    description:
      'What a TTL twice as long or half as long would have given, per operation (README: TTL ' +
      'simulator). Of this process; empty when CACHE_TTL_SIM_SAMPLE is 0.',
    resolve: (s) => s.ttlSimulation,
  }),
);

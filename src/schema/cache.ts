import { INVALIDATABLE_TYPENAMES } from '../cache/invalidation/tags.js';
import type { ClusterView } from '../cache/stats/cluster-stats.js';
import {
  BUCKET_MS,
  type HistoryPoint,
  type InvalidationEvent,
  type StatsView,
} from '../cache/stats/view.js';
import type { CacheAdminService } from '../services/cache-admin.service.js';
import type { WarmResult } from '../warming/warming.js';
import { builder, listBound } from './builder.js';

const CacheBackendEnum = builder.enumType('CacheBackend', {
  values: {
    REDIS: { description: 'Redis (REDIS_URL), shared by every instance.' },
    MEMORY: { description: 'In this process, bounded by CACHE_MAX_ENTRIES.' },
    DISABLED: { description: 'CACHE_ENABLED=false: every request goes to the database.' },
  },
});

const TypeTtlRef = builder.objectRef<CacheStatsShape['ttlPolicy'][number]>('TypeTtl').implement({
  description: 'A response lives as long as the shortest TTL among the types it contains.',
  fields: (t) => ({
    typename: t.exposeString('typename', { description: 'A GraphQL type name.' }),
    ttlSeconds: t.exposeInt('ttlSeconds', {
      nullable: true,
      description: 'null: never expires. 0: never cached.',
    }),
  }),
});

export const OperationStatsRef = builder
  .objectRef<CacheStatsShape['byOperation'][number]>('OperationCacheStats')
  .implement({
    description: "One operation name's cache lookups in this process since it started.",
    fields: (t) => ({
      operationName: t.exposeString('operationName', { description: "'anonymous' when unnamed." }),
      hits: t.exposeInt('hits', { description: 'Answered from the cache.' }),
      misses: t.exposeInt('misses', { description: 'Not in the cache: executed.' }),
    }),
  });

const CacheLatencyRef = builder.objectRef<StatsView['latency']>('CacheLatency').implement({
  description:
    'Latency percentiles over the last windowSeconds, in milliseconds, estimated from latency ' +
    "buckets (interpolated inside a bucket, as Prometheus's histogram_quantile does). null: " +
    'no such request in the window.',
  fields: (t) => ({
    hitP50Ms: t.exposeFloat('hitP50Ms', { nullable: true, description: 'Median of hits.' }),
    hitP99Ms: t.exposeFloat('hitP99Ms', {
      nullable: true,
      description: '99th percentile of hits.',
    }),
    missP50Ms: t.exposeFloat('missP50Ms', { nullable: true, description: 'Median of misses.' }),
    missP99Ms: t.exposeFloat('missP99Ms', {
      nullable: true,
      description: '99th percentile of misses.',
    }),
    windowSeconds: t.exposeInt('windowSeconds', { description: 'How far back they look.' }),
  }),
});

const CacheStatsPointRef = builder.objectRef<HistoryPoint>('CacheStatsPoint').implement({
  description: `Requests counted in one ${BUCKET_MS / 1000} s interval.`,
  fields: (t) => ({
    at: t.expose('at', { type: 'DateTime', description: 'Start of the interval.' }),
    requests: t.exposeInt('requests', { description: 'Hits, misses and bypasses.' }),
    hits: t.exposeInt('hits', { description: 'Answered from the cache.' }),
    misses: t.exposeInt('misses', { description: 'Looked up, not found, executed.' }),
    hitRate: t.exposeFloat('hitRate', {
      nullable: true,
      description: 'hits / (hits + misses); null when there were no lookups.',
    }),
  }),
});

const historyArgs = {
  minutes: {
    description: 'How far back, at most 60.',
    defaultValue: 60,
  },
} as const;

const CacheInvalidationEventRef = builder
  .objectRef<Omit<InvalidationEvent, 'at'> & { at: Date }>('CacheInvalidationEvent')
  .implement({
    description: 'An invalidation or purge that was applied.',
    fields: (t) => ({
      at: t.expose('at', { type: 'DateTime', description: 'When it was applied.' }),
      tenantId: t.exposeID('tenantId', {
        nullable: true,
        description: 'The tenant whose entries went; null when it spanned every tenant.',
      }),
      tags: t.exposeStringList('tags', { description: 'The tags invalidated; empty for a purge.' }),
      removed: t.exposeInt('removed', { description: 'Cached responses removed.' }),
      purge: t.exposeBoolean('purge', { description: 'purgeCache: a new epoch.' }),
    }),
  });

type ClusterShape = ClusterView;

export const ClusterCacheStatsRef = builder.objectRef<ClusterShape>('ClusterCacheStats').implement({
  description:
    'Totals over every instance sharing the Redis (and CACHE_PREFIX), kept in Redis: each ' +
    'instance adds its counts every CACHE_STATS_FLUSH_MS, so they trail by up to that much.',
  fields: (t) => ({
    instances: t.exposeInt('instances', {
      description: 'Instances that reported within the last few flush intervals.',
    }),
    since: t.expose('since', {
      type: 'DateTime',
      description: 'When the first instance began counting under this prefix.',
    }),
    hits: t.exposeInt('hits', { description: 'Responses served from the cache.' }),
    misses: t.exposeInt('misses', { description: 'Lookups that found nothing.' }),
    bypasses: t.exposeInt('bypasses', { description: 'Requests that did not use the cache.' }),
    errors: t.exposeInt('errors', { description: 'Store calls that failed or timed out.' }),
    totalRequests: t.exposeInt('totalRequests', { description: 'Hits, misses and bypasses.' }),
    hitRate: t.exposeFloat('hitRate', { description: 'hits / (hits + misses), 0..1.' }),
    invalidations: t.exposeInt('invalidations', { description: 'Entries removed.' }),
    requestsPerSecond: t.exposeFloat('requestsPerSecond', {
      description: 'Over the last minute.',
    }),
    latency: t.field({
      type: CacheLatencyRef,
      description: 'Of every instance, over the last minute.',
      resolve: (s) => s.latency,
    }),
    byOperation: t.field({
      type: [OperationStatsRef],
      description: 'Hits and misses per operation name, over every instance.',
      resolve: (s) => s.byOperation,
    }),
    history: t.field({
      type: [CacheStatsPointRef],
      description: 'One point per interval, oldest first.',
      args: { minutes: t.arg.int(historyArgs.minutes) },
      resolve: (s, args) => s.history(args.minutes ?? 60),
    }),
  }),
});

/** What the service computes is what the type exposes. */
export type CacheStatsShape = Awaited<ReturnType<CacheAdminService['stats']>>;

export const CacheStatsRef = builder.objectRef<CacheStatsShape>('CacheStats').implement({
  description:
    'Counted by this process since it started, except `cluster` (every instance) and ' +
    '`recentInvalidations`; store figures come from the store.',
  fields: (t) => ({
    backend: t.field({
      type: CacheBackendEnum,
      description: 'The store this process uses.',
      resolve: (s) => s.backend,
    }),
    connected: t.exposeBoolean('connected', { description: 'The store answers now.' }),
    fallbackActive: t.exposeBoolean('fallbackActive', {
      description: 'Requests are being served without the store (it failed).',
    }),
    fallbackSince: t.expose('fallbackSince', {
      type: 'DateTime',
      nullable: true,
      description: 'When the fallback began; null while fallbackActive is false.',
    }),
    hits: t.exposeInt('hits', { description: 'Responses served from the cache.' }),
    misses: t.exposeInt('misses', {
      description: 'Lookups that found nothing, so the request was executed.',
    }),
    errors: t.exposeInt('errors', { description: 'Store calls that failed or timed out.' }),
    totalRequests: t.exposeInt('totalRequests', { description: 'Hits, misses and bypasses.' }),
    hitRate: t.exposeFloat('hitRate', {
      description: 'hits / (hits + misses), 0..1; 0 when there were none.',
    }),
    invalidations: t.exposeInt('invalidations', { description: 'Entries removed.' }),
    uptimeSeconds: t.exposeInt('uptimeSeconds', {
      description: 'Seconds since this process started; the counters start at 0 then.',
    }),
    keys: t.exposeInt('keys', {
      nullable: true,
      description:
        "Keys in the store: Redis's DBSIZE (tag indexes included; summed over the masters of a " +
        'cluster), or the in-memory entries. null when DISABLED.',
    }),
    usedMemoryBytes: t.exposeFloat('usedMemoryBytes', {
      nullable: true,
      description:
        "Redis's used_memory, in bytes, summed over the masters of a cluster; null for MEMORY " +
        'and DISABLED.',
    }),
    storeVersion: t.exposeString('storeVersion', {
      nullable: true,
      description: 'The Redis server version; null for MEMORY and DISABLED.',
    }),
    connectedClients: t.exposeInt('connectedClients', {
      nullable: true,
      description:
        "Redis's connected_clients (summed over a cluster's masters); null for MEMORY and DISABLED.",
    }),
    masters: t.exposeInt('masters', {
      nullable: true,
      description:
        'Redis masters that keys, usedMemoryBytes and connectedClients are summed over: the ' +
        "cluster's masters, 1 for a single Redis or a Sentinel master; null for MEMORY, " +
        'DISABLED, or when the store did not answer.',
    }),
    bypasses: t.exposeInt('bypasses', {
      description: 'Requests that did not use the cache (operators, mutations, fallback).',
    }),
    requestsPerSecond: t.exposeFloat('requestsPerSecond', {
      description: 'Requests per second over the last minute.',
    }),
    latency: t.field({
      type: CacheLatencyRef,
      description: 'Hit and miss latency percentiles of this process, over the last minute.',
      resolve: (s) => s.latency,
    }),
    history: t.field({
      type: [CacheStatsPointRef],
      description: 'This process: one point per interval over the last `minutes`, oldest first.',
      args: { minutes: t.arg.int(historyArgs.minutes) },
      resolve: (s, args) => s.history(args.minutes ?? 60),
    }),
    cluster: t.field({
      type: ClusterCacheStatsRef,
      nullable: true,
      description:
        'Every instance sharing the Redis. null for MEMORY and DISABLED (one process), and ' +
        'while Redis does not answer.',
      resolve: (s) => s.cluster,
    }),
    recentInvalidations: t.field({
      type: [CacheInvalidationEventRef],
      description:
        'Newest first, at most 50: of every instance on REDIS, of this process otherwise.',
      args: { limit: t.arg.int({ defaultValue: 20, description: 'At most 50.' }) },
      resolve: (s, args) => s.recentInvalidations.slice(0, Math.max(0, args.limit ?? 20)),
    }),
    ttlPolicy: t.field({
      type: [TypeTtlRef],
      complexity: listBound(20),
      description: 'The TTL table in force: defaults with the CACHE_TTL_* overrides applied.',
      resolve: (s) => s.ttlPolicy,
    }),
    byOperation: t.field({
      type: [OperationStatsRef],
      complexity: listBound(100),
      description: 'Hits and misses per operation name; bypasses are not counted.',
      resolve: (s) => s.byOperation,
    }),
  }),
});

const EntityRefInput = builder.inputType('EntityRefInput', {
  description: 'A cached entity or collection (tag <typename>:<id>), in every tenant.',
  fields: (t) => ({
    typename: t.string({
      required: true,
      description: `One of ${[...INVALIDATABLE_TYPENAMES].join(', ')}; else BAD_USER_INPUT.`,
    }),
    id: t.id({ description: 'Omitted: the whole type.' }),
  }),
});

const InvalidationResultRef = builder
  .objectRef<{ invalidatedEntities: number; epoch?: number | null }>('InvalidationResult')
  .implement({
    description: 'What an operator invalidation removed.',
    fields: (t) => ({
      invalidatedEntities: t.exposeInt('invalidatedEntities', {
        description:
          'Cached responses removed. purgeCache: the in-memory store reports how many it ' +
          'dropped; on Redis the old epoch is left to expire, uncounted (0).',
      }),
      epoch: t.int({
        nullable: true,
        description: 'purgeCache only: the new cache epoch.',
        resolve: (r) => r.epoch ?? null,
      }),
    }),
  });

const WarmResultRef = builder.objectRef<WarmResult>('WarmResult').implement({
  description: 'What a warming run did; it finishes before warmCache answers.',
  fields: (t) => ({
    usersWarmed: t.exposeInt('usersWarmed', {
      description: 'Users warmed, paid plans first; unknown ids are skipped.',
    }),
    operations: t.exposeInt('operations', {
      description:
        "Queries run: two per user (today's agenda and the services list), plus the popular ones.",
    }),
    popular: t.exposeInt('popular', {
      description:
        'Of those, the most requested cacheable requests of this instance (CACHE_WARM_TOP), each ' +
        'sent again as it came, as the tenant that sent it. 0 when userIds are given.',
    }),
    durationMs: t.exposeFloat('durationMs', { description: 'Wall time, in milliseconds.' }),
  }),
});

builder.queryFields((t) => ({
  cacheStats: t.field({
    type: CacheStatsRef,
    description: 'Operators only.',
    resolve: (_, __, ctx) => ctx.services.cache.stats(ctx.viewer),
  }),
}));

builder.mutationFields((t) => ({
  invalidateEntities: t.field({
    type: InvalidationResultRef,
    description: 'Operators only: cache control. Removes every cached response holding these.',
    args: { entities: t.arg({ type: [EntityRefInput], required: true }) },
    resolve: (_, args, ctx) =>
      ctx.services.cache.invalidateEntities(
        ctx.viewer,
        args.entities.map((e) => ({
          typename: e.typename,
          id: e.id == null ? null : String(e.id),
        })),
      ),
  }),
  invalidateType: t.field({
    type: InvalidationResultRef,
    description:
      'Operators only. Every cached response holding that type, in every tenant: ' +
      'invalidateEntities without an id. CACHE_UNAVAILABLE while the store is down.',
    args: { typename: t.arg.string({ required: true }) },
    resolve: (_, args, ctx) => ctx.services.cache.invalidateType(ctx.viewer, args.typename),
  }),
  invalidateAgenda: t.field({
    type: InvalidationResultRef,
    description: "A missing date means every day of that user's agenda.",
    args: { userId: t.arg.id({ required: true }), date: t.arg({ type: 'Date' }) },
    resolve: (_, args, ctx) =>
      ctx.services.cache.invalidateAgenda(ctx.viewer, String(args.userId), args.date),
  }),
  invalidateServices: t.field({
    type: InvalidationResultRef,
    description:
      "Operators only. The user's cached services lists (services, User.services); " +
      'NOT_FOUND for an unknown user.',
    args: { userId: t.arg.id({ required: true }) },
    resolve: (_, args, ctx) =>
      ctx.services.cache.invalidateServices(ctx.viewer, String(args.userId)),
  }),
  purgeCache: t.field({
    type: InvalidationResultRef,
    description: 'Everything, in O(1): the cache epoch moves on.',
    resolve: (_, __, ctx) => ctx.services.cache.purge(ctx.viewer),
  }),
  warmCache: t.field({
    type: WarmResultRef,
    description:
      "Today's agenda and the services of these users; without userIds, of every active user, " +
      "then the instance's most requested requests (their counts halve).",
    args: { userIds: t.arg.idList() },
    resolve: (_, args, ctx) =>
      ctx.services.cache.warm(ctx.viewer, args.userIds?.map(String) ?? null),
  }),
}));

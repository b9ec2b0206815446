import { INVALIDATABLE_TYPENAMES } from '../cache/tags.js';
import type { WarmResult } from '../cache/warming.js';
import type { CacheAdminService } from '../services/cache-admin.service.js';
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

const OperationStatsRef = builder
  .objectRef<CacheStatsShape['byOperation'][number]>('OperationCacheStats')
  .implement({
    description: "One operation name's cache lookups in this process since it started.",
    fields: (t) => ({
      operationName: t.exposeString('operationName', { description: "'anonymous' when unnamed." }),
      hits: t.exposeInt('hits', { description: 'Answered from the cache.' }),
      misses: t.exposeInt('misses', { description: 'Not in the cache: executed.' }),
    }),
  });

/** What the service computes is what the type exposes. */
type CacheStatsShape = Awaited<ReturnType<CacheAdminService['stats']>>;

const CacheStatsRef = builder.objectRef<CacheStatsShape>('CacheStats').implement({
  description: 'Counted by this process since it started; store figures come from the store.',
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
        "Keys in the store: Redis's DBSIZE (tag indexes included), or the in-memory entries. " +
        'null when DISABLED.',
    }),
    usedMemoryBytes: t.exposeFloat('usedMemoryBytes', {
      nullable: true,
      description: "Redis's used_memory, in bytes; null for MEMORY and DISABLED.",
    }),
    storeVersion: t.exposeString('storeVersion', {
      nullable: true,
      description: 'The Redis server version; null for MEMORY and DISABLED.',
    }),
    connectedClients: t.exposeInt('connectedClients', {
      nullable: true,
      description: "Redis's connected_clients; null for MEMORY and DISABLED.",
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
      description: "Queries run: two per user, today's agenda and the services list.",
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
    description: "Today's agenda and the services of these users, or of every active user.",
    args: { userIds: t.arg.idList() },
    resolve: (_, args, ctx) =>
      ctx.services.cache.warm(ctx.viewer, args.userIds?.map(String) ?? null),
  }),
}));

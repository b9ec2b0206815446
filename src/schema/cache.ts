import { builder } from './builder.js';

const CacheBackendEnum = builder.enumType('CacheBackend', {
  values: {
    REDIS: { description: 'Redis (REDIS_URL), shared by every instance.' },
    MEMORY: { description: 'In this process, bounded by CACHE_MAX_ENTRIES.' },
    DISABLED: { description: 'CACHE_ENABLED=false: every request goes to the database.' },
  },
});

const TypeTtlRef = builder
  .objectRef<{ typename: string; ttlSeconds: number | null }>('TypeTtl')
  .implement({
    fields: (t) => ({
      typename: t.exposeString('typename'),
      ttlSeconds: t.exposeInt('ttlSeconds', {
        nullable: true,
        description: 'null: never expires.',
      }),
    }),
  });

const OperationStatsRef = builder
  .objectRef<{ operationName: string; hits: number; misses: number }>('OperationCacheStats')
  .implement({
    fields: (t) => ({
      operationName: t.exposeString('operationName', { description: "'anonymous' when unnamed." }),
      hits: t.exposeInt('hits'),
      misses: t.exposeInt('misses'),
    }),
  });

interface CacheStatsShape {
  backend: 'REDIS' | 'MEMORY' | 'DISABLED';
  connected: boolean;
  fallbackActive: boolean;
  fallbackSince: Date | null;
  hits: number;
  misses: number;
  errors: number;
  totalRequests: number;
  hitRate: number;
  invalidations: number;
  uptimeSeconds: number;
  keys: number | null;
  usedMemoryBytes: number | null;
  storeVersion: string | null;
  connectedClients: number | null;
  ttlPolicy: { typename: string; ttlSeconds: number | null }[];
  byOperation: { operationName: string; hits: number; misses: number }[];
}

const CacheStatsRef = builder.objectRef<CacheStatsShape>('CacheStats').implement({
  description: 'Counted by this process since it started; store figures come from the store.',
  fields: (t) => ({
    backend: t.field({ type: CacheBackendEnum, resolve: (s) => s.backend }),
    connected: t.exposeBoolean('connected', { description: 'The store answers now.' }),
    fallbackActive: t.exposeBoolean('fallbackActive', {
      description: 'Requests are being served without the store (it failed).',
    }),
    fallbackSince: t.expose('fallbackSince', { type: 'DateTime', nullable: true }),
    hits: t.exposeInt('hits'),
    misses: t.exposeInt('misses'),
    errors: t.exposeInt('errors', { description: 'Store calls that failed or timed out.' }),
    totalRequests: t.exposeInt('totalRequests', { description: 'Hits, misses and bypasses.' }),
    hitRate: t.exposeFloat('hitRate', {
      description: 'hits / (hits + misses), 0..1; 0 when there were none.',
    }),
    invalidations: t.exposeInt('invalidations', { description: 'Entries removed.' }),
    uptimeSeconds: t.exposeInt('uptimeSeconds'),
    keys: t.exposeInt('keys', { nullable: true }),
    usedMemoryBytes: t.exposeFloat('usedMemoryBytes', { nullable: true }),
    storeVersion: t.exposeString('storeVersion', { nullable: true }),
    connectedClients: t.exposeInt('connectedClients', { nullable: true }),
    ttlPolicy: t.field({ type: [TypeTtlRef], resolve: (s) => s.ttlPolicy }),
    byOperation: t.field({ type: [OperationStatsRef], resolve: (s) => s.byOperation }),
  }),
});

const EntityRefInput = builder.inputType('EntityRefInput', {
  fields: (t) => ({
    typename: t.string({ required: true }),
    id: t.id({ description: 'Omitted: the whole type.' }),
  }),
});

const InvalidationResultRef = builder
  .objectRef<{ invalidatedEntities: number; epoch?: number | null }>('InvalidationResult')
  .implement({
    fields: (t) => ({
      invalidatedEntities: t.exposeInt('invalidatedEntities', {
        description:
          'Cached responses removed. purgeCache: the in-memory store reports how many it dropped; on Redis the old epoch is left to expire, uncounted (0).',
      }),
      epoch: t.int({
        nullable: true,
        description: 'purgeCache only: the new cache epoch.',
        resolve: (r) => r.epoch ?? null,
      }),
    }),
  });

const WarmResultRef = builder
  .objectRef<{ usersWarmed: number; operations: number; durationMs: number }>('WarmResult')
  .implement({
    fields: (t) => ({
      usersWarmed: t.exposeInt('usersWarmed'),
      operations: t.exposeInt('operations'),
      durationMs: t.exposeFloat('durationMs'),
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

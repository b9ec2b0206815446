import { z } from 'zod';
import type { Viewer } from '../auth/viewer.js';
import type { TenantBudgetStats } from '../budget/budgets.js';
import { agendaTag, INVALIDATABLE_TYPENAMES, serviceListTag } from '../cache/invalidation/tags.js';
import type { CacheRuntime } from '../cache/runtime.js';
import type { TopologyStoreInfo } from '../cache/store/topology.js';
import { Tenant } from '../db/entities/tenant.entity.js';
import { User } from '../db/entities/user.entity.js';
import { cacheUnavailable, notFound } from '../errors/errors.js';
import { calendarDate, parseInput } from '../validation.js';
import type { WarmResult } from '../warming/warming.js';
import { requireOperator } from './access.js';
import type { ServiceDeps } from './deps.js';

/** Live queries as cacheStats reports them (src/live counts them). */
export interface LiveStats {
  streams: number;
  groups: number;
  pushes: number;
  executions: number;
  refused: number;
  bytes: number;
}

export interface CacheAdminDeps {
  runtime: CacheRuntime;
  /** Late-bound: the warmer runs requests through the server built after the services. */
  warm: (userIds?: string[] | null) => Promise<WarmResult>;
  /**
   * Live queries: their counts, and where an operator's invalidation is announced so that the
   * live results it reaches run again on every instance (tenantId null: a purge).
   */
  live?: { counts(): LiveStats; announce(tenantId: string | null, tags: string[]): void };
  /** Per tenant: budget points used, throttled requests, time queued (none when off). */
  budgets?: () => TenantBudgetStats[];
}

const typename = z.string().refine((t) => INVALIDATABLE_TYPENAMES.has(t), {
  message: `must be one of ${[...INVALIDATABLE_TYPENAMES].join(', ')}`,
});
const entityRefs = z
  .array(z.object({ typename, id: z.string().min(1).max(200).nullish() }))
  .min(1, 'must name at least one entity')
  .max(1000, 'at most 1000 entities at once');

/** The operator's side of the cache: stats, invalidation, purge, warming. */
export class CacheAdminService {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly cache: CacheAdminDeps,
  ) {}

  async stats(viewer: Viewer) {
    requireOperator(viewer);
    const { runtime } = this.cache;
    const [info, cluster] = await Promise.all([
      runtime.store?.info() ?? null,
      // Redis not answering leaves the cluster figures out; this process's still show.
      runtime.cluster?.read().catch((err) => {
        this.deps.logger.debug({ err }, 'cluster stats unavailable');
        return null;
      }) ?? null,
    ]);
    const breaker = runtime.store?.state();
    const own = runtime.stats.view();
    return {
      backend: runtime.backend,
      connected: runtime.connected(),
      fallbackActive: breaker?.fallbackActive ?? false,
      fallbackSince: breaker?.fallbackSince ?? null,
      ...own,
      uptimeSeconds: Math.floor((Date.now() - runtime.stats.startedAt) / 1000),
      keys: info?.keys ?? null,
      usedMemoryBytes: info?.usedMemoryBytes ?? null,
      storeVersion: info?.version ?? null,
      connectedClients: info?.connectedClients ?? null,
      masters: info && 'masters' in info ? (info as TopologyStoreInfo).masters : null,
      ttlSimulation: runtime.ttlSimulator.report(),
      ttlPolicy: [...runtime.policy].map(([name, ms]) => ({
        typename: name,
        ttlSeconds: ms === null ? null : Math.round(ms / 1000),
      })),
      cluster,
      budgets: this.cache.budgets?.() ?? [],
      recentInvalidations: (
        cluster?.recentInvalidations ?? runtime.stats.recentInvalidations()
      ).map((e) => ({ ...e, at: new Date(e.at) })),
      live: this.cache.live?.counts() ?? null,
    };
  }

  /** A ref without id means the whole type. Applies to every tenant's entries. */
  async invalidateEntities(viewer: Viewer, refs: { typename: string; id?: string | null }[]) {
    requireOperator(viewer);
    const parsed = parseInput(entityRefs, refs, 'entities');
    const tags = parsed.map((r) => (r.id ? `${r.typename}:${r.id}` : r.typename));
    const tenants = await this.deps.db.getRepository(Tenant).find({ select: { id: true } });
    let removed = 0;
    for (const tenant of tenants) removed += await this.apply(tenant.id, tags);
    // One event for the whole sweep, not one per tenant.
    this.cache.runtime.stats.invalidated(removed, { tenantId: null, tags, purge: false });
    return { invalidatedEntities: removed };
  }

  invalidateType(viewer: Viewer, name: string) {
    return this.invalidateEntities(viewer, [{ typename: name }]);
  }

  /** Without a date: every day of that user. */
  async invalidateAgenda(viewer: Viewer, userId: string, date?: string | null) {
    requireOperator(viewer);
    const day = date == null ? undefined : parseInput(calendarDate, date, 'date');
    const user = await this.user(userId);
    return this.applyAndRecord(user.tenantId, [agendaTag(user.id, day)]);
  }

  async invalidateServices(viewer: Viewer, userId: string) {
    requireOperator(viewer);
    const user = await this.user(userId);
    return this.applyAndRecord(user.tenantId, [serviceListTag(user.id)]);
  }

  /**
   * Everything, in O(1): a new epoch, under which no earlier entry is reachable. The memory
   * store drops its entries and says how many; Redis entries of the old epoch are left to
   * expire by their TTL, uncounted (counting them would mean scanning the keyspace).
   */
  async purge(viewer: Viewer) {
    requireOperator(viewer);
    const { store } = this.cache.runtime;
    if (!store) return { invalidatedEntities: 0, epoch: null };
    if (store.state().fallbackActive) throw cacheUnavailable();
    const held = store.backend === 'MEMORY' ? ((await store.info())?.keys ?? 0) : 0;
    const epoch = await store.purge().catch(() => Promise.reject(cacheUnavailable()));
    this.cache.runtime.stats.invalidated(held, { tenantId: null, tags: [], purge: true });
    this.cache.live?.announce(null, []);
    this.deps.logger.info({ component: 'cache', epoch, held }, 'cache purged');
    return { invalidatedEntities: held, epoch };
  }

  warm(viewer: Viewer, userIds?: string[] | null) {
    requireOperator(viewer);
    return this.cache.warm(userIds);
  }

  private async user(userId: string) {
    const user = await this.deps.db.getRepository(User).findOneBy({ id: userId });
    if (!user) throw notFound('User', userId);
    return user;
  }

  private async applyAndRecord(tenantId: string, tags: string[]) {
    const removed = await this.apply(tenantId, tags);
    this.cache.runtime.stats.invalidated(removed, { tenantId, tags, purge: false });
    return { invalidatedEntities: removed };
  }

  private async apply(tenantId: string, tags: string[]) {
    const { store } = this.cache.runtime;
    if (!store) return 0;
    const removed = await store.invalidate(tenantId, tags);
    if (removed === null) throw cacheUnavailable();
    this.cache.live?.announce(tenantId, tags);
    this.deps.logger.info({ component: 'cache', tenantId, tags, removed }, 'cache invalidated');
    return removed;
  }
}

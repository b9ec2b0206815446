import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Viewer } from '../auth/viewer.js';
import { analyticsTag, storeListTag } from '../cache/invalidation/tags.js';
import { Sale } from '../db/entities/sale.entity.js';
import { Store } from '../db/entities/store.entity.js';
import { notFound } from '../errors/errors.js';
import { localDate } from '../time.js';
import { id, instant, name, parseInput } from '../validation.js';
import { requireTenant } from './access.js';
import type { ServiceDeps } from './deps.js';

export const channel = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(50, 'must be at most 50 characters');

const saleInput = z.object({
  storeId: id,
  channel,
  amountCents: z.number().int().min(0, 'must not be negative').max(1_000_000_000, 'is too large'),
  soldAt: instant,
});

export class SaleService {
  constructor(private readonly deps: ServiceDeps) {}

  stores(viewer: Viewer) {
    const { tenantId } = requireTenant(viewer);
    return this.deps.db.getRepository(Store).find({ where: { tenantId }, order: { name: 'ASC' } });
  }

  async createStore(viewer: Viewer, storeName: string) {
    const { tenantId } = requireTenant(viewer);
    const input = parseInput(z.object({ name }), { name: storeName }, '');
    return this.deps.cache.transaction(async (em, invalidate) => {
      const store = await em.save(
        em.create(Store, {
          id: randomUUID(),
          tenantId,
          name: input.name,
          createdAt: this.deps.clock(),
        }),
      );
      invalidate(tenantId, [storeListTag(tenantId)]);
      return store;
    });
  }

  /** Stales only the reports covering the sale's month, in the tenant's time zone. */
  async record(viewer: Viewer, args: z.input<typeof saleInput>) {
    const { tenantId, timezone } = requireTenant(viewer);
    const input = parseInput(saleInput, args);
    return this.deps.cache.transaction(async (em, invalidate) => {
      if (!(await em.existsBy(Store, { id: input.storeId, tenantId }))) {
        throw notFound('Store', input.storeId);
      }
      const sale = await em.save(em.create(Sale, { id: randomUUID(), tenantId, ...input }));
      const month = localDate(sale.soldAt, timezone).slice(0, 7);
      invalidate(tenantId, [analyticsTag(tenantId, month)]);
      return sale;
    });
  }
}

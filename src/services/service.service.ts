import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { z } from 'zod';
import type { Viewer } from '../auth/viewer.js';
import { entityTag, serviceListTag } from '../cache/invalidation/tags.js';
import { Service } from '../db/entities/service.entity.js';
import { User } from '../db/entities/user.entity.js';
import { notFound } from '../errors/errors.js';
import { id, type Nullable, name, parseInput, withoutNulls } from '../validation.js';
import { requireTenant } from './access.js';
import type { ServiceDeps } from './deps.js';

const durationMinutes = z
  .number()
  .int()
  .min(5, 'must be between 5 and 600 minutes')
  .max(600, 'must be between 5 and 600 minutes');
const priceCents = z
  .number()
  .int()
  .min(0, 'must not be negative')
  .max(100_000_000, 'must be at most 100000000 cents');

const createInput = z.object({ userId: id, name, durationMinutes, priceCents });
const updateInput = z.object({
  name: name.optional(),
  durationMinutes: durationMinutes.optional(),
  priceCents: priceCents.optional(),
  active: z.boolean().optional(),
});

/** What a provider offers. Deleting keeps the row so booked appointments still show it. */
export class ServiceService {
  constructor(private readonly deps: ServiceDeps) {}

  async create(viewer: Viewer, args: z.input<typeof createInput>) {
    const { tenantId } = requireTenant(viewer);
    const input = parseInput(createInput, args);
    return this.deps.cache.transaction(async (em, invalidate) => {
      if (!(await em.existsBy(User, { id: input.userId, tenantId }))) {
        throw notFound('User', input.userId);
      }
      const service = await em.save(
        em.create(Service, {
          id: randomUUID(),
          tenantId,
          ...input,
          active: true,
          createdAt: this.deps.clock(),
          deletedAt: null,
        }),
      );
      invalidate(tenantId, [serviceListTag(service.userId)]);
      return service;
    });
  }

  async update(viewer: Viewer, serviceId: string, args: Nullable<z.input<typeof updateInput>>) {
    const { tenantId } = requireTenant(viewer);
    const input = parseInput(updateInput, withoutNulls(args));
    return this.deps.cache.transaction(async (em, invalidate) => {
      const row = await this.findLive(em, tenantId, serviceId);
      const service = await em.save(Object.assign(row, input));
      invalidate(tenantId, this.tags(service));
      return service;
    });
  }

  async delete(viewer: Viewer, serviceId: string) {
    const { tenantId } = requireTenant(viewer);
    return this.deps.cache.transaction(async (em, invalidate) => {
      const row = await this.findLive(em, tenantId, serviceId);
      const service = await em.save(
        Object.assign(row, { active: false, deletedAt: this.deps.clock() }),
      );
      invalidate(tenantId, this.tags(service));
      return service;
    });
  }

  private async findLive(em: EntityManager, tenantId: string, serviceId: string) {
    const row = await em.findOneBy(Service, { id: serviceId, tenantId });
    if (!row || row.deletedAt) throw notFound('Service', serviceId);
    return row;
  }

  /** The provider's list, and every cached response that shows this service. */
  private tags(service: Service) {
    return [serviceListTag(service.userId), entityTag('Service', service.id)];
  }
}

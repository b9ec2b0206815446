import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { z } from 'zod';
import type { TenantViewer, Viewer } from '../auth/viewer.js';
import { agendaTag, entityTag, megaStatsTag } from '../cache/invalidation/tags.js';
import { APPOINTMENT_STATUSES, Appointment } from '../db/entities/appointment.entity.js';
import { Service } from '../db/entities/service.entity.js';
import { User } from '../db/entities/user.entity.js';
import { badInput, notFound } from '../errors/errors.js';
import { localDate } from '../time.js';
import { id, instant, type Nullable, name, parseInput, withoutNulls } from '../validation.js';
import { requireTenant } from './access.js';
import type { ServiceDeps } from './deps.js';

const startsAt = instant.refine(
  (d) => d.getUTCFullYear() >= 2000 && d.getUTCFullYear() <= 2100,
  'must be between the years 2000 and 2100',
);
const createInput = z.object({
  userId: id,
  serviceId: id,
  clientName: name,
  startsAt,
  status: z.enum(APPOINTMENT_STATUSES).default('PENDING'),
});
const updateInput = z.object({
  startsAt: startsAt.optional(),
  clientName: name.optional(),
  status: z.enum(APPOINTMENT_STATUSES).optional(),
  serviceId: id.optional(),
});

const MINUTE = 60_000;

export class AppointmentService {
  constructor(private readonly deps: ServiceDeps) {}

  async create(viewer: Viewer, args: Nullable<z.input<typeof createInput>>) {
    const tenant = requireTenant(viewer);
    const input = parseInput(createInput, withoutNulls(args));
    return this.deps.cache.transaction(async (em, invalidate) => {
      if (!(await em.existsBy(User, { id: input.userId, tenantId: tenant.tenantId }))) {
        throw notFound('User', input.userId);
      }
      const service = await this.bookableService(
        em,
        tenant.tenantId,
        input.userId,
        input.serviceId,
      );
      const now = this.deps.clock();
      const appointment = await em.save(
        em.create(Appointment, {
          id: randomUUID(),
          tenantId: tenant.tenantId,
          ...input,
          endsAt: new Date(input.startsAt.getTime() + service.durationMinutes * MINUTE),
          createdAt: now,
          updatedAt: now,
        }),
      );
      invalidate(tenant.tenantId, this.tags(tenant, appointment));
      return appointment;
    });
  }

  async update(viewer: Viewer, appointmentId: string, args: Nullable<z.input<typeof updateInput>>) {
    const tenant = requireTenant(viewer);
    const input = parseInput(updateInput, withoutNulls(args));
    return this.deps.cache.transaction(async (em, invalidate) => {
      const row = await this.find(em, tenant.tenantId, appointmentId);
      const before = { ...row };
      const serviceId = input.serviceId ?? row.serviceId;
      const service =
        input.serviceId && input.serviceId !== row.serviceId
          ? await this.bookableService(em, tenant.tenantId, row.userId, serviceId)
          : await em.findOneByOrFail(Service, { id: serviceId });
      Object.assign(row, input);
      row.endsAt = new Date(row.startsAt.getTime() + service.durationMinutes * MINUTE);
      row.updatedAt = this.deps.clock();
      const appointment = await em.save(row);
      invalidate(tenant.tenantId, this.tags(tenant, appointment, before));
      return appointment;
    });
  }

  async cancel(viewer: Viewer, appointmentId: string) {
    const tenant = requireTenant(viewer);
    return this.deps.cache.transaction(async (em, invalidate) => {
      const row = await this.find(em, tenant.tenantId, appointmentId);
      row.status = 'CANCELLED';
      row.updatedAt = this.deps.clock();
      const appointment = await em.save(row);
      invalidate(tenant.tenantId, this.tags(tenant, appointment));
      return appointment;
    });
  }

  private async find(em: EntityManager, tenantId: string, appointmentId: string) {
    const row = await em.findOneBy(Appointment, { id: appointmentId, tenantId });
    if (!row) throw notFound('Appointment', appointmentId);
    return row;
  }

  private async bookableService(
    em: EntityManager,
    tenantId: string,
    userId: string,
    serviceId: string,
  ) {
    const service = await em.findOneBy(Service, { id: serviceId, tenantId });
    if (!service || service.deletedAt) throw notFound('Service', serviceId);
    if (service.userId !== userId) {
      throw badInput('input.serviceId', 'is a service of another provider');
    }
    if (!service.active) throw badInput('input.serviceId', 'is not active');
    return service;
  }

  /** The provider's day (before and after a move), the tenant's stats, and the row itself. */
  private tags(tenant: TenantViewer, after: Appointment, before?: Appointment) {
    const days = new Set(
      [after, before ?? after].map((a) =>
        agendaTag(a.userId, localDate(a.startsAt, tenant.timezone)),
      ),
    );
    return [...days, megaStatsTag(tenant.tenantId), entityTag('Appointment', after.id)];
  }
}

import { randomBytes, randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { hashApiKey } from '../../src/db/api-keys.js';
import { ApiKey } from '../../src/db/entities/api-key.entity.js';
import { Appointment } from '../../src/db/entities/appointment.entity.js';
import { Service } from '../../src/db/entities/service.entity.js';
import { Tenant } from '../../src/db/entities/tenant.entity.js';
import { User } from '../../src/db/entities/user.entity.js';

/** A tenant and one API key of its own, written straight to the database. */
export async function seedTenant(db: DataSource, name: string, timezone: string) {
  const tenant = await db.getRepository(Tenant).save({
    id: randomUUID(),
    name,
    timezone,
    createdAt: new Date(),
  });
  const key = `hp_bench_${randomBytes(12).toString('hex')}`;
  await db.getRepository(ApiKey).save({
    id: randomUUID(),
    tenantId: tenant.id,
    keyHash: hashApiKey(key),
    createdAt: new Date(),
  });
  return { id: tenant.id, key };
}

/** A provider on the PRO plan with one bookable 15-minute service. */
export async function seedProvider(db: DataSource, tenantId: string, name: string) {
  const user = await db.getRepository(User).save({
    id: randomUUID(),
    tenantId,
    name,
    plan: 'PRO',
    createdAt: new Date(),
  });
  const service = await db.getRepository(Service).save({
    id: randomUUID(),
    tenantId,
    userId: user.id,
    name: 'Visit',
    durationMinutes: 15,
    priceCents: 10_000,
    active: true,
    createdAt: new Date(),
    deletedAt: null,
  });
  return { userId: user.id, serviceId: service.id };
}

/**
 * `count` CONFIRMED appointments of `userId` with `serviceId`, spread evenly over the UTC day
 * `date` (YYYY-MM-DD), written straight to the database in batches: bench:curves's agendas of
 * 10, 100 and 400 appointments (2.9, 28 and 112 KB of JSON, as in issue 19). Client names are
 * padded to one length, so the body grows by the same bytes per appointment.
 */
export async function seedAppointments(
  db: DataSource,
  owner: { tenantId: string; userId: string; serviceId: string },
  date: string,
  count: number,
) {
  const dayStart = Date.parse(`${date}T00:00:00.000Z`);
  const slotMs = Math.floor((24 * 60 * 60_000) / count / 60_000) * 60_000 || 60_000;
  const now = new Date();
  const rows = Array.from({ length: count }, (_, i) => {
    const startsAt = new Date(dayStart + i * slotMs);
    return {
      id: randomUUID(),
      tenantId: owner.tenantId,
      userId: owner.userId,
      serviceId: owner.serviceId,
      clientName: `Client ${String(i + 1).padStart(4, '0')}`,
      startsAt,
      endsAt: new Date(startsAt.getTime() + 15 * 60_000),
      status: 'CONFIRMED' as const,
      createdAt: now,
      updatedAt: now,
    };
  });
  const repository = db.getRepository(Appointment);
  for (let i = 0; i < rows.length; i += 100) await repository.insert(rows.slice(i, i + 100));
  return rows.length;
}

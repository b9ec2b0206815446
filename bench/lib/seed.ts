import { randomBytes, randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { hashApiKey } from '../../src/db/api-keys.js';
import { ApiKey } from '../../src/db/entities/api-key.entity.js';
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

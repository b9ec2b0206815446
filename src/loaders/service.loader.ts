import { type DataSource, In, IsNull } from 'typeorm';
import { Service } from '../db/entities/service.entity.js';
import { inKeyOrder } from './rows.js';

/** Deleted services too: an appointment keeps showing the service it was booked for. */
export async function loadServices(db: DataSource, tenantId: string, ids: readonly string[]) {
  const rows = await db.getRepository(Service).findBy({ tenantId, id: In([...ids]) });
  return inKeyOrder(ids, rows, (s) => s.id);
}

/** The offered (not deleted) services of several providers, flat; group by userId. */
export function loadServicesOfUsers(db: DataSource, tenantId: string, userIds: readonly string[]) {
  return db.getRepository(Service).find({
    where: { tenantId, userId: In([...userIds]), deletedAt: IsNull() },
    order: { name: 'ASC', id: 'ASC' },
  });
}

import { type DataSource, In, IsNull } from 'typeorm';
import { Service } from '../db/entities/service.entity.js';
import { booleanOf, instantOf, instantOrNull, preparedSelect } from './prepared.js';
import { inKeyOrder } from './rows.js';

const COLUMNS = [
  'id',
  'tenantId',
  'userId',
  'name',
  'durationMinutes',
  'priceCents',
  'active',
  'createdAt',
  'deletedAt',
] as const;
type Row = Record<(typeof COLUMNS)[number], unknown>;

/** A tenant's services by id, deleted ones too: values are the tenant, then the ids. */
const selectServices = preparedSelect((db, count, slot) => {
  const query = db
    .getRepository(Service)
    .createQueryBuilder('s')
    .select(`s.${COLUMNS[0]}`, COLUMNS[0]);
  for (const column of COLUMNS.slice(1)) query.addSelect(`s.${column}`, column);
  return query
    .where('s.tenantId = :tenantId', { tenantId: slot(0) })
    .andWhere('s.id IN (:...ids)', { ids: Array.from({ length: count }, (_, i) => slot(1 + i)) });
});

const serviceOf = (row: Row): Service => ({
  id: String(row.id),
  tenantId: String(row.tenantId),
  userId: String(row.userId),
  name: String(row.name),
  durationMinutes: Number(row.durationMinutes),
  priceCents: Number(row.priceCents),
  active: booleanOf(row.active),
  createdAt: instantOf(row.createdAt),
  deletedAt: instantOrNull(row.deletedAt),
});

/** Deleted services too: an appointment keeps showing the service it was booked for. */
export async function loadServices(db: DataSource, tenantId: string, ids: readonly string[]) {
  const rows = await selectServices<Row>(db, ids.length, [tenantId, ...ids]);
  return inKeyOrder(ids, rows.map(serviceOf), (s) => s.id);
}

/** The offered (not deleted) services of several providers, flat; group by userId. */
export function loadServicesOfUsers(db: DataSource, tenantId: string, userIds: readonly string[]) {
  return db.getRepository(Service).find({
    where: { tenantId, userId: In([...userIds]), deletedAt: IsNull() },
    order: { name: 'ASC', id: 'ASC' },
  });
}

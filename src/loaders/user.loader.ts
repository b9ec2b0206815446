import type { DataSource } from 'typeorm';
import { type Plan, User } from '../db/entities/user.entity.js';
import { instantOf, preparedSelect } from './prepared.js';
import { inKeyOrder } from './rows.js';

const COLUMNS = ['id', 'tenantId', 'name', 'plan', 'createdAt'] as const;
type Row = Record<(typeof COLUMNS)[number], unknown>;

/** A tenant's users by id: values are the tenant, then the ids. */
const selectUsers = preparedSelect((db, count, slot) => {
  const query = db
    .getRepository(User)
    .createQueryBuilder('u')
    .select(`u.${COLUMNS[0]}`, COLUMNS[0]);
  for (const column of COLUMNS.slice(1)) query.addSelect(`u.${column}`, column);
  return query
    .where('u.tenantId = :tenantId', { tenantId: slot(0) })
    .andWhere('u.id IN (:...ids)', { ids: Array.from({ length: count }, (_, i) => slot(1 + i)) });
});

const userOf = (row: Row): User => ({
  id: String(row.id),
  tenantId: String(row.tenantId),
  name: String(row.name),
  plan: String(row.plan) as Plan,
  createdAt: instantOf(row.createdAt),
});

export async function loadUsers(db: DataSource, tenantId: string, ids: readonly string[]) {
  const rows = await selectUsers<Row>(db, ids.length, [tenantId, ...ids]);
  return inKeyOrder(ids, rows.map(userOf), (u) => u.id);
}

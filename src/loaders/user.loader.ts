import { type DataSource, In } from 'typeorm';
import { User } from '../db/entities/user.entity.js';
import { inKeyOrder } from './rows.js';

export async function loadUsers(db: DataSource, tenantId: string, ids: readonly string[]) {
  const rows = await db.getRepository(User).findBy({ tenantId, id: In([...ids]) });
  return inKeyOrder(ids, rows, (u) => u.id);
}

import { type DataSource, In } from 'typeorm';
import { Store } from '../db/entities/store.entity.js';
import { inKeyOrder } from './rows.js';

export async function loadStores(db: DataSource, tenantId: string, ids: readonly string[]) {
  const rows = await db.getRepository(Store).findBy({ tenantId, id: In([...ids]) });
  return inKeyOrder(ids, rows, (s) => s.id);
}

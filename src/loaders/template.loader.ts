import { type DataSource, In } from 'typeorm';
import { MessageTemplate } from '../db/entities/message-template.entity.js';
import { inKeyOrder } from './rows.js';

export async function loadTemplates(db: DataSource, tenantId: string, ids: readonly string[]) {
  const rows = await db.getRepository(MessageTemplate).findBy({ tenantId, id: In([...ids]) });
  return inKeyOrder(ids, rows, (t) => t.id);
}

import { type DataSource, In } from 'typeorm';
import { WhatsAppSession } from '../db/entities/whatsapp-session.entity.js';
import { inKeyOrder } from './rows.js';

export async function loadSessions(db: DataSource, tenantId: string, ids: readonly string[]) {
  const rows = await db.getRepository(WhatsAppSession).findBy({ tenantId, id: In([...ids]) });
  return inKeyOrder(ids, rows, (s) => s.id);
}

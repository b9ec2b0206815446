import type { EntityManager } from 'typeorm';

/**
 * Collection tags (DESIGN §4). Ids are hierarchical: invalidating a tag also reaches every tag
 * that extends it with more `:`-separated parts (`Agenda:<userId>` covers every day).
 */
export const agendaTag = (userId: string, date?: string) =>
  date ? `Agenda:${userId}:${date}` : `Agenda:${userId}`;
export const serviceListTag = (userId: string) => `ServiceList:${userId}`;
export const templateTag = (tenantId: string) => `Template:${tenantId}`;
export const megaStatsTag = (tenantId: string) => `MegaStats:${tenantId}`;
export const analyticsTag = (tenantId: string, month?: string) =>
  month ? `Analytics:${tenantId}:${month}` : `Analytics:${tenantId}`;
export const sessionTag = (sessionId: string) => `Session:${sessionId}`;
export const storeListTag = (tenantId: string) => `StoreList:${tenantId}`;
export const entityTag = (typename: string, id: string) => `${typename}:${id}`;

/** Records the tags a write invalidates, durably, and applies them after commit. */
export interface CacheInvalidator {
  /**
   * Runs `work` in a database transaction. The tags given to `invalidate` become rows of the
   * outbox in that transaction, and are applied to the cache once it has committed (DESIGN §6).
   */
  transaction<T>(
    work: (em: EntityManager, invalidate: (tenantId: string, tags: string[]) => void) => Promise<T>,
  ): Promise<T>;
}

/** What operators may name in invalidateType / invalidateEntities: response types and collections. */
export const INVALIDATABLE_TYPENAMES = new Set([
  'Tenant',
  'User',
  'Service',
  'Appointment',
  'Agenda',
  'MessageTemplate',
  'AnalyticsReport',
  'MegaStats',
  'Store',
  'WhatsAppSession',
  'SessionStatus',
  'QrCode',
  'DeviceCredential',
  'ServiceList',
  'Template',
  'Analytics',
  'Session',
  'StoreList',
]);

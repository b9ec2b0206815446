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

/** Applies a write's tags once its transaction has committed. */
export interface CacheInvalidator {
  invalidate(tenantId: string, tags: string[]): Promise<void>;
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

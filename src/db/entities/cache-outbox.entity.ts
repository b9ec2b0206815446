import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { idColumn, instantColumn, refColumn } from '../columns.js';

/**
 * One write's cache invalidations, inserted in the write's transaction and deleted once they
 * are applied to the cache store (DESIGN §6). A row left behind (a crash, a Redis outage, a
 * partition) is applied by any instance.
 */
@Entity('cache_outbox')
@Index('idx_cache_outbox_created', ['createdAt'])
export class CacheOutbox {
  @PrimaryColumn(idColumn) id: string;
  @Column(refColumn('tenant_id')) tenantId: string;
  /** JSON array of tags. */
  @Column({ type: 'text' }) tags: string;
  @Column(instantColumn('created_at')) createdAt: Date;
}

import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { idColumn, instantColumn, refColumn } from '../columns.js';

@Entity('services')
@Index('idx_services_user', ['userId'])
export class Service {
  @PrimaryColumn(idColumn) id: string;
  @Column(refColumn('tenant_id')) tenantId: string;
  @Column(refColumn('user_id')) userId: string;
  @Column({ type: 'varchar', length: 200 }) name: string;
  @Column({ name: 'duration_minutes', type: 'integer' }) durationMinutes: number;
  @Column({ name: 'price_cents', type: 'integer' }) priceCents: number;
  @Column({ type: 'boolean' }) active: boolean;
  @Column(instantColumn('created_at')) createdAt: Date;
  /** Soft delete: appointments keep pointing at a deleted service. */
  @Column(instantColumn('deleted_at', { nullable: true })) deletedAt: Date | null;
}

import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { idColumn, instantColumn, refColumn } from '../columns.js';

@Entity('stores')
@Index('idx_stores_tenant', ['tenantId'])
export class Store {
  @PrimaryColumn(idColumn) id: string;
  @Column(refColumn('tenant_id')) tenantId: string;
  @Column({ type: 'varchar', length: 200 }) name: string;
  @Column(instantColumn('created_at')) createdAt: Date;
}

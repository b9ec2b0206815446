import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { idColumn, instantColumn, refColumn } from '../columns.js';

@Entity('sales')
@Index('idx_sales_tenant_sold', ['tenantId', 'soldAt'])
export class Sale {
  @PrimaryColumn(idColumn) id: string;
  @Column(refColumn('tenant_id')) tenantId: string;
  @Column(refColumn('store_id')) storeId: string;
  @Column({ type: 'varchar', length: 50 }) channel: string;
  @Column({ name: 'amount_cents', type: 'integer' }) amountCents: number;
  @Column(instantColumn('sold_at')) soldAt: Date;
}

import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { idColumn, instantColumn, refColumn } from '../columns.js';

export const PLANS = ['FREE', 'PRO', 'ENTERPRISE'] as const;
export type Plan = (typeof PLANS)[number];

@Entity('users')
@Index('idx_users_tenant', ['tenantId'])
export class User {
  @PrimaryColumn(idColumn) id: string;
  @Column(refColumn('tenant_id')) tenantId: string;
  @Column({ type: 'varchar', length: 200 }) name: string;
  @Column({ type: 'varchar', length: 16 }) plan: Plan;
  @Column(instantColumn('created_at')) createdAt: Date;
}

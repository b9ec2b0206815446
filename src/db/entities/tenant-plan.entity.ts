import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { idColumn } from '../columns.js';

/**
 * A tenant's plan as operators set it (issue 17): its budget and bulkhead. A null column takes
 * the default (BUDGET_MAX_POINTS, BUDGET_RESTORE_RATE, TENANT_MAX_CONCURRENT_MISSES).
 * `version` rises with every write: instances poll for rows at or above the last they saw.
 */
@Entity('tenant_plans')
export class TenantPlan {
  @PrimaryColumn({ ...idColumn, name: 'tenant_id' }) tenantId: string;
  @Column({ name: 'maximum_available', type: 'integer', nullable: true })
  maximumAvailable: number | null;
  @Column({ name: 'restore_rate', type: 'integer', nullable: true }) restoreRate: number | null;
  @Column({ name: 'max_concurrent_misses', type: 'integer', nullable: true })
  maxConcurrentMisses: number | null;
  @Index('idx_tenant_plans_version')
  @Column({
    name: 'version',
    type: 'bigint',
    // node-postgres returns bigint as a string.
    transformer: { to: (v: number) => v, from: (v: string | number) => Number(v) },
  })
  version: number;
}

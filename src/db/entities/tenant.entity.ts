import { Column, Entity, PrimaryColumn } from 'typeorm';
import { idColumn, instantColumn } from '../columns.js';

@Entity('tenants')
export class Tenant {
  @PrimaryColumn(idColumn) id: string;
  @Column({ type: 'varchar', length: 200 }) name: string;
  /** IANA time zone the tenant's dates are read in. */
  @Column({ type: 'varchar', length: 64 }) timezone: string;
  @Column(instantColumn('created_at')) createdAt: Date;
}

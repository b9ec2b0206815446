import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { idColumn, instantColumn, refColumn } from '../columns.js';

@Entity('api_keys')
@Index('idx_api_keys_hash', ['keyHash'], { unique: true })
export class ApiKey {
  @PrimaryColumn(idColumn) id: string;
  @Column(refColumn('tenant_id')) tenantId: string;
  /** SHA-256 of the key, hex. The key itself is shown once and never stored. */
  @Column({ name: 'key_hash', type: 'varchar', length: 64 }) keyHash: string;
  @Column(instantColumn('created_at')) createdAt: Date;
}

import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { idColumn, instantColumn, refColumn } from '../columns.js';

@Entity('api_keys')
@Index('idx_api_keys_hash', ['keyHash'], { unique: true })
@Index('idx_api_keys_revoked', ['revokedAt'])
@Index('idx_api_keys_tenant', ['tenantId'])
export class ApiKey {
  @PrimaryColumn(idColumn) id: string;
  @Column(refColumn('tenant_id')) tenantId: string;
  /** SHA-256 of the key, hex. The key itself is shown once and never stored. */
  @Column({ name: 'key_hash', type: 'varchar', length: 64 }) keyHash: string;
  /** The key's first characters (`hp_` and 6 more), to recognise it; null for keys made before. */
  @Column({ name: 'prefix', type: 'varchar', length: 16, nullable: true }) prefix?: string | null;
  @Column(instantColumn('created_at')) createdAt: Date;
  @Column(instantColumn('expires_at', { nullable: true })) expiresAt?: Date | null;
  @Column(instantColumn('revoked_at', { nullable: true })) revokedAt?: Date | null;
  /** Coarse: written at most once a minute per key, in the background. */
  @Column(instantColumn('last_used_at', { nullable: true })) lastUsedAt?: Date | null;
}

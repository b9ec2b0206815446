import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { idColumn, instantColumn, refColumn } from '../columns.js';

export const SESSION_STATES = ['DISCONNECTED', 'QR_PENDING', 'CONNECTED'] as const;
export type SessionState = (typeof SESSION_STATES)[number];

@Entity('whatsapp_sessions')
@Index('idx_sessions_tenant', ['tenantId'])
export class WhatsAppSession {
  @PrimaryColumn(idColumn) id: string;
  @Column(refColumn('tenant_id')) tenantId: string;
  @Column({ type: 'varchar', length: 200 }) name: string;
  @Column({ type: 'varchar', length: 16 }) state: SessionState;
  @Column({ name: 'qr_code', type: 'varchar', length: 512, nullable: true }) qrCode: string | null;
  @Column(instantColumn('qr_expires_at', { nullable: true })) qrExpiresAt: Date | null;
  @Column({ name: 'device_jid', type: 'varchar', length: 128, nullable: true })
  deviceJid: string | null;
  @Column(instantColumn('created_at')) createdAt: Date;
  @Column(instantColumn('updated_at')) updatedAt: Date;
}

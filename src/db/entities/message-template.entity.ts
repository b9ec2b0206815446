import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { idColumn, instantColumn, refColumn } from '../columns.js';

export const TEMPLATE_TYPES = [
  'APPOINTMENT_CONFIRMATION',
  'APPOINTMENT_REMINDER',
  'APPOINTMENT_CANCELLATION',
  'WELCOME',
] as const;
export type TemplateType = (typeof TEMPLATE_TYPES)[number];

/** userId null: the tenant's default template for that type. */
@Entity('message_templates')
@Index('idx_templates_owner_type', ['tenantId', 'userId', 'type'], {
  unique: true,
  where: 'user_id IS NOT NULL',
})
@Index('idx_templates_default_type', ['tenantId', 'type'], {
  unique: true,
  where: 'user_id IS NULL',
})
export class MessageTemplate {
  @PrimaryColumn(idColumn) id: string;
  @Column(refColumn('tenant_id')) tenantId: string;
  @Column(refColumn('user_id', { nullable: true })) userId: string | null;
  @Column({ type: 'varchar', length: 40 }) type: TemplateType;
  @Column({ type: 'varchar', length: 200 }) name: string;
  @Column({ type: 'text' }) body: string;
  @Column(instantColumn('updated_at')) updatedAt: Date;
}

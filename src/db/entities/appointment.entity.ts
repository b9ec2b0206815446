import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { idColumn, instantColumn, refColumn } from '../columns.js';

export const APPOINTMENT_STATUSES = ['PENDING', 'CONFIRMED', 'CANCELLED'] as const;
export type AppointmentStatus = (typeof APPOINTMENT_STATUSES)[number];

@Entity('appointments')
@Index('idx_appointments_user_starts', ['userId', 'startsAt'])
@Index('idx_appointments_tenant_starts', ['tenantId', 'startsAt'])
export class Appointment {
  @PrimaryColumn(idColumn) id: string;
  @Column(refColumn('tenant_id')) tenantId: string;
  @Column(refColumn('user_id')) userId: string;
  @Column(refColumn('service_id')) serviceId: string;
  @Column({ name: 'client_name', type: 'varchar', length: 200 }) clientName: string;
  @Column(instantColumn('starts_at')) startsAt: Date;
  @Column(instantColumn('ends_at')) endsAt: Date;
  @Column({ type: 'varchar', length: 16 }) status: AppointmentStatus;
  @Column(instantColumn('created_at')) createdAt: Date;
  @Column(instantColumn('updated_at')) updatedAt: Date;
}

import type { DataSource } from 'typeorm';
import { Brackets } from 'typeorm';
import { Appointment, type AppointmentStatus } from '../db/entities/appointment.entity.js';
import { dayRange } from '../time.js';
import { instantOf, preparedSelect } from './prepared.js';
import { groupedByKeys } from './rows.js';

export interface AgendaKey {
  userId: string;
  date: string;
}

export const agendaId = (key: AgendaKey) => `${key.userId}:${key.date}`;

/** Every column of an appointment, by the property name it is read back into. */
const COLUMNS = [
  'id',
  'tenantId',
  'userId',
  'serviceId',
  'clientName',
  'startsAt',
  'endsAt',
  'status',
  'createdAt',
  'updatedAt',
] as const;

/**
 * The appointments of `count` provider-days, in start order: values are the tenant, then for
 * each day its user, start and end (epoch ms).
 */
const selectDays = preparedSelect((db, count, slot) => {
  const query = db
    .getRepository(Appointment)
    .createQueryBuilder('a')
    .select(`a.${COLUMNS[0]}`, COLUMNS[0]);
  for (const column of COLUMNS.slice(1)) query.addSelect(`a.${column}`, column);
  return query
    .where('a.tenantId = :tenantId', { tenantId: slot(0) })
    .andWhere(
      new Brackets((or) => {
        for (let i = 0; i < count; i++) {
          or.orWhere(
            `(a.userId = :user${i} AND a.startsAt >= :start${i} AND a.startsAt < :end${i})`,
            {
              [`user${i}`]: slot(1 + 3 * i),
              [`start${i}`]: slot(2 + 3 * i),
              [`end${i}`]: slot(3 + 3 * i),
            },
          );
        }
      }),
    )
    .orderBy('a.startsAt', 'ASC')
    .addOrderBy('a.id', 'ASC');
});

type Row = Record<(typeof COLUMNS)[number], unknown>;

/** A raw row as the entity's properties, each column read by its type. */
function appointmentOf(row: Row): Appointment {
  return {
    id: String(row.id),
    tenantId: String(row.tenantId),
    userId: String(row.userId),
    serviceId: String(row.serviceId),
    clientName: String(row.clientName),
    startsAt: instantOf(row.startsAt),
    endsAt: instantOf(row.endsAt),
    status: String(row.status) as AppointmentStatus,
    createdAt: instantOf(row.createdAt),
    updatedAt: instantOf(row.updatedAt),
  };
}

/** The appointments of several provider-days in one statement, in start order. */
export async function loadAgendaAppointments(
  db: DataSource,
  tenantId: string,
  timezone: string,
  keys: readonly AgendaKey[],
) {
  const ranges = keys.map((key) => ({ key, ...dayRange(key.date, timezone) }));
  const values: unknown[] = [tenantId];
  for (const r of ranges) values.push(r.key.userId, r.start.getTime(), r.end.getTime());
  const rows = (await selectDays<Row>(db, ranges.length, values)).map(appointmentOf);
  return groupedByKeys(
    ranges.map((r) => agendaId(r.key)),
    rows,
    (a) => {
      const r = ranges.find(
        (range) =>
          range.key.userId === a.userId && a.startsAt >= range.start && a.startsAt < range.end,
      );
      return r ? agendaId(r.key) : '';
    },
  );
}

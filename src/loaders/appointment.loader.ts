import { Brackets, type DataSource } from 'typeorm';
import { Appointment } from '../db/entities/appointment.entity.js';
import { dayRange } from '../time.js';
import { groupedByKeys } from './rows.js';

export interface AgendaKey {
  userId: string;
  date: string;
}

export const agendaId = (key: AgendaKey) => `${key.userId}:${key.date}`;

/** The appointments of several provider-days in one statement, in start order. */
export async function loadAgendaAppointments(
  db: DataSource,
  tenantId: string,
  timezone: string,
  keys: readonly AgendaKey[],
) {
  const ranges = keys.map((key) => ({ key, ...dayRange(key.date, timezone) }));
  const rows = await db
    .getRepository(Appointment)
    .createQueryBuilder('a')
    .where('a.tenantId = :tenantId', { tenantId })
    .andWhere(
      new Brackets((or) => {
        ranges.forEach((r, i) => {
          or.orWhere(
            `(a.userId = :user${i} AND a.startsAt >= :start${i} AND a.startsAt < :end${i})`,
            {
              [`user${i}`]: r.key.userId,
              [`start${i}`]: r.start.getTime(),
              [`end${i}`]: r.end.getTime(),
            },
          );
        });
      }),
    )
    .orderBy('a.startsAt', 'ASC')
    .addOrderBy('a.id', 'ASC')
    .getMany();
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

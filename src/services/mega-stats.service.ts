import { DateTime } from 'luxon';
import type { Viewer } from '../auth/viewer.js';
import { Appointment } from '../db/entities/appointment.entity.js';
import { parseInput, timeZone } from '../validation.js';
import { requireTenant } from './access.js';
import type { ServiceDeps } from './deps.js';

export interface StatusCount {
  pending: number;
  confirmed: number;
  cancelled: number;
  total: number;
}

export interface MegaStats {
  id: string;
  tenantId: string;
  timezone: string;
  today: StatusCount;
  week: StatusCount;
  month: StatusCount;
  nextMonth: StatusCount;
  computedAt: Date;
}

const BUCKETS = ['today', 'week', 'month', 'nextMonth'] as const;
type Bucket = (typeof BUCKETS)[number];

/**
 * The four windows around `now` in a time zone, as [start, end) instants. Days come from the
 * zone's calendar, so a DST day is 23 or 25 hours long. Weeks run Sunday to Saturday.
 */
export function statsWindows(now: Date, tz: string): Record<Bucket, { start: Date; end: Date }> {
  const today = DateTime.fromJSDate(now, { zone: tz }).startOf('day');
  const week = today.minus({ days: today.weekday % 7 });
  const month = today.startOf('month');
  const span = (start: DateTime, end: DateTime) => ({
    start: start.toJSDate(),
    end: end.toJSDate(),
  });
  return {
    today: span(today, today.plus({ days: 1 })),
    week: span(week, week.plus({ days: 7 })),
    month: span(month, month.plus({ months: 1 })),
    nextMonth: span(month.plus({ months: 1 }), month.plus({ months: 2 })),
  };
}

export class MegaStatsService {
  constructor(private readonly deps: ServiceDeps) {}

  /** Counts by status in four windows, in one statement. */
  async compute(viewer: Viewer, timezone?: string | null): Promise<MegaStats> {
    const tenant = requireTenant(viewer);
    const tz = timezone == null ? tenant.timezone : parseInput(timeZone, timezone, 'timezone');
    const now = this.deps.clock();
    const windows = statsWindows(now, tz);
    const all = Object.values(windows);
    const from = Math.min(...all.map((w) => w.start.getTime()));
    const to = Math.max(...all.map((w) => w.end.getTime()));

    const sql = this.deps.db
      .getRepository(Appointment)
      .createQueryBuilder('a')
      .select('a.status', 'status')
      .where('a.tenant_id = :tenantId', { tenantId: tenant.tenantId })
      .andWhere('a.starts_at >= :from AND a.starts_at < :to', { from, to })
      .groupBy('a.status');
    for (const bucket of BUCKETS) {
      sql.addSelect(
        `SUM(CASE WHEN a.starts_at >= :${bucket}Start AND a.starts_at < :${bucket}End THEN 1 ELSE 0 END)`,
        bucket,
      );
      sql.setParameter(`${bucket}Start`, windows[bucket].start.getTime());
      sql.setParameter(`${bucket}End`, windows[bucket].end.getTime());
    }
    const raw: Record<string, string | number>[] = await sql.getRawMany();

    const count = (bucket: Bucket): StatusCount => {
      const of = (status: string) => Number(raw.find((r) => r.status === status)?.[bucket] ?? 0);
      const pending = of('PENDING');
      const confirmed = of('CONFIRMED');
      const cancelled = of('CANCELLED');
      return { pending, confirmed, cancelled, total: pending + confirmed + cancelled };
    };
    return {
      id: `${tenant.tenantId}:${tz}`,
      tenantId: tenant.tenantId,
      timezone: tz,
      today: count('today'),
      week: count('week'),
      month: count('month'),
      nextMonth: count('nextMonth'),
      computedAt: now,
    };
  }
}

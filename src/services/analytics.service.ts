import { createHash } from 'node:crypto';
import { DateTime } from 'luxon';
import { z } from 'zod';
import type { Viewer } from '../auth/viewer.js';
import { dialectOf } from '../db/data-source.js';
import { Sale } from '../db/entities/sale.entity.js';
import { dateSpan } from '../time.js';
import { calendarDate, id, parseInput } from '../validation.js';
import { requireTenant } from './access.js';
import type { ServiceDeps } from './deps.js';
import { channel } from './sale.service.js';

export const ANALYTICS_METRICS = ['REVENUE', 'AVERAGE_TICKET', 'ORDER_COUNT'] as const;
export const ANALYTICS_DIMENSIONS = ['CHANNEL', 'STORE', 'DAY', 'MONTH'] as const;
export type AnalyticsMetric = (typeof ANALYTICS_METRICS)[number];
export type AnalyticsDimension = (typeof ANALYTICS_DIMENSIONS)[number];

export const MAX_RANGE_DAYS = 400;

const unique = <T>(items: T[]) => new Set(items).size === items.length;

const queryInput = z
  .object({
    metrics: z
      .array(z.enum(ANALYTICS_METRICS))
      .min(1, 'must name at least one metric')
      .refine(unique, 'must not repeat a metric'),
    dimensions: z
      .array(z.enum(ANALYTICS_DIMENSIONS))
      .refine(unique, 'must not repeat a dimension')
      .nullish()
      .transform((d) => d ?? []),
    filters: z
      .object({
        channels: z.array(channel).max(100, 'at most 100 channels').nullish(),
        storeIds: z.array(id).max(100, 'at most 100 stores').nullish(),
      })
      .nullish(),
    dateRange: z.object({ start: calendarDate, end: calendarDate }),
  })
  .superRefine((input, ctx) => {
    const { start, end } = input.dateRange;
    const days = DateTime.fromISO(end).diff(DateTime.fromISO(start), 'days').days + 1;
    if (days < 1) {
      ctx.addIssue({
        code: 'custom',
        path: ['dateRange', 'end'],
        message: 'must not be before dateRange.start',
      });
    } else if (days > MAX_RANGE_DAYS) {
      ctx.addIssue({
        code: 'custom',
        path: ['dateRange'],
        message: `must span at most ${MAX_RANGE_DAYS} days`,
      });
    }
  });

export type AnalyticsQuery = z.output<typeof queryInput>;

export interface AnalyticsReport {
  id: string;
  tenantId: string;
  query: AnalyticsQuery;
  metrics: AnalyticsMetric[];
  dimensions: AnalyticsDimension[];
  rows: { keys: string[]; values: number[] }[];
  totalRows: number;
  computedAt: Date;
}

/** The months (YYYY-MM) a date range touches. */
export function monthsOf(range: { start: string; end: string }): string[] {
  const months: string[] = [];
  let month = DateTime.fromISO(range.start).startOf('month');
  const last = DateTime.fromISO(range.end).startOf('month');
  while (month <= last) {
    months.push(month.toFormat('yyyy-MM'));
    month = month.plus({ months: 1 });
  }
  return months;
}

/** The same question asked in another order or with duplicate filters is the same report. */
function normalize(query: AnalyticsQuery) {
  const sorted = (items?: string[] | null) => (items ? [...new Set(items)].sort() : null);
  return {
    metrics: query.metrics,
    dimensions: query.dimensions,
    channels: sorted(query.filters?.channels),
    storeIds: sorted(query.filters?.storeIds),
    dateRange: query.dateRange,
  };
}

export class AnalyticsService {
  constructor(private readonly deps: ServiceDeps) {}

  /** One GROUP BY over the tenant's sales; DAY and MONTH are read in the tenant's time zone. */
  async report(viewer: Viewer, args: unknown): Promise<AnalyticsReport> {
    const { tenantId, timezone } = requireTenant(viewer);
    const query = parseInput(queryInput, args);
    const normalized = normalize(query);
    const { start, end } = dateSpan(query.dateRange.start, query.dateRange.end, timezone);
    const localTime = (format: 'day' | 'month') =>
      dialectOf(this.deps.db) === 'postgres'
        ? `to_char(to_timestamp(s.sold_at / 1000.0) AT TIME ZONE :tz, '${format === 'day' ? 'YYYY-MM-DD' : 'YYYY-MM'}')`
        : `hp_local_${format}(s.sold_at, :tz)`;
    const keyExpression: Record<AnalyticsDimension, string> = {
      CHANNEL: 's.channel',
      STORE: 's.store_id',
      DAY: localTime('day'),
      MONTH: localTime('month'),
    };

    const sql = this.deps.db
      .getRepository(Sale)
      .createQueryBuilder('s')
      .select('COUNT(*)', 'orders')
      .addSelect('COALESCE(SUM(s.amount_cents), 0)', 'revenue')
      .where('s.tenant_id = :tenantId', { tenantId, tz: timezone })
      .andWhere('s.sold_at >= :start AND s.sold_at < :end', {
        start: start.getTime(),
        end: end.getTime(),
      });
    const within = (column: string, param: string, values: string[] | null) => {
      if (!values) return;
      // An empty list matches nothing; `IN ()` is a syntax error on PostgreSQL.
      if (values.length === 0) sql.andWhere('1 = 0');
      else sql.andWhere(`${column} IN (:...${param})`, { [param]: values });
    };
    within('s.channel', 'channels', normalized.channels);
    within('s.store_id', 'storeIds', normalized.storeIds);
    query.dimensions.forEach((dimension, i) => {
      sql.addSelect(keyExpression[dimension], `k${i}`);
      sql.addGroupBy(`k${i}`);
      sql.addOrderBy(`k${i}`, 'ASC');
    });

    const raw: Record<string, string | number | null>[] = await sql.getRawMany();
    const rows = raw.map((r) => {
      const orders = Number(r.orders);
      const revenue = Number(r.revenue);
      const value: Record<AnalyticsMetric, number> = {
        REVENUE: revenue,
        ORDER_COUNT: orders,
        AVERAGE_TICKET: orders === 0 ? 0 : revenue / orders,
      };
      return {
        keys: query.dimensions.map((_, i) => String(r[`k${i}`])),
        values: query.metrics.map((m) => value[m]),
      };
    });

    const digest = createHash('sha256').update(JSON.stringify(normalized)).digest('hex');
    return {
      id: `${tenantId}:${digest.slice(0, 24)}`,
      tenantId,
      query,
      metrics: query.metrics,
      dimensions: query.dimensions,
      rows,
      totalRows: rows.length,
      computedAt: this.deps.clock(),
    };
  }
}

import { analyticsTag, storeListTag } from '../cache/tags.js';
import type { Sale } from '../db/entities/sale.entity.js';
import type { Store } from '../db/entities/store.entity.js';
import { loadStores } from '../loaders/store.loader.js';
import { requireTenant } from '../services/access.js';
import {
  type ANALYTICS_DIMENSIONS,
  type ANALYTICS_METRICS,
  type AnalyticsReport,
  monthsOf,
} from '../services/analytics.service.js';
import { builder } from './builder.js';

const MetricEnum = builder.enumType('AnalyticsMetric', {
  values: {
    REVENUE: { description: 'Sum of amounts, in cents.' },
    AVERAGE_TICKET: { description: 'Revenue / orders, in cents; 0 without orders.' },
    ORDER_COUNT: { description: 'Number of sales.' },
  } satisfies Record<(typeof ANALYTICS_METRICS)[number], object>,
});

const DimensionEnum = builder.enumType('AnalyticsDimension', {
  values: {
    CHANNEL: { description: 'The sale channel.' },
    STORE: { description: 'The store id.' },
    DAY: { description: "YYYY-MM-DD in the tenant's time zone." },
    MONTH: { description: "YYYY-MM in the tenant's time zone." },
  } satisfies Record<(typeof ANALYTICS_DIMENSIONS)[number], object>,
});

export const StoreRef = builder.loadableObject('Store', {
  description: 'A point of sale.',
  load: async (ids: string[], ctx) => loadStores(ctx.db, requireTenant(ctx.viewer).tenantId, ids),
  toKey: (store: Store) => store.id,
  fields: (t) => ({ id: t.exposeID('id'), name: t.exposeString('name') }),
});

const SaleRef = builder.objectRef<Sale>('Sale').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    store: t.field({ type: StoreRef, resolve: (sale) => sale.storeId }),
    channel: t.exposeString('channel'),
    amountCents: t.exposeInt('amountCents'),
    soldAt: t.expose('soldAt', { type: 'DateTime' }),
  }),
});

const RowRef = builder.objectRef<AnalyticsReport['rows'][number]>('AnalyticsRow').implement({
  fields: (t) => ({
    keys: t.exposeStringList('keys', {
      description: 'One value per requested dimension, in request order.',
    }),
    values: t.exposeFloatList('values', {
      description: 'One value per requested metric, in request order. Money in cents.',
    }),
  }),
});

const ReportRef = builder.objectRef<AnalyticsReport>('AnalyticsReport').implement({
  description:
    'Sales grouped by the requested dimensions. id is derived from the tenant and the query.',
  fields: (t) => ({
    id: t.exposeID('id'),
    metrics: t.field({ type: [MetricEnum], resolve: (r) => r.metrics }),
    dimensions: t.field({ type: [DimensionEnum], resolve: (r) => r.dimensions }),
    rows: t.field({ type: [RowRef], description: 'Ordered by keys.', resolve: (r) => r.rows }),
    totalRows: t.exposeInt('totalRows'),
    computedAt: t.expose('computedAt', { type: 'DateTime' }),
  }),
});

const DateRangeInput = builder.inputType('DateRangeInput', {
  description: "Both days included, in the tenant's time zone; at most 400 days.",
  fields: (t) => ({
    start: t.field({ type: 'Date', required: true }),
    end: t.field({ type: 'Date', required: true }),
  }),
});

const FilterInput = builder.inputType('AnalyticsFilterInput', {
  fields: (t) => ({
    channels: t.stringList(),
    storeIds: t.idList(),
  }),
});

const QueryInput = builder.inputType('AnalyticsQueryInput', {
  fields: (t) => ({
    metrics: t.field({ type: [MetricEnum], required: true }),
    dimensions: t.field({ type: [DimensionEnum] }),
    filters: t.field({ type: FilterInput }),
    dateRange: t.field({ type: DateRangeInput, required: true }),
  }),
});

const RecordSaleInput = builder.inputType('RecordSaleInput', {
  fields: (t) => ({
    storeId: t.id({ required: true }),
    channel: t.string({ required: true }),
    amountCents: t.int({ required: true }),
    soldAt: t.field({ type: 'DateTime', required: true }),
  }),
});

builder.queryFields((t) => ({
  analytics: t.field({
    type: ReportRef,
    description: "One GROUP BY over the tenant's sales.",
    args: { input: t.arg({ type: QueryInput, required: true }) },
    resolve: async (_, args, ctx) => {
      const report = await ctx.services.analytics.report(ctx.viewer, args.input);
      const { timezone } = requireTenant(ctx.viewer);
      ctx.cache?.tag(
        ...monthsOf(report.query.dateRange).map((m) => analyticsTag(report.tenantId, m)),
      );
      ctx.cache?.capAnalyticsTtl(report.query.dateRange.end, timezone);
      return report;
    },
  }),
  stores: t.field({
    type: [StoreRef],
    description: "The tenant's stores, by name: what the STORE dimension's ids refer to.",
    resolve: (_, __, ctx) => {
      ctx.cache?.tag(storeListTag(requireTenant(ctx.viewer).tenantId));
      return ctx.services.sales.stores(ctx.viewer);
    },
  }),
}));

builder.mutationFields((t) => ({
  createStore: t.field({
    type: StoreRef,
    args: { name: t.arg.string({ required: true }) },
    resolve: (_, args, ctx) => ctx.services.sales.createStore(ctx.viewer, args.name),
  }),
  recordSale: t.field({
    type: SaleRef,
    args: { input: t.arg({ type: RecordSaleInput, required: true }) },
    resolve: (_, { input }, ctx) =>
      ctx.services.sales.record(ctx.viewer, { ...input, storeId: String(input.storeId) }),
  }),
}));

import { analyticsTag, storeListTag } from '../cache/invalidation/tags.js';
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
import { builder, FIELD_WEIGHTS, listBound } from './builder.js';
import { loadableRef, tenantLoader } from './loading.js';

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

export const StoreRef = loadableRef<Store>('Store', tenantLoader(loadStores));

builder.objectType(StoreRef, {
  description: 'A point of sale.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'What the STORE dimension and storeIds filter use.' }),
    name: t.exposeString('name', { description: '1 to 200 characters.' }),
  }),
});

const SaleRef = builder.objectRef<Sale>('Sale').implement({
  description: 'One sale of a store: the rows analytics reports are computed from.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'UUID.' }),
    store: t.field({
      type: StoreRef,
      description: "A store of the caller's tenant.",
      resolve: (sale) => sale.storeId,
    }),
    channel: t.exposeString('channel', { description: 'What the CHANNEL dimension groups by.' }),
    amountCents: t.exposeInt('amountCents', { description: 'Amount in cents.' }),
    soldAt: t.expose('soldAt', {
      type: 'DateTime',
      description: "When it was sold; DAY and MONTH read it in the tenant's time zone.",
    }),
  }),
});

const RowRef = builder.objectRef<AnalyticsReport['rows'][number]>('AnalyticsRow').implement({
  description: 'One group of sales: its dimension values and its metric values.',
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
    id: t.exposeID('id', {
      description: "'<tenantId>:<hash>'; the same for the same question in any filter order.",
    }),
    metrics: t.field({
      type: [MetricEnum],
      description: "As requested; the order of each row's values.",
      resolve: (r) => r.metrics,
    }),
    dimensions: t.field({
      type: [DimensionEnum],
      description: "As requested (empty when none); the order of each row's keys.",
      resolve: (r) => r.dimensions,
    }),
    rows: t.field({
      type: [RowRef],
      description: 'Ordered by keys.',
      // 13 months by a few channels or stores: a few hundred rows at most in practice.
      complexity: listBound(200),
      resolve: (r) => r.rows,
    }),
    totalRows: t.exposeInt('totalRows', { description: 'Number of rows.' }),
    computedAt: t.expose('computedAt', {
      type: 'DateTime',
      description:
        'When it was computed. With the default TTLs a cached report is up to 5 min old when the ' +
        'range touches the last 7 days, 1 h when it ended 8 to 30 days ago, 24 h when earlier.',
    }),
  }),
});

const DateRangeInput = builder.inputType('DateRangeInput', {
  description: "Both days included, in the tenant's time zone; at most 400 days.",
  fields: (t) => ({
    start: t.field({ type: 'Date', required: true, description: 'First day, included.' }),
    end: t.field({
      type: 'Date',
      required: true,
      description: 'Last day, included; not before start (BAD_USER_INPUT).',
    }),
  }),
});

const FilterInput = builder.inputType('AnalyticsFilterInput', {
  description: 'Narrows the sales counted. An omitted or null filter keeps every sale.',
  fields: (t) => ({
    channels: t.stringList({
      description: 'Only these channels, at most 100; an empty list matches nothing.',
    }),
    storeIds: t.idList({
      description: 'Only these stores, at most 100; an empty list matches nothing.',
    }),
  }),
});

const QueryInput = builder.inputType('AnalyticsQueryInput', {
  description: "What to compute over the caller's sales. Breaking a bound is BAD_USER_INPUT.",
  fields: (t) => ({
    metrics: t.field({
      type: [MetricEnum],
      required: true,
      description: 'At least one, none repeated; each row has one value per metric, in this order.',
    }),
    dimensions: t.field({
      type: [DimensionEnum],
      description: 'Group by these, in this order, none repeated; omitted: a single row of totals.',
    }),
    filters: t.field({ type: FilterInput, description: 'Omitted: every channel and store.' }),
    dateRange: t.field({
      type: DateRangeInput,
      required: true,
      description: "Days of sales, in the tenant's time zone; at most 400 days.",
    }),
  }),
});

const RecordSaleInput = builder.inputType('RecordSaleInput', {
  description: 'One sale. Breaking a bound is BAD_USER_INPUT.',
  fields: (t) => ({
    storeId: t.id({
      required: true,
      description: "A store of the caller's tenant; NOT_FOUND otherwise.",
    }),
    channel: t.string({ required: true, description: 'Free text, 1 to 50 characters.' }),
    amountCents: t.int({ required: true, description: 'In cents, 0 to 1,000,000,000.' }),
    soldAt: t.field({
      type: 'DateTime',
      required: true,
      description: "Its month, in the tenant's time zone, decides which cached reports go.",
    }),
  }),
});

builder.queryFields((t) => ({
  analytics: t.field({
    type: ReportRef,
    description: "One GROUP BY over the tenant's sales.",
    complexity: FIELD_WEIGHTS.analytics,
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
    complexity: listBound(20),
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
    description: 'A new store; name 1 to 200 characters. Invalidates the cached stores list.',
    args: { name: t.arg.string({ required: true }) },
    resolve: (_, args, ctx) => ctx.services.sales.createStore(ctx.viewer, args.name),
  }),
  recordSale: t.field({
    type: SaleRef,
    description:
      "Invalidates only the cached analytics reports covering the sale's month (tenant's time " +
      'zone); reports of other months stay.',
    args: { input: t.arg({ type: RecordSaleInput, required: true }) },
    resolve: (_, { input }, ctx) =>
      ctx.services.sales.record(ctx.viewer, { ...input, storeId: String(input.storeId) }),
  }),
}));

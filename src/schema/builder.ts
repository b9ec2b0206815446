import SchemaBuilder from '@pothos/core';
import ComplexityPlugin from '@pothos/plugin-complexity';
import DataloaderPlugin from '@pothos/plugin-dataloader';
import { DateTimeResolver, JSONResolver, LocalDateResolver } from 'graphql-scalars';
import type { Context } from '../context.js';

export const builder = new SchemaBuilder<{
  Context: Context;
  DefaultFieldNullability: false;
  Scalars: {
    ID: { Input: string; Output: string | number };
    Date: { Input: string; Output: string };
    DateTime: { Input: Date; Output: Date };
    JSON: { Input: unknown; Output: unknown };
  };
}>({
  plugins: [ComplexityPlugin, DataloaderPlugin],
  defaultFieldNullability: false,
  // Cost (LIMIT_COST): 1 per field; a list multiplies its selection by its declared bound
  // (`listBound` below), 10 when it declares none. The limit is checked while validating
  // (src/limits.ts), so the plugin's own per-resolver check stays off.
  complexity: { defaultComplexity: 1, defaultListMultiplier: 10, disabled: true },
});

builder.addScalarType('Date', LocalDateResolver, {
  description: 'Calendar date, YYYY-MM-DD.',
});
builder.addScalarType('DateTime', DateTimeResolver, {
  description: 'Instant, ISO 8601 with offset, e.g. 2026-11-22T14:00:00.000Z.',
});
builder.addScalarType('JSON', JSONResolver, { description: 'Any JSON value.' });

const access =
  "Tenant data needs the tenant's API key (the operator token gets FORBIDDEN); fields marked " +
  "'Operators only' need the operator token. Another tenant's id answers NOT_FOUND.";
builder.queryType({ description: `Reads. ${access} Answers are cached per tenant.` });
builder.mutationType({
  description: `Writes. ${access} Each write invalidates the cached answers it changes.`,
});

/** A list field's cost: its selection counted `bound` times (the most it returns, or a fair guess). */
export const listBound = (bound: number) => ({ field: 1, multiplier: bound });

/**
 * Fields whose database work the count of fields doesn't show, and what each costs instead of
 * 1 (issue 17: budgets charge the requested cost, and counted by fields an analytics report,
 * one GROUP BY over up to 400 days of sales, cost about as much as one provider's agenda).
 * Roughly the work of one entity read per point: analytics is a GROUP BY over the tenant's
 * sales, megaStats four COUNTs over its appointments. The field's selection is counted on top.
 * README: Budgets.
 */
export const FIELD_WEIGHTS = {
  analytics: 100,
  megaStats: 25,
} as const;

import SchemaBuilder from '@pothos/core';
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
  plugins: [DataloaderPlugin],
  defaultFieldNullability: false,
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

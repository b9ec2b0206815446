import type { ColumnOptions, PrimaryColumnOptions, ValueTransformer } from 'typeorm';

/**
 * Instants are stored as UTC epoch milliseconds in a bigint column: one representation that
 * compares, indexes and binds the same way on SQLite and PostgreSQL (node-postgres returns
 * bigint as a string, hence Number()).
 */
const epochMillis: ValueTransformer = {
  to: (value: Date | null | undefined) => (value == null ? value : value.getTime()),
  from: (value: string | number | null) => (value == null ? null : new Date(Number(value))),
};

export function instantColumn(name: string, options: { nullable?: boolean } = {}): ColumnOptions {
  return { name, type: 'bigint', transformer: epochMillis, nullable: options.nullable ?? false };
}

export const idColumn: PrimaryColumnOptions = { type: 'varchar', length: 36 };

export function refColumn(name: string, options: { nullable?: boolean } = {}): ColumnOptions {
  return { name, type: 'varchar', length: 36, nullable: options.nullable ?? false };
}

import type { DataSource, ObjectLiteral, SelectQueryBuilder } from 'typeorm';

/**
 * A statement TypeORM's query builder writes once per database and shape, run with bound
 * parameters and read as raw rows. The hot reads (an agenda miss: its user, its appointments,
 * their services) spent more on building their SQL (find options, property names, escaping)
 * and hydrating entities than SQLite spent running it; and SQLite's driver inlines numbers into
 * the text, so every day asked for was a new statement to prepare. Here the text is built
 * once, the driver's statement cache keeps it prepared, and a call only binds its values.
 */
export interface PreparedSelectOptions {
  /** Shapes (`count`: ids or keys in the batch) up to this one are kept; larger ones are built each time. */
  maxCount?: number;
}

/** `slot(i)`: the placeholder of `values[i]`; the builder must use one per parameter. */
export type SlotBuilder = (
  db: DataSource,
  count: number,
  slot: (index: number) => string,
) => SelectQueryBuilder<ObjectLiteral>;

interface Built {
  sql: string;
  /** For each positional parameter of `sql`, the index in `values` it takes. */
  order: number[];
}

const MARK = '\u0000slot:';

function build(builder: SlotBuilder, db: DataSource, count: number): Built {
  const [sql, parameters] = builder(
    db,
    count,
    (index) => `${MARK}${index}`,
  ).getQueryAndParameters();
  const order = parameters.map((marker) => {
    if (typeof marker !== 'string' || !marker.startsWith(MARK))
      throw new Error('preparedSelect: every parameter must be a slot');
    return Number(marker.slice(MARK.length));
  });
  return { sql, order };
}

/**
 * Returns `run(db, count, values)`: the raw rows of the statement `builder` makes for `count`,
 * with `values[i]` bound where the builder put `slot(i)`. Shapes are remembered per database
 * (a SQLite and a PostgreSQL one quote and number their placeholders differently), for at most
 * `maxCount` counts: a fixed, small amount of memory whatever the requests.
 */
export function preparedSelect(builder: SlotBuilder, options: PreparedSelectOptions = {}) {
  const maxCount = options.maxCount ?? 32;
  const shapes = new WeakMap<DataSource, (Built | undefined)[]>();
  return function run<Row>(db: DataSource, count: number, values: unknown[]): Promise<Row[]> {
    let built: Built;
    if (count > maxCount) built = build(builder, db, count);
    else {
      let known = shapes.get(db);
      if (!known) {
        known = [];
        shapes.set(db, known);
      }
      built = known[count] ??= build(builder, db, count);
    }
    return db.query(
      built.sql,
      built.order.map((index) => values[index]),
    );
  };
}

/** An epoch-millisecond column as a Date: node-postgres reads bigint as a string. */
export const instantOf = (value: unknown): Date => new Date(Number(value));

/** A nullable epoch-millisecond column. */
export const instantOrNull = (value: unknown): Date | null =>
  value == null ? null : new Date(Number(value));

/** A boolean column: SQLite has none and answers 0 or 1. */
export const booleanOf = (value: unknown): boolean =>
  value === true || value === 1 || value === '1';

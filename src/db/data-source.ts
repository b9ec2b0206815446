import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { DataSource, type EntityManager, type Logger } from 'typeorm';
import { localDayOfEpoch } from '../time.js';
import { entities } from './entities/index.js';
import { Initial1763769600000 } from './migrations/1763769600000-initial.js';
import { CacheOutbox1764720000000 } from './migrations/1764720000000-cache-outbox.js';
import { ApiKeyLifecycle1765000000000 } from './migrations/1765000000000-api-key-lifecycle.js';
import { TenantPlans1765200000000 } from './migrations/1765200000000-tenant-plans.js';

export type Dialect = 'sqlite' | 'postgres';

/** How to reach the database. src/config.ts parses the environment into it; db never imports it. */
export interface DatabaseConfig {
  /** PostgreSQL connection string; SQLite at `sqlitePath` when absent. */
  url?: string;
  sqlitePath: string;
  /** PostgreSQL schema to use instead of `public`. */
  schema?: string;
  /**
   * How long a statement, or the wait for a connection or a SQLite lock, may take before it
   * fails (default 30 s: seeding and migrations must fit); a failure is what lets
   * stale-if-error answer.
   */
  timeoutMs?: number;
}

export const migrations = [
  Initial1763769600000,
  CacheOutbox1764720000000,
  ApiKeyLifecycle1765000000000,
  TenantPlans1765200000000,
];

export function dialectOf(dataSource: DataSource): Dialect {
  return dataSource.options.type === 'postgres' ? 'postgres' : 'sqlite';
}

/**
 * SQLite has no time zone database; these functions give its GROUP BY the same local-time
 * buckets PostgreSQL computes with AT TIME ZONE.
 */
function registerSqliteFunctions(db: BetterSqlite3.Database): void {
  db.function('hp_local_day', { deterministic: true }, (epochMs, tz) =>
    localDayOfEpoch(Number(epochMs), String(tz)),
  );
  db.function('hp_local_month', { deterministic: true }, (epochMs, tz) =>
    localDayOfEpoch(Number(epochMs), String(tz)).slice(0, 7),
  );
}

export interface DataSourceOptions {
  /** A TypeORM logger; tests pass one that counts statements. */
  logger?: Logger;
}

/** SQLite (better-sqlite3) by default, PostgreSQL when `url` is set. Not initialized. */
export function createDataSource(config: DatabaseConfig, options: DataSourceOptions = {}) {
  const common = {
    entities,
    migrations,
    migrationsRun: false,
    synchronize: false,
    logger: options.logger,
    logging: options.logger ? (['query', 'error'] as const) : (['error'] as const),
  };
  if (config.url) {
    return new DataSource({
      ...common,
      logging: [...common.logging],
      type: 'postgres',
      url: config.url,
      schema: config.schema,
      extra: {
        max: 10,
        connectionTimeoutMillis: config.timeoutMs ?? 30_000,
        query_timeout: config.timeoutMs ?? 30_000,
      },
    });
  }
  if (config.sqlitePath !== ':memory:') mkdirSync(dirname(config.sqlitePath), { recursive: true });
  return new DataSource({
    ...common,
    logging: [...common.logging],
    type: 'better-sqlite3',
    database: config.sqlitePath,
    enableWAL: config.sqlitePath !== ':memory:',
    prepareDatabase: (db: BetterSqlite3.Database) => {
      db.pragma('foreign_keys = ON');
      // better-sqlite3 waits for a lock synchronously, holding the event loop: never over 5 s.
      db.pragma(`busy_timeout = ${Math.floor(Math.min(config.timeoutMs ?? 5_000, 5_000))}`);
      registerSqliteFunctions(db);
    },
  });
}

/** Connects and applies pending migrations. */
export async function openDatabase(config: DatabaseConfig, options: DataSourceOptions = {}) {
  const dataSource = createDataSource(config, options);
  await dataSource.initialize();
  if (config.url && config.schema) {
    await dataSource.query(`CREATE SCHEMA IF NOT EXISTS "${config.schema.replaceAll('"', '')}"`);
  }
  await dataSource.runMigrations({ transaction: 'each' });
  return dataSource;
}

const sqliteQueues = new WeakMap<DataSource, Promise<unknown>>();

/**
 * Runs `work` in a transaction. TypeORM drives better-sqlite3 over one connection, where two
 * overlapping transactions fail ("cannot start a transaction within a transaction"), so on
 * SQLite transactions wait for each other. PostgreSQL takes a pooled connection per transaction.
 */
export function inTransaction<T>(
  db: DataSource,
  work: (em: EntityManager) => Promise<T>,
): Promise<T> {
  if (dialectOf(db) !== 'sqlite') return db.transaction(work);
  const previous = sqliteQueues.get(db) ?? Promise.resolve();
  const run = previous.then(() => db.transaction(work));
  sqliteQueues.set(
    db,
    run.catch(() => undefined),
  );
  return run;
}

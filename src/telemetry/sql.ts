import { SpanKind } from '@opentelemetry/api';
import type { DataSource, QueryRunner } from 'typeorm';
import type { Tracing } from './tracing.js';

const traced = new WeakSet<QueryRunner>();

/**
 * A span per SQL statement (README: Tracing), through the driver: every query TypeORM runs
 * (finds, saves, transactions, migrations) goes through a query runner's `query`, which is
 * wrapped on the runner the driver hands out. TypeORM's logger only hears of a statement
 * before it runs, so it could not time it. The statement's text goes in `db.query.text`, never
 * its parameters (values clients sent, key hashes). The span is a child of whatever is active:
 * the execution span of the request that ran it.
 */
export function traceSql(db: DataSource, tracing: Tracing): void {
  if (!tracing.on) return;
  const system = db.options.type === 'postgres' ? 'postgresql' : 'sqlite';
  const driver = db.driver as { createQueryRunner(mode: string): QueryRunner };
  const create = driver.createQueryRunner.bind(driver);
  driver.createQueryRunner = (mode: string) => {
    const runner = create(mode);
    if (traced.has(runner)) return runner;
    traced.add(runner);
    const query = runner.query.bind(runner);
    runner.query = ((sql: string, parameters?: unknown[], structured?: boolean) => {
      const operation = /^\s*(\w+)/.exec(sql)?.[1]?.toUpperCase() ?? 'QUERY';
      return tracing.tracer.startActiveSpan(
        `${operation} ${system}`,
        {
          kind: SpanKind.CLIENT,
          attributes: {
            'db.system.name': system,
            'db.operation.name': operation,
            'db.query.text': sql.length > 2_000 ? `${sql.slice(0, 2_000)}…` : sql,
          },
        },
        async (span) => {
          try {
            return await query(sql, parameters, structured as true);
          } catch (error) {
            span.recordException(error as Error);
            span.setStatus({ code: 2 });
            throw error;
          } finally {
            span.end();
          }
        },
      );
    }) as QueryRunner['query'];
    return runner;
  };
}

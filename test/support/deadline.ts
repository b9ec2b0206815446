import { expect } from 'vitest';
import type { TestApp } from './app.js';

/** An analytics report: its query reads the sales table. */
export const SALES_REPORT = `query SalesReport { analytics(input: { metrics: [REVENUE], dimensions: [MONTH],
  dateRange: { start: "2025-01-01", end: "2026-01-31" } }) { rows { keys values } } }`;

/**
 * Sends SALES_REPORT while another transaction holds the sales table (PostgreSQL), so that its
 * query waits and only the execution deadline ends the request: it must come back well before
 * the lock goes, with LIMIT_EXCEEDED for `executionMs` = `max`, not a 5xx.
 */
export async function expectDeadlineEndsReport(app: TestApp, key: string, max: number) {
  const blocker = app.db.createQueryRunner();
  try {
    await blocker.startTransaction();
    const schema = (app.db.options as { schema?: string }).schema ?? 'public';
    await blocker.query(`LOCK TABLE "${schema}".sales IN ACCESS EXCLUSIVE MODE`);
    const startedAt = Date.now();
    const answer = await app.execute(SALES_REPORT, {}, key);
    expect(Date.now() - startedAt).toBeLessThan(10_000);
    expect(answer.status).toBeLessThan(500);
    expect(answer.body.errors?.[0]?.extensions).toMatchObject({
      code: 'LIMIT_EXCEEDED',
      limit: 'executionMs',
      max,
    });
  } finally {
    await blocker.rollbackTransaction().catch(() => {});
    await blocker.release();
  }
}

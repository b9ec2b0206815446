import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { type DataSource, type EntityManager, In, LessThanOrEqual } from 'typeorm';
import { dialectOf, inTransaction } from '../../db/data-source.js';
import { CacheOutbox } from '../../db/entities/cache-outbox.entity.js';
import { type Listener, listen } from '../../db/listen.js';
import type { CacheInvalidator } from './tags.js';

export const OUTBOX_CHANNEL = 'hotpath_cache_outbox';

export interface OutboxOptions {
  db: DataSource;
  /**
   * Applies one row through the breaker after commit: the number of entries removed, or null
   * when it could not be applied (the row stays). null: caching is disabled, no rows.
   */
  invalidate: ((tenantId: string, tags: string[]) => Promise<number | null>) | null;
  /** Applies one row for the sweep, whatever the breaker says; throws when it can't. */
  invalidateNow: (tenantId: string, tags: string[]) => Promise<number>;
  logger: Logger;
  /** How often every instance sweeps the outbox (CACHE_OUTBOX_POLL_MS, default 250 ms). */
  pollMs?: number;
  /**
   * Rows younger than this are left to the instance that wrote them, which applies them right
   * after commit (default 150 ms); older ones are anyone's.
   */
  graceMs?: number;
  /** PostgreSQL: LISTEN on this connection string, so others' rows are swept at once. */
  listenUrl?: string;
  clock?: () => number;
}

/**
 * Durable invalidation (DESIGN §6): a write's tags are rows of `cache_outbox`, inserted in the
 * write's transaction; after commit the writer applies and deletes them. Whatever it could not
 * apply (Redis down, a partition, a crash before it got there) any instance applies: on
 * PostgreSQL when the commit's NOTIFY arrives, and on every instance every `pollMs`. A pending
 * row lives in the database, so the lost-invalidation state survives a restart; the breaker
 * does not trust the store again until a sweep has applied everything.
 */
export function createOutbox(options: OutboxOptions) {
  const { db } = options;
  const pollMs = options.pollMs ?? 250;
  const graceMs = options.graceMs ?? 150;
  const clock = options.clock ?? Date.now;
  const log = options.logger.child({ component: 'cache-outbox' });
  const postgres = dialectOf(db) === 'postgres';
  const repo = () => db.getRepository(CacheOutbox);
  let timer: NodeJS.Timeout | null = null;
  let listener: Listener | null = null;
  let closed = false;
  // The sweep in flight and the youngest rows it takes (its minimum age).
  let sweeping: { minAgeMs: number; done: Promise<number> } | null = null;
  // The pending rows as last counted (each poll), moved at once by what this instance leaves
  // or applies: what hotpath_outbox_pending reports.
  let lastPending = 0;
  const recount = () =>
    repo()
      .count()
      .then((count) => {
        lastPending = count;
      })
      .catch(() => {}); // the database is down: keep the last known figure

  async function remove(ids: string[]) {
    if (ids.length === 0) return;
    await inTransaction(db, (em) => em.delete(CacheOutbox, { id: In(ids) }));
  }

  /** Applies every row older than `minAgeMs`; throws when one could not be applied. */
  async function sweepOnce(minAgeMs: number): Promise<number> {
    let applied = 0;
    for (;;) {
      const rows = await repo().find({
        where: { createdAt: LessThanOrEqual(new Date(clock() - minAgeMs)) },
        order: { createdAt: 'ASC' },
        take: 200,
      });
      if (rows.length === 0) break;
      const done: string[] = [];
      try {
        for (const row of rows) {
          const tags = JSON.parse(row.tags) as string[];
          const removed = await options.invalidateNow(row.tenantId, tags);
          log.info({ tenantId: row.tenantId, tags, removed }, 'outbox invalidation applied');
          done.push(row.id);
        }
      } finally {
        await remove(done);
        applied += done.length;
        lastPending = Math.max(0, lastPending - done.length);
      }
      if (rows.length < 200) break;
    }
    return applied;
  }

  /**
   * One sweep at a time: a sweep in flight is shared when it takes the rows asked for, and
   * followed by a sweep of its own when it leaves younger ones (a background sweep skips the
   * rows within the grace, which the breaker's sweep must apply before trusting the store).
   */
  function sweep(minAgeMs = 0): Promise<number> {
    const current = sweeping;
    if (current !== null) {
      if (current.minAgeMs <= minAgeMs) return current.done;
      return current.done.then(
        () => sweep(minAgeMs),
        () => sweep(minAgeMs),
      );
    }
    const done = sweepOnce(minAgeMs).finally(() => {
      if (sweeping?.done === done) sweeping = null;
    });
    sweeping = { minAgeMs, done };
    return done;
  }

  // The poll in flight (its sweep, then the count), which close() waits for.
  let polling: Promise<void> | null = null;
  const background = () => {
    if (closed || !options.invalidate || polling) return;
    polling = sweep(graceMs)
      .catch((err) => log.debug({ err }, 'outbox sweep failed; retrying'))
      .then(recount)
      .finally(() => {
        polling = null;
      });
  };

  const invalidator: CacheInvalidator = {
    async transaction(work) {
      const rows: CacheOutbox[] = [];
      const result = await inTransaction(db, async (em: EntityManager) => {
        rows.length = 0;
        const value = await work(em, (tenantId, tags) => {
          if (options.invalidate && tags.length > 0) {
            rows.push(
              em.create(CacheOutbox, {
                id: randomUUID(),
                tenantId,
                tags: JSON.stringify(tags),
                createdAt: new Date(clock()),
              }),
            );
          }
        });
        if (rows.length > 0) {
          await em.insert(CacheOutbox, rows);
          if (postgres) await em.query(`SELECT pg_notify('${OUTBOX_CHANNEL}', '')`);
        }
        return value;
      });
      const applied: string[] = [];
      for (const row of rows) {
        const removed = await options.invalidate?.(row.tenantId, JSON.parse(row.tags));
        if (removed !== null && removed !== undefined) applied.push(row.id);
      }
      // Not deleted: applied by the next sweep, here or on another instance.
      await remove(applied).catch((err) => log.warn({ err }, 'outbox rows left to the sweep'));
      lastPending += rows.length - applied.length;
      return result;
    },
  };

  return {
    invalidator,
    /** Applies every pending row now (the breaker's beforeTrust); throws when one fails. */
    sweep: () => sweep(0),
    /** Pending rows, counted in the database now. */
    pending: () => repo().count(),
    /**
     * PostgreSQL with `listenUrl`: whether other instances' rows are announced by NOTIFY now;
     * null without a listener (SQLite, or not started).
     */
    listening: (): boolean | null => listener?.listening() ?? null,
    /** Pending rows as last counted (hotpath_outbox_pending). */
    pendingNow: () => lastPending,
    /** Starts polling and, on PostgreSQL with `listenUrl`, listening. */
    async start() {
      if (!options.invalidate || timer) return;
      await recount();
      timer = setInterval(background, pollMs);
      timer.unref();
      if (postgres && options.listenUrl) {
        listener = listen({
          url: options.listenUrl,
          channel: OUTBOX_CHANNEL,
          name: 'outbox listener',
          // The writer applies its own rows at once; a row still there after the grace is ours.
          onNotification: () => setTimeout(background, graceMs + 10).unref(),
          onBack: background,
          log,
        });
        await listener.started.catch((err) =>
          log.warn({ err }, 'outbox LISTEN failed; polling until it listens'),
        );
      }
    },
    async close() {
      closed = true;
      if (timer) clearInterval(timer);
      timer = null;
      await listener?.close();
      listener = null;
      await polling;
      await sweeping?.done.catch(() => {});
    },
  };
}

export type Outbox = ReturnType<typeof createOutbox>;

import type { Plugin } from 'graphql-yoga';
import type { DataSource } from 'typeorm';
import type { CacheRuntime } from '../cache/runtime.js';
import { createOpsConsole } from '../ops/handler.js';
import { type MetricsGate, metricsResponse } from '../ops/metrics.js';

/** What the operations routes read: the database, the cache's state, and who may see /metrics. */
export interface OperationsDeps {
  db: DataSource;
  cache: CacheRuntime;
  /** True while the process stops: /readyz answers 503 so load balancers move away. */
  draining?: () => boolean;
  /** Who may read GET /metrics here; null: it is served on METRICS_PORT, not here. */
  metrics: MetricsGate | null;
}

async function databaseState(db: DataSource): Promise<'ok' | 'down'> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      db.query('SELECT 1'),
      new Promise((_, reject) => {
        timer = setTimeout(reject, 1_000, new Error('timeout'));
      }),
    ]);
    return 'ok';
  } catch {
    return 'down';
  } finally {
    clearTimeout(timer);
  }
}

/** Once true it stays true: migrations don't come undone in a running process. */
function migrationsDone(db: DataSource) {
  let done = false;
  return async () => {
    if (!done) done = !(await db.showMigrations());
    return done;
  };
}

/**
 * GET /readyz, for load balancers: 200 when the database answers and every migration has run,
 * 503 otherwise and while the process drains. The cache is not part of it: without Redis the
 * instance still answers from the database. GET /livez (Yoga's) says only that the process runs.
 */
async function readiness(deps: OperationsDeps, migrated: () => Promise<boolean>) {
  const draining = deps.draining?.() ?? false;
  const database = await databaseState(deps.db);
  const migrations = database === 'ok' && (await migrated().catch(() => false));
  const ready = !draining && database === 'ok' && migrations;
  return Response.json(
    {
      status: ready ? 'ready' : 'unavailable',
      draining,
      database,
      migrations: migrations ? 'done' : 'pending',
    },
    { status: ready ? 200 : 503 },
  );
}

/**
 * GET /health: database and cache state. 503 only when the database is down; a cache in
 * fallback makes it `degraded`, because requests are still answered. GET /metrics: Prometheus,
 * for the operator token or METRICS_TOKEN only (unless it lives on METRICS_PORT).
 * /ops: the operators' console (static; it signs in and acts through /graphql).
 */
export function useOperations(deps: OperationsDeps): Plugin {
  const opsConsole = createOpsConsole();
  const migrated = migrationsDone(deps.db);
  return {
    async onRequest({ request, url, endResponse }) {
      if (opsConsole.matches(url.pathname)) {
        endResponse(opsConsole.handle(request));
        return;
      }
      if (request.method !== 'GET') return;
      if (url.pathname === '/readyz') {
        endResponse(await readiness(deps, migrated));
        return;
      }
      if (url.pathname === '/metrics') {
        // Served on METRICS_PORT instead: not here, for anyone (auth-first would answer 401).
        endResponse(
          deps.metrics
            ? await metricsResponse(request, deps.cache.stats.registry, deps.metrics)
            : new Response(null, { status: 404 }),
        );
        return;
      }
      if (url.pathname !== '/health') return;
      const database = await databaseState(deps.db);
      const breaker = deps.cache.store?.state();
      const cache = {
        backend: deps.cache.backend,
        status: !breaker ? 'disabled' : breaker.fallbackActive ? 'fallback' : 'ok',
        connected: deps.cache.connected(),
        fallbackActive: breaker?.fallbackActive ?? false,
        fallbackSince: breaker?.fallbackSince ?? null,
      };
      const cacheDown = Boolean(breaker) && (breaker?.fallbackActive || !cache.connected);
      const status = database === 'down' ? 'down' : cacheDown ? 'degraded' : 'ok';
      endResponse(
        Response.json(
          { status, database: { status: database, type: deps.db.options.type }, cache },
          { status: status === 'down' ? 503 : 200 },
        ),
      );
    },
  };
}

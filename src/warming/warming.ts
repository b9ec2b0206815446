import pLimit from 'p-limit';
import type { Logger } from 'pino';
import { type DataSource, In } from 'typeorm';
import type { RequestAuth } from '../auth/request-auth.js';
import type { TenantViewer } from '../auth/viewer.js';
import type { PopularRequest, PopularRequests } from '../cache/popular.js';
import { Appointment } from '../db/entities/appointment.entity.js';
import { Tenant } from '../db/entities/tenant.entity.js';
import { User } from '../db/entities/user.entity.js';
import { localDate } from '../time.js';
import type { Replay } from './replay.js';

/**
 * The documents the warmer runs for active users. Responses are keyed by document text, so
 * these help the clients that send them byte for byte (the README lists them); the requests
 * clients actually send are warmed from the popular list (src/cache/popular.ts).
 */
export const WARM_DOCUMENTS = {
  agenda: `query WarmAgenda($userId: ID!, $date: Date!) {
  agenda(userId: $userId, date: $date) {
    id
    date
    user { id name }
    appointments {
      id
      clientName
      startsAt
      endsAt
      status
      service { id name durationMinutes priceCents }
    }
  }
}`,
  services: `query WarmServices($userId: ID!) {
  services(userId: $userId) { id name durationMinutes priceCents active }
}`,
} as const;

export interface WarmResult {
  usersWarmed: number;
  /** Every request the run sent: two per user, then the most requested ones. */
  operations: number;
  /** Of those, the most requested requests sent again (full runs only). */
  popular: number;
  durationMs: number;
}

export interface WarmerOptions {
  db: DataSource;
  /** Warming runs real requests through the GraphQL server, in process (a port: replay.ts). */
  replay: Replay;
  auth: RequestAuth;
  logger: Logger;
  concurrency: number;
  /** The most requested requests; a full run sends them again after the agendas and services. */
  popular: PopularRequests;
  clock?: () => Date;
}

interface GraphQLErrorLike {
  message: string;
}

const PLAN_ORDER = `CASE u.plan WHEN 'ENTERPRISE' THEN 0 WHEN 'PRO' THEN 1 ELSE 2 END`;
const ACTIVE_WINDOW_MS = 30 * 24 * 60 * 60 * 1000;

interface WarmTarget {
  userId: string;
  tenantId: string;
  timezone: string;
}

/** Warms today's agenda and the services of active users, paid plans first (DESIGN §8). */
export function createWarmer(options: WarmerOptions) {
  const clock = options.clock ?? (() => new Date());
  const log = options.logger.child({ component: 'cache-warmer' });

  /** Users with appointments in the last 30 days: paid plans first, then the busiest. */
  async function activeUsers(): Promise<WarmTarget[]> {
    const since = clock().getTime() - ACTIVE_WINDOW_MS;
    const rows = await options.db
      .getRepository(User)
      .createQueryBuilder('u')
      .innerJoin(Appointment, 'a', 'a.user_id = u.id AND a.starts_at >= :since', { since })
      .innerJoin(Tenant, 't', 't.id = u.tenant_id')
      .select(['u.id AS "userId"', 'u.tenant_id AS "tenantId"', 't.timezone AS "timezone"'])
      .addSelect(PLAN_ORDER, 'rank')
      .addSelect('COUNT(a.id)', 'recent')
      .groupBy('u.id')
      .addGroupBy('u.tenant_id')
      .addGroupBy('t.timezone')
      .addGroupBy('u.plan')
      .orderBy('rank', 'ASC')
      .addOrderBy('recent', 'DESC')
      .getRawMany<WarmTarget>();
    return rows.map(({ userId, tenantId, timezone }) => ({ userId, tenantId, timezone }));
  }

  async function chosenUsers(userIds: string[]): Promise<WarmTarget[]> {
    const rows = await options.db
      .getRepository(User)
      .createQueryBuilder('u')
      .innerJoin(Tenant, 't', 't.id = u.tenant_id')
      .select(['u.id AS "userId"', 'u.tenant_id AS "tenantId"', 't.timezone AS "timezone"'])
      .addSelect(PLAN_ORDER, 'rank')
      .where({ id: In(userIds) })
      .orderBy('rank', 'ASC')
      .getRawMany<WarmTarget>();
    return rows.map(({ userId, tenantId, timezone }) => ({ userId, tenantId, timezone }));
  }

  /**
   * Sends one request through the app as `viewer`, left out of the popular counts; the errors
   * of its answer, or the failure itself.
   */
  async function send(viewer: TenantViewer, params: object): Promise<GraphQLErrorLike[]> {
    try {
      const request = options.auth.actAs(
        new Request('http://hotpath.internal/graphql', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(params),
        }),
        viewer,
      );
      const response = await options.replay(options.popular.exclude(request));
      const body = (await response.json()) as { errors?: GraphQLErrorLike[] };
      return body.errors ?? [];
    } catch (err) {
      return [{ message: err instanceof Error ? err.message : String(err) }];
    }
  }

  async function run(target: WarmTarget, query: string, variables: object) {
    const viewer: TenantViewer = {
      kind: 'tenant',
      tenantId: target.tenantId,
      timezone: target.timezone,
    };
    const errors = await send(viewer, { query, variables });
    if (errors.length) log.warn({ userId: target.userId, errors }, 'warming a query failed');
  }

  /**
   * Sends a listed request again as it came: the same text, operation name and variables
   * (date-relative ones included: the recorded values, not today's), as the tenant that sent
   * it. A persisted query goes by its hash; when that fails (the APQ store forgot the hash, or
   * the server takes no hash-only requests) and its text is known, it goes with both, as an
   * Apollo client registers it. A request that fails leaves the list: true when it did.
   */
  async function replay(entry: PopularRequest): Promise<boolean> {
    const params: Record<string, unknown> = {};
    if (entry.operationName !== null) params.operationName = entry.operationName;
    if (entry.variables !== null) params.variables = JSON.parse(entry.variables);
    if (entry.hash !== null) {
      params.extensions = { persistedQuery: { version: 1, sha256Hash: entry.hash } };
    } else {
      params.query = entry.query;
    }
    let errors = await send(entry.viewer, params);
    if (errors.length && entry.hash !== null && entry.query !== null) {
      errors = await send(entry.viewer, { ...params, query: entry.query });
    }
    if (!errors.length) return false;
    options.popular.drop(entry.viewer.tenantId, entry.key);
    log.warn(
      { tenantId: entry.viewer.tenantId, operationName: entry.operationName, errors },
      'warming a popular request failed: dropped from the list',
    );
    return true;
  }

  return {
    /**
     * The given users (any tenant), or every active user and then the most requested requests
     * of every tenant (a full run, which also halves their counts).
     */
    async warm(userIds?: string[] | null): Promise<WarmResult> {
      const started = performance.now();
      const targets = userIds ? await chosenUsers(userIds) : await activeUsers();
      const limit = pLimit(options.concurrency);
      const now = clock();
      const jobs = targets.flatMap((target) => [
        limit(() =>
          run(target, WARM_DOCUMENTS.agenda, {
            userId: target.userId,
            date: localDate(now, target.timezone),
          }),
        ),
        limit(() => run(target, WARM_DOCUMENTS.services, { userId: target.userId })),
      ]);
      // Queued behind the agendas and services (DESIGN §8), most requested first.
      const listed = userIds ? [] : options.popular.top();
      if (!userIds) options.popular.decay();
      const replays = listed.map((entry) => limit(() => replay(entry)));
      await Promise.all(jobs);
      const dropped = (await Promise.all(replays)).filter(Boolean).length;
      const result = {
        usersWarmed: targets.length,
        operations: jobs.length + replays.length,
        popular: replays.length,
        durationMs: performance.now() - started,
      };
      log.info({ ...result, dropped, listed: options.popular.size }, 'cache warmed');
      return result;
    },
  };
}

export type Warmer = ReturnType<typeof createWarmer>;

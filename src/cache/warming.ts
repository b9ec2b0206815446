import pLimit from 'p-limit';
import type { Logger } from 'pino';
import { type DataSource, In } from 'typeorm';
import type { TenantViewer } from '../context.js';
import { Appointment } from '../db/entities/appointment.entity.js';
import { Tenant } from '../db/entities/tenant.entity.js';
import { User } from '../db/entities/user.entity.js';
import type { RequestAuth } from '../request-auth.js';
import { localDate } from '../time.js';

/**
 * The documents the warmer runs. Responses are keyed by document text, so warming helps the
 * clients that send these exact documents (the README lists them).
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
  operations: number;
  durationMs: number;
}

export interface WarmerOptions {
  db: DataSource;
  /** The app itself: warming runs real requests through it, in process. */
  fetch: (request: Request) => Promise<Response> | Response;
  auth: RequestAuth;
  logger: Logger;
  concurrency: number;
  clock?: () => Date;
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

  async function run(target: WarmTarget, query: string, variables: object) {
    const viewer: TenantViewer = {
      kind: 'tenant',
      tenantId: target.tenantId,
      timezone: target.timezone,
    };
    const request = options.auth.actAs(
      new Request('http://hotpath.internal/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query, variables }),
      }),
      viewer,
    );
    const response = await options.fetch(request);
    const body = (await response.json()) as { errors?: { message: string }[] };
    if (body.errors)
      log.warn({ userId: target.userId, errors: body.errors }, 'warming a query failed');
  }

  return {
    /** The given users (any tenant), or every active user. */
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
      await Promise.all(jobs);
      const result = {
        usersWarmed: targets.length,
        operations: jobs.length,
        durationMs: performance.now() - started,
      };
      log.info(result, 'cache warmed');
      return result;
    },
  };
}

export type Warmer = ReturnType<typeof createWarmer>;

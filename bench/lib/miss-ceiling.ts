/**
 * The miss ceiling (issue 19): what an agenda miss costs when nothing but the work itself is
 * done. A node:http server that answers the bench's agenda request by reading the same rows
 * with the same SQL Hotpath sends (MISS_SQL, which test/bench/miss-ceiling.test.ts holds equal
 * to what TypeORM logs for a miss), through the same driver (better-sqlite3, statements
 * prepared once), and writing the JSON by hand. No GraphQL, no ORM, no cache, no API key: the
 * tenant and its time zone come from the environment.
 *
 * Run as a script (bench/miss.ts starts it through lib/child.ts), it reads BENCH_SQLITE_PATH,
 * BENCH_TENANT_ID and BENCH_TIMEZONE, listens on 127.0.0.1, sends `{ port }` over IPC and
 * serves until SIGTERM.
 */
import { createServer, type RequestListener } from 'node:http';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { dayRange } from '../../src/time.js';

/** The statements of an agenda miss, in the order Hotpath sends them. */
export const MISS_SQL = {
  user:
    'SELECT "u"."id" AS "id", "u"."tenant_id" AS "tenantId", "u"."name" AS "name", "u"."plan" AS "plan", ' +
    '"u"."created_at" AS "createdAt" FROM "users" "u" WHERE "u"."tenant_id" = ? AND "u"."id" IN (?)',
  appointments:
    'SELECT "a"."id" AS "id", "a"."tenant_id" AS "tenantId", "a"."user_id" AS "userId", ' +
    '"a"."service_id" AS "serviceId", "a"."client_name" AS "clientName", "a"."starts_at" AS "startsAt", ' +
    '"a"."ends_at" AS "endsAt", "a"."status" AS "status", "a"."created_at" AS "createdAt", ' +
    '"a"."updated_at" AS "updatedAt" FROM "appointments" "a" WHERE "a"."tenant_id" = ? AND ' +
    '(("a"."user_id" = ? AND "a"."starts_at" >= ? AND "a"."starts_at" < ?)) ' +
    'ORDER BY "a"."starts_at" ASC, "a"."id" ASC',
  /** `IN (?, ?, …)`: one placeholder per distinct service of the day. */
  services: (count: number) =>
    'SELECT "s"."id" AS "id", "s"."tenant_id" AS "tenantId", "s"."user_id" AS "userId", "s"."name" AS "name", ' +
    '"s"."duration_minutes" AS "durationMinutes", "s"."price_cents" AS "priceCents", "s"."active" AS "active", ' +
    '"s"."created_at" AS "createdAt", "s"."deleted_at" AS "deletedAt" FROM "services" "s" ' +
    `WHERE "s"."tenant_id" = ? AND "s"."id" IN (${Array(count).fill('?').join(', ')})`,
};

type Row = Record<string, string | number | null>;

const iso = (epochMs: unknown) => new Date(Number(epochMs)).toISOString();
const str = JSON.stringify;

export interface MissCeilingOptions {
  sqlitePath: string;
  tenantId: string;
  timezone: string;
}

/** The ceiling's request handler, and the database it holds open. */
export function createMissCeiling(options: MissCeilingOptions) {
  const db = new Database(options.sqlitePath, { readonly: true });
  const userStatement = db.prepare(MISS_SQL.user);
  const appointmentStatement = db.prepare(MISS_SQL.appointments);
  const serviceStatements = new Map<number, Database.Statement>();
  const servicesStatement = (count: number) => {
    let statement = serviceStatements.get(count);
    if (!statement) {
      statement = db.prepare(MISS_SQL.services(count));
      serviceStatements.set(count, statement);
    }
    return statement;
  };
  const { tenantId, timezone } = options;

  /** The response body of the agenda of `userId` on `date`, as Hotpath writes it. */
  function agendaJson(userId: string, date: string): string | null {
    const user = userStatement.get(tenantId, userId) as Row | undefined;
    if (!user) return null;
    const { start, end } = dayRange(date, timezone);
    const rows = appointmentStatement.all(
      tenantId,
      userId,
      start.getTime(),
      end.getTime(),
    ) as Row[];
    const serviceIds = [...new Set(rows.map((row) => row.serviceId as string))];
    const services = new Map<string, string>();
    if (serviceIds.length > 0) {
      for (const s of servicesStatement(serviceIds.length).all(tenantId, ...serviceIds) as Row[]) {
        services.set(
          s.id as string,
          `{"id":${str(s.id)},"name":${str(s.name)},"durationMinutes":${Number(s.durationMinutes)},"priceCents":${Number(s.priceCents)}}`,
        );
      }
    }
    let appointments = '';
    for (const row of rows) {
      if (appointments) appointments += ',';
      appointments +=
        `{"id":${str(row.id)},"clientName":${str(row.clientName)},"startsAt":"${iso(row.startsAt)}",` +
        `"endsAt":"${iso(row.endsAt)}","status":${str(row.status)},` +
        `"service":${services.get(row.serviceId as string) ?? 'null'}}`;
    }
    return (
      `{"data":{"agenda":{"id":${str(`${userId}:${date}`)},"date":${str(date)},` +
      `"user":{"id":${str(user.id)},"name":${str(user.name)}},"appointments":[${appointments}]}}}`
    );
  }

  const handler: RequestListener = (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      let body: string | null = null;
      try {
        const { variables } = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        body = agendaJson(String(variables.userId), String(variables.date));
      } catch {}
      if (body === null) {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end('{"errors":[{"message":"not an agenda request"}]}');
        return;
      }
      res.writeHead(200, {
        'content-type': 'application/graphql-response+json; charset=utf-8',
        'content-length': Buffer.byteLength(body),
      });
      res.end(body);
    });
  };
  return { handler, agendaJson, close: () => db.close() };
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`bench/lib/miss-ceiling.ts: ${name} is required`);
  return value;
}

/** As a script: serve, report the port over IPC (lib/child.ts), stop on SIGTERM. */
function main() {
  const ceiling = createMissCeiling({
    sqlitePath: required('BENCH_SQLITE_PATH'),
    tenantId: required('BENCH_TENANT_ID'),
    timezone: required('BENCH_TIMEZONE'),
  });
  const server = createServer(ceiling.handler);
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    if (!address || typeof address === 'string') throw new Error('no port');
    process.send?.({ port: address.port });
  });
  process.on('message', (message: { type?: string }) => {
    // No resolver and no ORM here: nothing to count.
    if (message?.type === 'counts')
      process.send?.({ type: 'counts', agendaResolves: 0, statements: 0 });
  });
  process.on('SIGTERM', () => {
    server.close();
    server.closeAllConnections();
    ceiling.close();
    process.exit(0);
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();

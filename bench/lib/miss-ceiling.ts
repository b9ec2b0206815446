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
    'SELECT "User"."id" AS "User_id", "User"."tenant_id" AS "User_tenant_id", "User"."name" AS "User_name", ' +
    '"User"."plan" AS "User_plan", "User"."created_at" AS "User_created_at" FROM "users" "User" ' +
    'WHERE (("User"."tenant_id" = ?) AND ("User"."id" IN (?)))',
  appointments:
    'SELECT "a"."id" AS "a_id", "a"."tenant_id" AS "a_tenant_id", "a"."user_id" AS "a_user_id", ' +
    '"a"."service_id" AS "a_service_id", "a"."client_name" AS "a_client_name", "a"."starts_at" AS "a_starts_at", ' +
    '"a"."ends_at" AS "a_ends_at", "a"."status" AS "a_status", "a"."created_at" AS "a_created_at", ' +
    '"a"."updated_at" AS "a_updated_at" FROM "appointments" "a" WHERE "a"."tenant_id" = ? AND ' +
    '(("a"."user_id" = ? AND "a"."starts_at" >= ? AND "a"."starts_at" < ?)) ' +
    'ORDER BY "a"."starts_at" ASC, "a"."id" ASC',
  /** `IN (?, ?, …)`: one placeholder per distinct service of the day. */
  services: (count: number) =>
    'SELECT "Service"."id" AS "Service_id", "Service"."tenant_id" AS "Service_tenant_id", ' +
    '"Service"."user_id" AS "Service_user_id", "Service"."name" AS "Service_name", ' +
    '"Service"."duration_minutes" AS "Service_duration_minutes", "Service"."price_cents" AS "Service_price_cents", ' +
    '"Service"."active" AS "Service_active", "Service"."created_at" AS "Service_created_at", ' +
    '"Service"."deleted_at" AS "Service_deleted_at" FROM "services" "Service" ' +
    `WHERE (("Service"."tenant_id" = ?) AND ("Service"."id" IN (${Array(count).fill('?').join(', ')})))`,
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
    const serviceIds = [...new Set(rows.map((row) => row.a_service_id as string))];
    const services = new Map<string, string>();
    if (serviceIds.length > 0) {
      for (const s of servicesStatement(serviceIds.length).all(tenantId, ...serviceIds) as Row[]) {
        services.set(
          s.Service_id as string,
          `{"id":${str(s.Service_id)},"name":${str(s.Service_name)},"durationMinutes":${Number(s.Service_duration_minutes)},"priceCents":${Number(s.Service_price_cents)}}`,
        );
      }
    }
    let appointments = '';
    for (const row of rows) {
      if (appointments) appointments += ',';
      appointments +=
        `{"id":${str(row.a_id)},"clientName":${str(row.a_client_name)},"startsAt":"${iso(row.a_starts_at)}",` +
        `"endsAt":"${iso(row.a_ends_at)}","status":${str(row.a_status)},` +
        `"service":${services.get(row.a_service_id as string) ?? 'null'}}`;
    }
    return (
      `{"data":{"agenda":{"id":${str(`${userId}:${date}`)},"date":${str(date)},` +
      `"user":{"id":${str(user.User_id)},"name":${str(user.User_name)}},"appointments":[${appointments}]}}}`
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

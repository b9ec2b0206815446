import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMissCeiling, MISS_SQL } from '../../bench/lib/miss-ceiling.js';
import { openDatabase } from '../../src/db/data-source.js';
import { Appointment } from '../../src/db/entities/appointment.entity.js';
import { Service } from '../../src/db/entities/service.entity.js';
import { dayRange } from '../../src/time.js';
import { WARM_DOCUMENTS } from '../../src/warming/warming.js';
import { buildTestApp, StatementCounter, type TestApp } from '../support/app.js';

// bench:miss compares Hotpath's miss with a ceiling that must read the same rows with the same
// SQL: when a loader's statement changes, this fails until MISS_SQL follows it.
describe('the miss ceiling (bench/lib/miss-ceiling.ts)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hp-miss-ceiling-'));
  const counter = new StatementCounter();
  let app: TestApp;
  let ceiling: ReturnType<typeof createMissCeiling>;
  let key: string;
  let userId: string;
  const timezone = 'America/Sao_Paulo';
  const date = '2026-03-02';

  beforeAll(async () => {
    const sqlitePath = join(dir, 'ceiling.sqlite');
    const db = await openDatabase({ sqlitePath }, { logger: counter });
    app = await buildTestApp('sqlite', { db, cache: { backend: 'MEMORY' } });
    const created = await app.createTenant('Ceiling', timezone);
    key = created.key;
    userId = (await app.createUser(created.tenant.id, 'Ana "quoted" ção')).id;
    const serviceIds = [randomUUID(), randomUUID()];
    await db.getRepository(Service).save(
      serviceIds.map((id, i) => ({
        id,
        tenantId: created.tenant.id,
        userId,
        name: `Service ${i}`,
        durationMinutes: 30,
        priceCents: 1_000 * (i + 1),
        active: i === 0,
        createdAt: new Date(),
        deletedAt: i === 1 ? new Date() : null,
      })),
    );
    const { start } = dayRange(date, timezone);
    await db.getRepository(Appointment).save(
      [0, 1, 2].map((i) => ({
        id: randomUUID(),
        tenantId: created.tenant.id,
        userId,
        serviceId: serviceIds[i % 2],
        clientName: `Client\n${i}`,
        startsAt: new Date(start.getTime() + i * 3_600_000),
        endsAt: new Date(start.getTime() + i * 3_600_000 + 1_800_000),
        status: i === 2 ? ('CANCELLED' as const) : ('PENDING' as const),
        createdAt: new Date(),
        updatedAt: new Date(),
      })),
    );
    ceiling = createMissCeiling({ sqlitePath, tenantId: created.tenant.id, timezone });
  });
  afterAll(async () => {
    ceiling?.close();
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("sends the statements Hotpath's agenda miss sends, and answers its JSON", async () => {
    // The key's own lookup (once a minute) is not part of a miss.
    await app.execute(WARM_DOCUMENTS.agenda, { userId, date: '2026-03-01' }, key);
    counter.reset();
    const miss = await app.execute(WARM_DOCUMENTS.agenda, { userId, date }, key);
    expect(miss.headers.get('x-cache')).toBe('MISS');
    expect(counter.statements).toEqual([
      MISS_SQL.user,
      MISS_SQL.appointments,
      MISS_SQL.services(2),
    ]);
    const json = ceiling.agendaJson(userId, date);
    expect(json).not.toBeNull();
    expect(JSON.parse(json ?? '')).toEqual(miss.body);
    expect(ceiling.agendaJson(randomUUID(), date)).toBeNull();
  });
});

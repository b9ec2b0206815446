import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Appointment } from '../../src/db/entities/appointment.entity.js';
import { Service } from '../../src/db/entities/service.entity.js';
import { Tenant } from '../../src/db/entities/tenant.entity.js';
import { User } from '../../src/db/entities/user.entity.js';
import { loadAgendaAppointments } from '../../src/loaders/appointment.loader.js';
import { preparedSelect } from '../../src/loaders/prepared.js';
import { loadServices } from '../../src/loaders/service.loader.js';
import { loadUsers } from '../../src/loaders/user.loader.js';
import { dayRange } from '../../src/time.js';
import { dialects, openTestDatabase, StatementCounter } from '../support/app.js';

/** An entity as plain properties: what the raw loaders give, compared by value. */
const plain = <T extends object>(entity: T | null) => (entity ? { ...entity } : null);

// The hot loaders read raw rows (src/loaders/prepared.ts) instead of hydrating entities: each
// must give what TypeORM's own hydration of the same rows gives, column types included.
describe.each(dialects)('raw loaders on %s', (dialect) => {
  const counter = new StatementCounter();
  let opened: Awaited<ReturnType<typeof openTestDatabase>>;
  const tenantId = randomUUID();
  const otherTenantId = randomUUID();
  const userId = randomUUID();
  const otherUserId = randomUUID();
  const services = { live: randomUUID(), deleted: randomUUID(), inactive: randomUUID() };
  // New York's clocks go back at 02:00 on 2026-11-01: that day lasts 25 hours.
  const timezone = 'America/New_York';
  const dstDay = '2026-11-01';

  beforeAll(async () => {
    opened = await openTestDatabase(dialect, counter);
    const { db } = opened;
    await db.getRepository(Tenant).save([
      { id: tenantId, name: 'Raw', timezone, createdAt: new Date(1_500_000_000_123) },
      { id: otherTenantId, name: 'Other', timezone, createdAt: new Date() },
    ]);
    await db.getRepository(User).save([
      {
        id: userId,
        tenantId,
        name: 'Ana "quoted" ção',
        plan: 'PRO',
        createdAt: new Date(1_600_000_000_456),
      },
      {
        id: otherUserId,
        tenantId: otherTenantId,
        name: 'Other',
        plan: 'FREE',
        createdAt: new Date(),
      },
    ]);
    const service = (id: string, active: boolean, deletedAt: Date | null) => ({
      id,
      tenantId,
      userId,
      name: `S ${id.slice(0, 4)}`,
      durationMinutes: 45,
      priceCents: 2_147_483_000,
      active,
      createdAt: new Date(1_700_000_000_789),
      deletedAt,
    });
    await db
      .getRepository(Service)
      .save([
        service(services.live, true, null),
        service(services.deleted, true, new Date(1_710_000_000_001)),
        service(services.inactive, false, null),
      ]);
    const { start, end } = dayRange(dstDay, timezone);
    const appointment = (at: number, serviceId: string, status: Appointment['status']) => ({
      id: randomUUID(),
      tenantId,
      userId,
      serviceId,
      clientName: `Client at ${at}`,
      startsAt: new Date(at),
      endsAt: new Date(at + 45 * 60_000),
      status,
      createdAt: new Date(at - 1),
      updatedAt: new Date(at - 2),
    });
    await db.getRepository(Appointment).save([
      appointment(start.getTime() - 1, services.live, 'PENDING'), // the day before
      appointment(start.getTime(), services.deleted, 'CONFIRMED'), // its first instant
      appointment(start.getTime() + 3_600_000, services.inactive, 'CANCELLED'),
      appointment(end.getTime() - 1, services.live, 'PENDING'), // its last millisecond
      appointment(end.getTime(), services.live, 'PENDING'), // the next day
    ]);
  });
  afterAll(() => opened.close());

  it('reads users as TypeORM hydrates them, in key order, null for missing and foreign ids', async () => {
    const { db } = opened;
    const ids = [otherUserId, userId, randomUUID()];
    const loaded = await loadUsers(db, tenantId, ids);
    const own = await db.getRepository(User).findOneByOrFail({ id: userId });
    expect(loaded.map(plain)).toEqual([null, plain(own), null]);
    expect(loaded[1]?.createdAt).toBeInstanceOf(Date);
  });

  it('reads services with their booleans, integers and null or set deletedAt as TypeORM does', async () => {
    const { db } = opened;
    const ids = [services.inactive, services.deleted, services.live];
    const loaded = await loadServices(db, tenantId, ids);
    const hydrated = await Promise.all(
      ids.map((id) => db.getRepository(Service).findOneByOrFail({ id })),
    );
    expect(loaded.map(plain)).toEqual(hydrated.map(plain));
    expect(loaded.map((s) => s?.active)).toEqual([false, true, true]);
    expect(loaded.map((s) => s?.deletedAt?.getTime() ?? null)).toEqual([
      null,
      1_710_000_000_001,
      null,
    ]);
  });

  it("reads a DST day's appointments, its first and last millisecond in, its neighbours out", async () => {
    const { db } = opened;
    const [day, otherTenants] = await loadAgendaAppointments(db, tenantId, timezone, [
      { userId, date: dstDay },
      { userId: otherUserId, date: dstDay },
    ]);
    const { start, end } = dayRange(dstDay, timezone);
    expect(end.getTime() - start.getTime()).toBe(25 * 3_600_000);
    const hydrated = await db
      .getRepository(Appointment)
      .createQueryBuilder('a')
      .where('a.tenantId = :tenantId', { tenantId })
      .andWhere('a.startsAt >= :start AND a.startsAt < :end', {
        start: start.getTime(),
        end: end.getTime(),
      })
      .orderBy('a.startsAt', 'ASC')
      .addOrderBy('a.id', 'ASC')
      .getMany();
    expect(hydrated).toHaveLength(3);
    expect(day.map(plain)).toEqual(hydrated.map(plain));
    expect(day.map((a) => a.status)).toEqual(['CONFIRMED', 'CANCELLED', 'PENDING']);
    expect(otherTenants).toEqual([]);
  });

  it('sends one statement text for every day: the dates are bound, not written into the SQL', async () => {
    const { db } = opened;
    counter.reset();
    await loadAgendaAppointments(db, tenantId, timezone, [{ userId, date: '2026-10-31' }]);
    await loadAgendaAppointments(db, tenantId, timezone, [{ userId, date: dstDay }]);
    expect(counter.statements).toHaveLength(2);
    expect(counter.statements[0]).toBe(counter.statements[1]);
  });

  it('builds shapes past maxCount every time, with the same answers', async () => {
    const { db } = opened;
    const select = preparedSelect(
      (source, count, slot) =>
        source
          .getRepository(User)
          .createQueryBuilder('u')
          .select('u.id', 'id')
          .where('u.id IN (:...ids)', { ids: Array.from({ length: count }, (_, i) => slot(i)) }),
      { maxCount: 1 },
    );
    for (const ids of [[userId], [userId, otherUserId], [otherUserId, userId, randomUUID()]]) {
      const rows = await select<{ id: string }>(db, ids.length, ids);
      expect(rows.map((r) => r.id).sort()).toEqual(
        [userId, otherUserId].filter((id) => ids.includes(id)).sort(),
      );
    }
  });
});

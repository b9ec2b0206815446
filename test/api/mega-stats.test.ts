import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Appointment, type AppointmentStatus } from '../../src/db/entities/appointment.entity.js';
import { Service } from '../../src/db/entities/service.entity.js';
import { buildTestApp, codes, dialects, OPS_TOKEN, type TestApp } from '../support/app.js';

const MEGA_STATS = `query($timezone: String) {
  megaStats(timezone: $timezone) {
    id
    timezone
    computedAt
    today { pending confirmed cancelled total }
    week { pending confirmed cancelled total }
    month { pending confirmed cancelled total }
    nextMonth { pending confirmed cancelled total }
  }
}`;

interface StatusCount {
  pending: number;
  confirmed: number;
  cancelled: number;
  total: number;
}
interface MegaStats {
  id: string;
  timezone: string;
  computedAt: string;
  today: StatusCount;
  week: StatusCount;
  month: StatusCount;
  nextMonth: StatusCount;
}

const count = (pending: number, confirmed: number, cancelled: number): StatusCount => ({
  pending,
  confirmed,
  cancelled,
  total: pending + confirmed + cancelled,
});
const none = count(0, 0, 0);

describe.each(dialects)('megaStats on %s', (dialect) => {
  let app: TestApp;

  beforeAll(async () => {
    app = await buildTestApp(dialect);
  });
  afterAll(() => app.close());

  /** A tenant with one provider and one service, ready for appointments. */
  async function tenantIn(timezone: string) {
    const { tenant, key } = await app.createTenant(`Tenant in ${timezone}`, timezone);
    const user = await app.createUser(tenant.id);
    const service = await app.db.getRepository(Service).save({
      id: randomUUID(),
      tenantId: tenant.id,
      userId: user.id,
      name: 'Consulta',
      durationMinutes: 30,
      priceCents: 10_000,
      active: true,
      createdAt: new Date(),
      deletedAt: null,
    });
    const book = (startsAt: string, status: AppointmentStatus) => {
      const start = new Date(startsAt);
      return app.db.getRepository(Appointment).save({
        id: randomUUID(),
        tenantId: tenant.id,
        userId: user.id,
        serviceId: service.id,
        clientName: `Client at ${startsAt}`,
        startsAt: start,
        endsAt: new Date(start.getTime() + 30 * 60_000),
        status,
        createdAt: new Date(),
        updatedAt: new Date(),
      });
    };
    return { tenantId: tenant.id, key, book };
  }

  async function megaStats(key: string, timezone?: string | null): Promise<MegaStats> {
    const res = await app.execute<{ megaStats: MegaStats }>(MEGA_STATS, { timezone }, key);
    expect(res.body.errors).toBeUndefined();
    return res.data.megaStats;
  }

  describe('buckets', () => {
    // Wednesday Mar 11 2026, 12:00 in São Paulo (UTC-3 all year).
    const now = new Date('2026-03-11T15:00:00Z');
    let stats: MegaStats;
    let tenantId: string;

    beforeAll(async () => {
      app.clock.now = () => now;
      const sp = await tenantIn('America/Sao_Paulo');
      tenantId = sp.tenantId;
      const { book } = sp;
      await book('2026-03-11T03:00:00Z', 'CONFIRMED'); // Wed Mar 11 00:00: today
      await book('2026-03-12T02:59:59Z', 'PENDING'); // Wed Mar 11 23:59:59: today
      await book('2026-03-12T03:00:00Z', 'PENDING'); // Thu Mar 12 00:00: week
      await book('2026-03-08T03:00:00Z', 'CANCELLED'); // Sun Mar 8 00:00: week
      await book('2026-03-08T02:59:59Z', 'CONFIRMED'); // Sat Mar 7 23:59:59: month
      await book('2026-03-15T02:59:59Z', 'CONFIRMED'); // Sat Mar 14 23:59:59: week
      await book('2026-03-15T03:00:00Z', 'PENDING'); // Sun Mar 15 00:00: month
      await book('2026-03-01T03:00:00Z', 'PENDING'); // Sun Mar 1 00:00: month
      await book('2026-03-01T02:59:59Z', 'CONFIRMED'); // Sat Feb 28 23:59:59: nothing
      await book('2026-04-01T02:59:59Z', 'CANCELLED'); // Tue Mar 31 23:59:59: month
      await book('2026-04-01T03:00:00Z', 'CONFIRMED'); // Wed Apr 1 00:00: next month
      await book('2026-05-01T02:59:59Z', 'PENDING'); // Thu Apr 30 23:59:59: next month
      await book('2026-05-01T03:00:00Z', 'CONFIRMED'); // Fri May 1 00:00: nothing

      // Another tenant's appointments, in the same windows, never count.
      const other = await tenantIn('America/Sao_Paulo');
      await other.book('2026-03-11T15:00:00Z', 'PENDING');
      await other.book('2026-03-12T12:00:00Z', 'CONFIRMED');
      await other.book('2026-04-10T12:00:00Z', 'CANCELLED');

      stats = await megaStats(sp.key);
    });

    it('counts today, local midnight to midnight', () => {
      expect(stats.today).toEqual(count(1, 1, 0));
    });

    it('counts the week from Sunday 00:00 to Saturday 23:59:59', () => {
      expect(stats.week).toEqual(count(2, 2, 1));
    });

    it('counts the calendar month', () => {
      expect(stats.month).toEqual(count(4, 3, 2));
    });

    it('counts next month', () => {
      expect(stats.nextMonth).toEqual(count(1, 1, 0));
    });

    it("defaults to the tenant's time zone and says so in the id", () => {
      expect(stats).toMatchObject({
        id: `${tenantId}:America/Sao_Paulo`,
        timezone: 'America/Sao_Paulo',
        computedAt: now.toISOString(),
      });
    });
  });

  it('counts a week that starts in the previous month', async () => {
    // Wednesday Apr 1 2026: the week began on Sunday Mar 29.
    app.clock.now = () => new Date('2026-04-01T15:00:00Z');
    const { key, book } = await tenantIn('America/Sao_Paulo');
    await book('2026-03-29T03:00:00Z', 'PENDING'); // Sun Mar 29 00:00
    await book('2026-03-29T02:59:59Z', 'CONFIRMED'); // Sat Mar 28 23:59:59
    await book('2026-04-04T12:00:00Z', 'CANCELLED'); // Sat Apr 4
    const stats = await megaStats(key);
    expect(stats.week).toEqual(count(1, 0, 1));
    expect(stats.month).toEqual(count(0, 0, 1));
    expect(stats.today).toEqual(none);
  });

  it("uses the tenant's own zone, not a default one", async () => {
    // 12:00 UTC on Mar 11 is 21:00 in Tokyo; 16:00 UTC is already 01:00 on Mar 12 there.
    app.clock.now = () => new Date('2026-03-11T12:00:00Z');
    const { key, tenantId, book } = await tenantIn('Asia/Tokyo');
    await book('2026-03-11T16:00:00Z', 'CONFIRMED'); // Tokyo Mar 12 01:00; São Paulo Mar 11 13:00
    await book('2026-03-10T23:00:00Z', 'PENDING'); // Tokyo Mar 11 08:00; São Paulo Mar 10 20:00

    const tokyo = await megaStats(key);
    expect(tokyo).toMatchObject({ id: `${tenantId}:Asia/Tokyo`, timezone: 'Asia/Tokyo' });
    expect(tokyo.today).toEqual(count(1, 0, 0));

    const saoPaulo = await megaStats(key, 'America/Sao_Paulo');
    expect(saoPaulo).toMatchObject({
      id: `${tenantId}:America/Sao_Paulo`,
      timezone: 'America/Sao_Paulo',
    });
    expect(saoPaulo.today).toEqual(count(0, 1, 0));

    const explicitDefault = await megaStats(key, null);
    expect(explicitDefault.id).toBe(`${tenantId}:Asia/Tokyo`);
  });

  it('counts a month that differs between zones', async () => {
    // 23:30 UTC on Mar 31 is still March in São Paulo but April in Tokyo.
    app.clock.now = () => new Date('2026-03-20T12:00:00Z');
    const { key, book } = await tenantIn('America/Sao_Paulo');
    await book('2026-03-31T23:30:00Z', 'CONFIRMED');
    expect(await megaStats(key)).toMatchObject({ month: count(0, 1, 0), nextMonth: none });
    expect(await megaStats(key, 'Asia/Tokyo')).toMatchObject({
      month: none,
      nextMonth: count(0, 1, 0),
    });
  });

  describe('daylight saving time in New York', () => {
    it('counts the 23-hour day of Mar 8 2026 and its week', async () => {
      // Noon on Sunday Mar 8, the day clocks jump from 02:00 EST to 03:00 EDT.
      app.clock.now = () => new Date('2026-03-08T16:00:00Z');
      const { key, book } = await tenantIn('America/New_York');
      await book('2026-03-08T04:59:59Z', 'CANCELLED'); // Sat Mar 7 23:59:59 EST
      await book('2026-03-08T05:00:00Z', 'PENDING'); // Sun Mar 8 00:00 EST
      await book('2026-03-09T03:30:00Z', 'CONFIRMED'); // Sun Mar 8 23:30 EDT
      await book('2026-03-09T04:30:00Z', 'PENDING'); // Mon Mar 9 00:30 EDT
      await book('2026-03-15T03:30:00Z', 'CONFIRMED'); // Sat Mar 14 23:30 EDT
      await book('2026-03-15T04:30:00Z', 'CANCELLED'); // Sun Mar 15 00:30 EDT

      const stats = await megaStats(key);
      expect(stats.timezone).toBe('America/New_York');
      expect(stats.today).toEqual(count(1, 1, 0));
      expect(stats.week).toEqual(count(2, 2, 0));
      expect(stats.month).toEqual(count(2, 2, 2));
    });

    it('counts the 25-hour day of Nov 1 2026 and its week', async () => {
      // Noon on Sunday Nov 1, the day clocks fall back from 02:00 EDT to 01:00 EST.
      app.clock.now = () => new Date('2026-11-01T17:00:00Z');
      const { key, tenantId, book } = await tenantIn('America/Sao_Paulo');
      await book('2026-11-01T03:59:59Z', 'CANCELLED'); // Sat Oct 31 23:59:59 EDT
      await book('2026-11-01T04:00:00Z', 'PENDING'); // Sun Nov 1 00:00 EDT
      await book('2026-11-02T04:30:00Z', 'CONFIRMED'); // Sun Nov 1 23:30 EST
      await book('2026-11-02T05:30:00Z', 'PENDING'); // Mon Nov 2 00:30 EST
      await book('2026-11-08T04:30:00Z', 'CONFIRMED'); // Sat Nov 7 23:30 EST
      await book('2026-11-08T05:30:00Z', 'CANCELLED'); // Sun Nov 8 00:30 EST

      const stats = await megaStats(key, 'America/New_York');
      expect(stats).toMatchObject({
        id: `${tenantId}:America/New_York`,
        timezone: 'America/New_York',
      });
      expect(stats.today).toEqual(count(1, 1, 0));
      expect(stats.week).toEqual(count(2, 2, 0));
      expect(stats.month).toEqual(count(2, 2, 1));
    });
  });

  it('answers with exactly one SQL statement once the key is known', async () => {
    app.clock.now = () => new Date('2026-03-11T15:00:00Z');
    const { key, book } = await tenantIn('America/Sao_Paulo');
    await book('2026-03-11T18:00:00Z', 'PENDING');
    await megaStats(key);
    app.counter.reset();
    const stats = await megaStats(key, 'Europe/Lisbon');
    expect(stats.today).toEqual(count(1, 0, 0));
    expect(app.counter.count).toBe(1);
  });

  it('answers zeros for a tenant without appointments', async () => {
    app.clock.now = () => new Date('2026-03-11T15:00:00Z');
    const { key } = await tenantIn('America/Sao_Paulo');
    const stats = await megaStats(key);
    expect([stats.today, stats.week, stats.month, stats.nextMonth]).toEqual([
      none,
      none,
      none,
      none,
    ]);
  });

  it.each([['Mars/Olympus_Mons'], ['UTC+3'], ['']])(
    'rejects the time zone "%s" as BAD_USER_INPUT naming timezone',
    async (timezone) => {
      const { key } = await tenantIn('America/Sao_Paulo');
      await app.execute('{ __typename }', {}, key);
      app.counter.reset();
      const res = await app.execute(MEGA_STATS, { timezone }, key);
      expect(res.data).toBeNull();
      expect(codes(res.body)).toEqual(['BAD_USER_INPUT']);
      expect(res.body.errors?.[0]).toMatchObject({
        message: expect.stringMatching(/^timezone: /),
        extensions: { field: 'timezone' },
      });
      expect(app.counter.count).toBe(0);
    },
  );

  it('needs a tenant key', async () => {
    const res = await app.execute(MEGA_STATS, {}, OPS_TOKEN);
    expect(codes(res.body)).toEqual(['FORBIDDEN']);
  });
});

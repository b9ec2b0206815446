import { Writable } from 'node:stream';
import { DateTime } from 'luxon';
import { pino } from 'pino';
import type { DataSource, EntityTarget } from 'typeorm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAuthenticator } from '../../src/auth/authenticator.js';
import { hashApiKey } from '../../src/db/api-keys.js';
import { ApiKey } from '../../src/db/entities/api-key.entity.js';
import { Appointment } from '../../src/db/entities/appointment.entity.js';
import { MessageTemplate } from '../../src/db/entities/message-template.entity.js';
import { Sale } from '../../src/db/entities/sale.entity.js';
import { Service } from '../../src/db/entities/service.entity.js';
import { Store } from '../../src/db/entities/store.entity.js';
import { Tenant } from '../../src/db/entities/tenant.entity.js';
import { User } from '../../src/db/entities/user.entity.js';
import { WhatsAppSession } from '../../src/db/entities/whatsapp-session.entity.js';
import {
  DEMO_TENANTS,
  demoKeys,
  formatDemoKeys,
  isEmpty,
  reseedDemo,
  seedDemo,
} from '../../src/db/seed.js';
import { templateVariables } from '../../src/services/template.service.js';
import { dayRange, localDate } from '../../src/time.js';
import { dialects, openTestDatabase } from '../support/app.js';

/** A Wednesday, 12:00 in São Paulo and Recife: today's agenda has a past and a future. */
const NOW = new Date('2026-03-11T15:00:00Z');
/** A Sunday, when neither demo tenant works. */
const SUNDAY = new Date('2026-03-15T13:00:00Z');

const tables: Record<string, EntityTarget<object>> = {
  tenants: Tenant,
  users: User,
  apiKeys: ApiKey,
  services: Service,
  appointments: Appointment,
  messageTemplates: MessageTemplate,
  stores: Store,
  sales: Sale,
  whatsappSessions: WhatsAppSession,
};

async function countRows(db: DataSource) {
  const counts: Record<string, number> = {};
  for (const [table, entity] of Object.entries(tables)) {
    counts[table] = await db.getRepository(entity).count();
  }
  return counts;
}

function captureLogs() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

const localHour = (instant: Date, tz: string) => {
  const t = DateTime.fromJSDate(instant, { zone: tz });
  return t.hour + t.minute / 60;
};

describe.each(dialects)('demo seed on %s', (dialect) => {
  let db: DataSource;
  let close: () => Promise<void>;
  beforeEach(async () => {
    ({ db, close } = await openTestDatabase(dialect));
  });
  afterEach(() => close());

  it('fills an empty database with two tenants and their data', async () => {
    expect(await isEmpty(db)).toBe(true);
    const { logger, lines } = captureLogs();

    const seed = await seedDemo(db, { now: NOW, logger });

    const counts = await countRows(db);
    expect(seed.created).toBe(true);
    expect(seed.counts).toEqual(counts);
    expect(counts).toMatchObject({
      tenants: 2,
      users: 7,
      apiKeys: 2,
      services: 28,
      messageTemplates: 6,
      stores: 6,
      sales: 10_000,
      whatsappSessions: 6,
    });
    expect(counts.appointments).toBeGreaterThan(1_000);
    expect(lines).toMatchObject([{ level: 30, msg: 'demo data seeded', counts }]);
    expect(await isEmpty(db)).toBe(false);
    expect(seed.tenants.map((t) => t.id)).toEqual(DEMO_TENANTS.map((t) => t.id));

    for (const tenant of DEMO_TENANTS) {
      const tz = tenant.timezone;
      expect(await db.getRepository(Tenant).findOneByOrFail({ id: tenant.id })).toMatchObject({
        name: tenant.name,
        timezone: tz,
      });

      const users = await db.getRepository(User).findBy({ tenantId: tenant.id });
      expect(users.length).toBeGreaterThanOrEqual(3);
      expect(users.length).toBeLessThanOrEqual(4);
      expect(new Set(users.map((u) => u.plan))).toEqual(new Set(['FREE', 'PRO', 'ENTERPRISE']));

      const services = await db.getRepository(Service).findBy({ tenantId: tenant.id });
      for (const user of users) {
        const own = services.filter((s) => s.userId === user.id);
        expect(own.length).toBeGreaterThanOrEqual(3);
        expect(own.length).toBeLessThanOrEqual(5);
        expect(own.filter((s) => !s.active)).toHaveLength(1);
      }
      for (const s of services) {
        expect(s.durationMinutes).toBeGreaterThanOrEqual(15);
        expect(s.durationMinutes).toBeLessThanOrEqual(120);
        expect(s.priceCents).toBeGreaterThan(0);
      }

      const appointments = await db.getRepository(Appointment).findBy({ tenantId: tenant.id });
      const today = localDate(NOW, tz);
      const first = DateTime.fromISO(today).minus({ days: 30 }).toISODate()!;
      const last = DateTime.fromISO(today).plus({ days: 45 }).toISODate()!;
      const wrong = appointments.filter((a) => {
        const service = services.find((s) => s.id === a.serviceId)!;
        const day = localDate(a.startsAt, tz);
        const past = a.endsAt <= NOW;
        return (
          service.userId !== a.userId ||
          a.endsAt.getTime() - a.startsAt.getTime() !== service.durationMinutes * 60_000 ||
          localHour(a.startsAt, tz) < 8 ||
          localHour(a.endsAt, tz) > 18 ||
          day < first ||
          day > last ||
          a.createdAt > NOW ||
          !(past ? ['CONFIRMED', 'CANCELLED'] : ['PENDING', 'CONFIRMED']).includes(a.status)
        );
      });
      expect(wrong).toEqual([]);
      const statuses = new Set(appointments.map((a) => `${a.endsAt <= NOW}:${a.status}`));
      expect(statuses).toEqual(
        new Set(['true:CONFIRMED', 'true:CANCELLED', 'false:PENDING', 'false:CONFIRMED']),
      );
      const { start, end } = dayRange(today, tz);
      const todays = appointments.filter(
        (a) =>
          a.userId === seed.tenants.find((t) => t.id === tenant.id)!.users[0].id &&
          a.startsAt >= start &&
          a.startsAt < end,
      );
      expect(todays.length).toBeGreaterThanOrEqual(4);

      const templates = await db.getRepository(MessageTemplate).findBy({ tenantId: tenant.id });
      expect(
        templates
          .filter((t) => t.userId === null)
          .map((t) => t.type)
          .sort(),
      ).toEqual(['APPOINTMENT_CONFIRMATION', 'APPOINTMENT_REMINDER']);
      expect(templates.filter((t) => t.userId !== null)).toHaveLength(1);
      for (const t of templates) {
        expect(templateVariables(t.body).sort()).toEqual([
          'client_name',
          'date',
          'provider_name',
          'time',
        ]);
      }

      const stores = await db.getRepository(Store).findBy({ tenantId: tenant.id });
      expect(stores).toHaveLength(3);
      const sales = await db.getRepository(Sale).findBy({ tenantId: tenant.id });
      const oldest = DateTime.fromJSDate(NOW, { zone: tz }).minus({ months: 13 }).toJSDate();
      expect(
        sales.filter(
          (s) =>
            s.amountCents < 1500 || s.amountCents > 25_000 || s.soldAt > NOW || s.soldAt < oldest,
        ),
      ).toEqual([]);
      expect(new Set(sales.map((s) => s.storeId))).toEqual(new Set(stores.map((s) => s.id)));
      expect(new Set(sales.map((s) => s.channel))).toEqual(
        new Set(['balcao', 'ifood', 'whatsapp', 'site']),
      );
      expect(new Set(sales.map((s) => Math.floor(localHour(s.soldAt, tz)))).size).toBeGreaterThan(
        12,
      );
      expect(new Set(sales.map((s) => localDate(s.soldAt, tz).slice(0, 7))).size).toBe(13);

      const sessions = await db.getRepository(WhatsAppSession).findBy({ tenantId: tenant.id });
      expect(sessions.map((s) => s.state).sort()).toEqual([
        'CONNECTED',
        'DISCONNECTED',
        'QR_PENDING',
      ]);
      const connected = sessions.find((s) => s.state === 'CONNECTED')!;
      expect(connected.deviceJid).toMatch(/^\d{12,13}@s\.whatsapp\.net$/);
      const pending = sessions.find((s) => s.state === 'QR_PENDING')!;
      expect(pending.qrCode).toMatch(/^2@/);
      expect(pending.qrExpiresAt!.getTime()).toBeGreaterThan(NOW.getTime());
    }
  });

  it('stores the demo keys hashed, each under its own tenant', async () => {
    const seed = await seedDemo(db, { now: NOW });
    const authenticate = createAuthenticator({ db, opsToken: 'ops-token-for-seed-tests' });

    for (const tenant of seed.tenants) {
      const row = await db.getRepository(ApiKey).findOneBy({ keyHash: hashApiKey(tenant.apiKey) });
      expect(row?.tenantId).toBe(tenant.id);
      expect(await authenticate(`Bearer ${tenant.apiKey}`)).toEqual({
        kind: 'tenant',
        tenantId: tenant.id,
        timezone: tenant.timezone,
        keyId: row?.id,
      });
      expect(formatDemoKeys(seed.tenants)).toContain(tenant.apiKey);
    }
    expect((await demoKeys(db)).map((t) => t.id)).toEqual(DEMO_TENANTS.map((t) => t.id));
  });

  it('leaves existing demo data alone and reports it', async () => {
    const first = await seedDemo(db, { now: NOW });
    const { logger, lines } = captureLogs();

    const second = await seedDemo(db, { now: SUNDAY, logger });

    expect(second.created).toBe(false);
    expect(second.tenants).toEqual(first.tenants);
    expect(second.counts).toEqual(first.counts);
    expect(await countRows(db)).toEqual(first.counts);
    expect(lines).toMatchObject([{ msg: 'demo data already present', counts: first.counts }]);
  });

  it('reseeds the demo tenants without duplicates and without touching other tenants', async () => {
    const first = await seedDemo(db, { now: NOW });
    const sumOfSales = async () =>
      (await db.getRepository(Sale).find()).reduce((sum, s) => sum + s.amountCents, 0);
    const before = await sumOfSales();
    const other = await db.getRepository(Tenant).save({
      id: 'a1b2c3d4-0000-4000-8000-000000000099',
      name: 'Outro Salão',
      timezone: 'America/Manaus',
      createdAt: NOW,
    });
    await db.getRepository(User).save({
      id: 'a1b2c3d4-0000-4000-8000-000000000098',
      tenantId: other.id,
      name: 'Paula Lima',
      plan: 'FREE',
      createdAt: NOW,
    });

    await reseedDemo(db, { now: NOW });
    const again = await reseedDemo(db, { now: NOW });

    expect(again.created).toBe(true);
    expect(again.counts).toEqual(first.counts);
    expect(await countRows(db)).toEqual({
      ...first.counts,
      tenants: first.counts.tenants + 1,
      users: first.counts.users + 1,
    });
    expect(await db.getRepository(User).countBy({ tenantId: other.id })).toBe(1);
    // Same `now`, same data: the generator is seeded.
    expect(await sumOfSales()).toBe(before);
  });

  it('seeds once when two starts race on an empty database', async () => {
    const results = await Promise.all([seedDemo(db, { now: NOW }), seedDemo(db, { now: NOW })]);

    expect(results.map((r) => r.created).sort()).toEqual([false, true]);
    expect(results[0].counts).toEqual(results[1].counts);
    expect(await countRows(db)).toEqual(results[0].counts);
  });

  it('gives the first provider an agenda today even on a day off', async () => {
    const seed = await seedDemo(db, { now: SUNDAY });

    for (const tenant of seed.tenants) {
      const { start, end } = dayRange(localDate(SUNDAY, tenant.timezone), tenant.timezone);
      const todays = await db
        .getRepository(Appointment)
        .createQueryBuilder('a')
        .where('a.tenant_id = :tenantId', { tenantId: tenant.id })
        .andWhere('a.starts_at >= :start AND a.starts_at < :end', {
          start: start.getTime(),
          end: end.getTime(),
        })
        .getMany();
      expect(new Set(todays.map((a) => a.userId))).toEqual(new Set([tenant.users[0].id]));
      expect(todays.length).toBeGreaterThanOrEqual(4);
    }
  });
});

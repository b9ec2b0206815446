/**
 * bench:curves's agendas (bench/lib/seed.ts seedAppointments): `count` appointments of one
 * provider, all inside the UTC day asked for, each at its own time, on both databases.
 */
import { describe, expect, it } from 'vitest';
import { seedAppointments, seedProvider, seedTenant } from '../../bench/lib/seed.js';
import { Appointment } from '../../src/db/entities/appointment.entity.js';
import { dialects, openTestDatabase } from '../support/app.js';

describe.each(dialects)('seedAppointments (%s)', (dialect) => {
  it('writes `count` appointments inside the day, at distinct times, in batches', async () => {
    const { db, close } = await openTestDatabase(dialect);
    try {
      const tenant = await seedTenant(db, 'Seed test', 'UTC');
      const provider = await seedProvider(db, tenant.id, 'Provider');
      const other = await seedProvider(db, tenant.id, 'Other');
      // 250: more than two batches of 100, and a slot that does not divide the day in minutes.
      expect(
        await seedAppointments(db, { tenantId: tenant.id, ...provider }, '2026-12-06', 250),
      ).toBe(250);
      const rows = await db.getRepository(Appointment).findBy({ userId: provider.userId });
      expect(rows).toHaveLength(250);
      const starts = rows.map((r) => new Date(r.startsAt).getTime());
      expect(new Set(starts).size).toBe(250);
      const dayStart = Date.parse('2026-12-06T00:00:00Z');
      for (const start of starts) {
        expect(start).toBeGreaterThanOrEqual(dayStart);
        expect(start).toBeLessThan(dayStart + 24 * 3_600_000);
      }
      expect(
        rows.every((r) => r.tenantId === tenant.id && r.serviceId === provider.serviceId),
      ).toBe(true);
      // Names of one length: every appointment adds the same bytes to the body.
      expect(new Set(rows.map((r) => r.clientName.length)).size).toBe(1);
      expect(await db.getRepository(Appointment).countBy({ userId: other.userId })).toBe(0);
    } finally {
      await close();
    }
  });
});

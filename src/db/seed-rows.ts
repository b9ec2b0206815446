import { DateTime } from 'luxon';
import { apiKeyPrefix, hashApiKey } from './api-keys.js';
import type { ApiKey } from './entities/api-key.entity.js';
import type { Appointment, AppointmentStatus } from './entities/appointment.entity.js';
import type { MessageTemplate } from './entities/message-template.entity.js';
import type { Sale } from './entities/sale.entity.js';
import type { Service } from './entities/service.entity.js';
import type { Store } from './entities/store.entity.js';
import type { Tenant } from './entities/tenant.entity.js';
import type { User } from './entities/user.entity.js';
import type { WhatsAppSession } from './entities/whatsapp-session.entity.js';
import {
  APPOINTMENT_DAYS,
  CLOSING_HOUR,
  DEMO_QR_LIFETIME_MS,
  type DemoProfile,
  type DemoTenant,
  firstNames,
  hourWeights,
  lastNames,
  OPENING_HOUR,
  SALES_PER_TENANT,
  weekdayWeights,
} from './seed-data.js';

/** The demo's rows, built from seed-data.ts by a seeded PRNG: the same `now` gives the same rows. */

export type Random = () => number;

/** Tiny seeded PRNG, so the same `now` always gives the same data. */
export function mulberry32(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const pick = <T>(random: Random, items: readonly T[]): T =>
  items[Math.floor(random() * items.length)];

export function pickWeighted<T>(random: Random, items: readonly [T, number][]): T {
  let r = random() * items.reduce((sum, [, w]) => sum + w, 0);
  for (const [item, weight] of items) {
    r -= weight;
    if (r < 0) return item;
  }
  return items[items.length - 1][0];
}

export const ID_KIND = {
  user: 1,
  apiKey: 2,
  service: 3,
  appointment: 4,
  template: 5,
  store: 6,
  sale: 7,
  session: 8,
} as const;

/** Stable UUID-shaped ids: `00000000-0000-4000-80KK-TTNNNNNNNNNN` (kind, tenant, number). */
export function demoId(kind: keyof typeof ID_KIND, tenantNo: number, n: number): string {
  const tail = tenantNo.toString(16).padStart(2, '0') + n.toString(16).padStart(10, '0');
  return `00000000-0000-4000-${(0x8000 + ID_KIND[kind]).toString(16)}-${tail}`;
}

export interface DemoRows {
  tenants: Tenant[];
  users: User[];
  apiKeys: ApiKey[];
  services: Service[];
  appointments: Appointment[];
  messageTemplates: MessageTemplate[];
  stores: Store[];
  sales: Sale[];
  whatsappSessions: WhatsAppSession[];
}

export function buildTenant(
  rows: DemoRows,
  tenant: DemoTenant,
  profile: DemoProfile,
  tenantNo: number,
  now: Date,
) {
  const today = DateTime.fromJSDate(now, { zone: tenant.timezone }).startOf('day');
  const createdAt = today.minus({ months: 14 }).set({ hour: 9 });
  const at = (days: number) => createdAt.plus({ days }).toJSDate();

  rows.tenants.push({
    id: tenant.id,
    name: tenant.name,
    timezone: tenant.timezone,
    createdAt: at(0),
  });
  rows.apiKeys.push({
    id: demoId('apiKey', tenantNo, 1),
    tenantId: tenant.id,
    keyHash: hashApiKey(tenant.apiKey),
    prefix: apiKeyPrefix(tenant.apiKey),
    createdAt: at(0),
  });

  const activeServices: Service[][] = [];
  profile.users.forEach((spec, u) => {
    const userId = demoId('user', tenantNo, u + 1);
    rows.users.push({
      id: userId,
      tenantId: tenant.id,
      name: spec.name,
      plan: spec.plan,
      createdAt: at(u),
    });
    const services = spec.services.map(
      ([name, durationMinutes, priceCents], s): Service => ({
        id: demoId('service', tenantNo, rows.services.length + s + 1),
        tenantId: tenant.id,
        userId,
        name,
        durationMinutes,
        priceCents,
        active: s < spec.services.length - 1,
        createdAt: at(u + 1),
        deletedAt: null,
      }),
    );
    rows.services.push(...services);
    activeServices.push(services.filter((s) => s.active));
  });

  buildAppointments(rows, tenant, profile, tenantNo, activeServices, today, now);

  for (const [t, template] of profile.templates.entries()) {
    rows.messageTemplates.push({
      id: demoId('template', tenantNo, t + 1),
      tenantId: tenant.id,
      userId: template.userIndex === null ? null : demoId('user', tenantNo, template.userIndex + 1),
      type: template.type,
      name: template.name,
      body: template.body,
      updatedAt: at(10 + t),
    });
  }

  const stores = profile.stores.map(
    (name, s): Store => ({
      id: demoId('store', tenantNo, s + 1),
      tenantId: tenant.id,
      name,
      createdAt: at(1),
    }),
  );
  rows.stores.push(...stores);
  buildSales(rows, tenant, profile, tenantNo, stores, today, now);

  const random = mulberry32(tenantNo * 100 + 3);
  profile.sessions.forEach((session, s) => {
    const qr = session.state === 'QR_PENDING';
    const qrBytes = Buffer.from(Array.from({ length: 48 }, () => Math.floor(random() * 256)));
    rows.whatsappSessions.push({
      id: demoId('session', tenantNo, s + 1),
      tenantId: tenant.id,
      name: session.name,
      state: session.state,
      qrCode: qr ? `2@${qrBytes.toString('base64')}` : null,
      qrExpiresAt: qr ? new Date(now.getTime() + DEMO_QR_LIFETIME_MS) : null,
      deviceJid: session.state === 'CONNECTED' ? profile.deviceJid : null,
      createdAt: at(20 + s),
      updatedAt: qr
        ? now
        : today
            .minus({ days: 2 + s })
            .set({ hour: 10 })
            .toJSDate(),
    });
  });
}

/**
 * A few appointments per provider per working day, back to back or with short gaps between
 * opening and closing time, from 30 days ago to 45 days ahead. The first provider always has a
 * full agenda today, even on a day off, so the README's example query shows something.
 */
export function buildAppointments(
  rows: DemoRows,
  tenant: DemoTenant,
  profile: DemoProfile,
  tenantNo: number,
  activeServices: Service[][],
  today: DateTime,
  now: Date,
) {
  const random = mulberry32(tenantNo * 100 + 1);
  const nowMs = now.getTime();
  const minute = 60_000;
  const hour = 60 * minute;
  let n = 0;
  for (let d = -APPOINTMENT_DAYS.past; d <= APPOINTMENT_DAYS.ahead; d++) {
    const day = today.plus({ days: d });
    activeServices.forEach((services, u) => {
      const featured = d === 0 && u === 0;
      if (!featured && !profile.workdays.includes(day.weekday)) return;
      const target = featured ? 6 : 2 + Math.floor(random() * 4);
      const gaps = featured ? [0, 15, 30] : [0, 0, 15, 30, 45, 60, 90];
      // Instants from here on: a 60-minute service lasts 60 real minutes, DST or not.
      const closing = day.set({ hour: CLOSING_HOUR }).toMillis();
      let cursor = day.set({ hour: OPENING_HOUR }).toMillis();
      for (let a = 0; a < target; a++) {
        const start = cursor + pick(random, gaps) * minute;
        const service = pick(random, services);
        const end = start + service.durationMinutes * minute;
        if (end > closing) break;
        cursor = end;

        const booked = start - (1 + random() * 20) * 24 * hour;
        const createdAt = new Date(Math.min(booked, nowMs - random() * 72 * hour));
        let status: AppointmentStatus;
        if (end <= nowMs) {
          status = random() < 0.12 ? 'CANCELLED' : 'CONFIRMED';
        } else {
          // The nearer the appointment, the likelier the client has confirmed it.
          status = random() < Math.max(0.2, 0.8 - 0.015 * d) ? 'CONFIRMED' : 'PENDING';
        }
        const updatedAt =
          status === 'PENDING'
            ? createdAt
            : new Date(Math.min(nowMs, createdAt.getTime() + random() * 48 * hour));
        rows.appointments.push({
          id: demoId('appointment', tenantNo, ++n),
          tenantId: tenant.id,
          userId: service.userId,
          serviceId: service.id,
          clientName: `${pick(random, firstNames)} ${pick(random, lastNames)}`,
          startsAt: new Date(start),
          endsAt: new Date(end),
          status,
          createdAt,
          updatedAt,
        });
      }
    });
  }
}

/**
 * SALES_PER_TENANT sales from the first day of the month a year ago until now: 13 calendar
 * months, growing slowly, busier on Fridays, Saturdays and in December, at local lunch and
 * dinner hours.
 */
export function buildSales(
  rows: DemoRows,
  tenant: DemoTenant,
  profile: DemoProfile,
  tenantNo: number,
  stores: Store[],
  today: DateTime,
  now: Date,
) {
  const random = mulberry32(tenantNo * 100 + 2);
  const first = today.startOf('month').minus({ months: 12 });
  const days: DateTime[] = [first];
  while (days[days.length - 1] < today) days.push(days[days.length - 1].plus({ days: 1 }));
  const hour = 3_600_000;
  const nowMs = now.getTime();

  const weights = days.map((day, i) => {
    const trend = 0.8 + (0.4 * i) / days.length;
    const season = day.month === 12 ? 1.3 : 1;
    const partial = i === days.length - 1 ? (nowMs - day.toMillis()) / (24 * hour) : 1;
    return trend * season * weekdayWeights[day.weekday] * partial;
  });
  const perDay = apportion(weights, SALES_PER_TENANT);

  const storeWeights: [Store, number][] = stores.map((s, i) => [s, [50, 30, 20][i] ?? 10]);
  const hours: [number, number][] = hourWeights.map((w, h) => [h, w]);
  let n = 0;
  perDay.forEach((count, i) => {
    const day = days[i];
    const midnight = day.toMillis();
    // Luxon's zone conversion is the slow part: on a 24-hour day (no DST change) local hour h
    // starts h hours after midnight; only a 23- or 25-hour day asks Luxon for each hour.
    const regular = day.plus({ days: 1 }).toMillis() - midnight === 24 * hour;
    const hourStart = (h: number) =>
      regular ? midnight + h * hour : day.set({ hour: h }).toMillis();
    for (let s = 0; s < count; s++) {
      let soldAt = hourStart(pickWeighted(random, hours)) + Math.floor(random() * 3600) * 1000;
      // Today's sales cannot be later than now.
      if (soldAt > nowMs) soldAt = midnight + Math.floor(random() * (nowMs - midnight));
      rows.sales.push({
        id: demoId('sale', tenantNo, ++n),
        tenantId: tenant.id,
        storeId: pickWeighted(random, storeWeights).id,
        channel: pickWeighted(random, profile.channels),
        // Mostly small tickets, a few large ones; whole 50-cent steps.
        amountCents: 1500 + Math.round((random() ** 1.8 * 23500) / 50) * 50,
        soldAt: new Date(soldAt),
      });
    }
  });
}

/** Splits `total` in proportion to `weights` (largest remainder), so the sum is exact. */
export function apportion(weights: number[], total: number): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  const exact = weights.map((w) => (w / sum) * total);
  const counts = exact.map(Math.floor);
  let left = total - counts.reduce((a, b) => a + b, 0);
  const byRemainder = exact
    .map((x, i) => [x - Math.floor(x), i] as const)
    .sort((a, b) => b[0] - a[0]);
  for (const [, i] of byRemainder) {
    if (left-- <= 0) break;
    counts[i]++;
  }
  return counts;
}

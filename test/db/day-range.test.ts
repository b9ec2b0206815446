import { DateTime } from 'luxon';
import { afterEach, describe, expect, it } from 'vitest';
import { dayRange, rememberDays, rememberedDayBytes } from '../../src/time.js';

/** What dayRange gave before its fast path: luxon's local midnight and the day after it. */
function luxonDayRange(date: string, tz: string) {
  const start = DateTime.fromISO(date, { zone: tz }).startOf('day');
  return { start: start.toJSDate(), end: start.plus({ days: 1 }).toJSDate() };
}

// DST at 02:00 and at midnight (Sao Paulo until 2019, Santiago, Havana, Beirut), half-hour and
// 45-minute offsets, a 30-minute DST (Lord Howe), the date line (Apia skipped 2011-12-30), UTC.
const ZONES = [
  'UTC',
  'America/New_York',
  'America/Sao_Paulo',
  'America/Santiago',
  'America/Havana',
  'Asia/Beirut',
  'Asia/Kolkata',
  'Asia/Kathmandu',
  'Australia/Lord_Howe',
  'Pacific/Chatham',
  'Pacific/Apia',
  'Europe/London',
  'Africa/Casablanca',
];

describe('dayRange', () => {
  // 2010–2013 holds the zones' old rules (Sao Paulo's DST, Apia before and after the date
  // line, Casablanca's Ramadan pauses), 2024–2027 today's; every day of both (the whole of
  // 2010–2030 took 16 s of each CI run for the same kinds of change).
  const spans = [
    [Date.UTC(2010, 0, 1), Date.UTC(2014, 0, 1)],
    [Date.UTC(2024, 0, 1), Date.UTC(2028, 0, 1)],
  ];
  it("gives luxon's range for every day of 2010–2013 and 2024–2027 in zones with every kind of change", () => {
    const mismatches: string[] = [];
    for (const tz of ZONES) {
      for (const [from, to] of spans)
        for (let day = from; day < to; day += 86_400_000) {
          const date = new Date(day).toISOString().slice(0, 10);
          const got = dayRange(date, tz);
          const want = luxonDayRange(date, tz);
          if (
            got.start.getTime() !== want.start.getTime() ||
            got.end.getTime() !== want.end.getTime()
          )
            mismatches.push(`${tz} ${date}`);
        }
    }
    // luxon's one slip: on Apia's first day after leaving DST it takes the day's midnight with
    // the old offset and ends the day at 01:00. dayRange gives the two midnights.
    expect(mismatches).toEqual(['Pacific/Apia 2011-04-03']);
    const { start, end } = dayRange('2011-04-03', 'Pacific/Apia');
    const local = (d: Date) => DateTime.fromJSDate(d, { zone: 'Pacific/Apia' }).toISO();
    expect([local(start), local(end)]).toEqual([
      '2011-04-03T00:00:00.000-11:00',
      '2011-04-04T00:00:00.000-11:00',
    ]);
  });

  it('leaves what is not a plain date or a known zone to luxon', () => {
    for (const [date, tz] of [
      ['2026-02-30', 'UTC'],
      ['2026-3-2', 'UTC'],
      ['0099-01-01', 'UTC'],
      ['2026-03-02', 'Not/AZone'],
    ]) {
      const got = dayRange(date, tz);
      const want = luxonDayRange(date, tz);
      expect([got.start.getTime(), got.end.getTime()]).toEqual([
        want.start.getTime(),
        want.end.getTime(),
      ]);
    }
  });
});

describe('dayRange remembers the days asked for within DAY_RANGE_MEMO_BYTES', () => {
  afterEach(() => rememberDays(0, { evictions: 0 }));
  const DAY = 86_400_000;
  const dateOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

  it('answers a day asked for again from memory, with Date objects of its own', () => {
    rememberDays(1_048_576, { evictions: 0 });
    const first = dayRange('2026-11-22', 'America/Sao_Paulo');
    const held = rememberedDayBytes();
    expect(held).toBeGreaterThan(0);
    const again = dayRange('2026-11-22', 'America/Sao_Paulo');
    expect(again).toEqual(first);
    expect(again.start).not.toBe(first.start);
    // A caller that changes its Date doesn't change what the next one gets.
    again.start.setTime(0);
    expect(dayRange('2026-11-22', 'America/Sao_Paulo')).toEqual(first);
    expect(rememberedDayBytes()).toBe(held);
    // A day next to a change of offset (luxon's answer) is remembered as it was computed.
    const dst = dayRange('2026-11-01', 'America/New_York');
    expect(dst).toEqual(luxonDayRange('2026-11-01', 'America/New_York'));
    expect(dayRange('2026-11-01', 'America/New_York')).toEqual(dst);
  });

  it('holds no more than its bound whatever dates are asked for, the oldest going first', () => {
    const counts = { evictions: 0 };
    const bound = 20_000;
    rememberDays(bound, counts);
    const from = Date.UTC(2026, 0, 1);
    for (let i = 0; i < 1_000; i++) dayRange(dateOf(from + i * DAY), 'Europe/London');
    expect(rememberedDayBytes()).toBeLessThanOrEqual(bound);
    expect(rememberedDayBytes()).toBeGreaterThan(bound * 0.9);
    expect(counts.evictions).toBeGreaterThan(800);
    // The newest are kept and right; an evicted one is computed again, still right.
    for (const i of [999, 0]) {
      const date = dateOf(from + i * DAY);
      expect(dayRange(date, 'Europe/London')).toEqual(luxonDayRange(date, 'Europe/London'));
    }
  });

  it('remembers nothing luxon could not read, nor a zone name longer than any IANA one', () => {
    rememberDays(1_048_576, { evictions: 0 });
    expect(Number.isNaN(dayRange('2026-11-22', 'Not/AZone').start.getTime())).toBe(true);
    dayRange('2026-11-22', `Europe/${'x'.repeat(64)}`);
    dayRange('2026-11-22T00:00', 'UTC');
    expect(rememberedDayBytes()).toBe(0);
  });

  it('remembers nothing at 0', () => {
    rememberDays(0, { evictions: 0 });
    expect(dayRange('2026-11-22', 'UTC')).toEqual(luxonDayRange('2026-11-22', 'UTC'));
    expect(rememberedDayBytes()).toBe(0);
  });
});

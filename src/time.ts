import { DateTime, IANAZone } from 'luxon';

export function isValidTimeZone(tz: string): boolean {
  return IANAZone.isValidZone(tz);
}

/** The instants [start, end) of a calendar day in a time zone: 23 or 25 hours on DST days. */
export function dayRange(date: string, tz: string): { start: Date; end: Date } {
  const start = DateTime.fromISO(date, { zone: tz }).startOf('day');
  return { start: start.toJSDate(), end: start.plus({ days: 1 }).toJSDate() };
}

/** The instants [start, end) from the first day's midnight to the midnight after the last day. */
export function dateSpan(first: string, last: string, tz: string): { start: Date; end: Date } {
  return { start: dayRange(first, tz).start, end: dayRange(last, tz).end };
}

/** The calendar date (YYYY-MM-DD) of an instant in a time zone. */
export function localDate(instant: Date, tz: string): string {
  return DateTime.fromJSDate(instant, { zone: tz }).toISODate() as string;
}

const dayFormatters = new Map<string, Intl.DateTimeFormat>();

/**
 * YYYY-MM-DD of an epoch-millisecond instant in a time zone, with a cached Intl formatter:
 * this runs once per row inside SQLite's GROUP BY, so it has to be cheap.
 */
export function localDayOfEpoch(epochMs: number, tz: string): string {
  let format = dayFormatters.get(tz);
  if (!format) {
    format = new Intl.DateTimeFormat('en-CA', {
      timeZone: tz,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    });
    dayFormatters.set(tz, format);
  }
  return format.format(epochMs);
}

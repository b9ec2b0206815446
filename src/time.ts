import { LRUCache } from 'lru-cache';
import { DateTime, IANAZone } from 'luxon';

export function isValidTimeZone(tz: string): boolean {
  return IANAZone.isValidZone(tz);
}

/** luxon's answer, the reference: what dayRange gives on and around a change of offset. */
function luxonDayRange(date: string, tz: string): { start: Date; end: Date } {
  const start = DateTime.fromISO(date, { zone: tz }).startOf('day');
  return { start: start.toJSDate(), end: start.plus({ days: 1 }).toJSDate() };
}

const offsetFormatters = new Map<string, Intl.DateTimeFormat>();

/** The zone's UTC offset at an instant, in ms (local wall clock minus UTC). */
function offsetAt(tz: string, epochMs: number): number {
  let format = offsetFormatters.get(tz);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    offsetFormatters.set(tz, format);
  }
  const parts: Record<string, number> = {};
  for (const part of format.formatToParts(epochMs)) parts[part.type] = Number(part.value);
  const wall = Date.UTC(
    parts.year,
    parts.month - 1,
    parts.day,
    parts.hour,
    parts.minute,
    parts.second,
  );
  return wall - (epochMs - (((epochMs % 1000) + 1000) % 1000));
}

const DAY_MS = 86_400_000;
const MARGIN_MS = 3 * 3_600_000;

/**
 * What one remembered day is counted as, besides its key's characters: the two numbers, their
 * object and the LRU's slot (estimated, as the key memo's 64 bytes an entry are).
 */
const DAY_ENTRY_BYTES = 160;
/** Days remembered by zone and date (DAY_RANGE_MEMO_BYTES); null: every day is computed. */
let recentDays: LRUCache<string, { start: number; end: number }> | null = null;

/**
 * Remembers the days dayRange computed, within `maxBytes` (DAY_RANGE_MEMO_BYTES; 0: none): a
 * dashboard asks for the same few days all day, and their five offsets were about 4% of an
 * agenda miss (issue 19). The dates are the clients', so they are bounded in bytes, the least
 * recently asked go first, and `counts` (the `day_ranges` budget of /metrics) counts them out.
 * Set once at start (app.ts), as the document hash memo's bound is.
 */
export function rememberDays(maxBytes: number, counts: { evictions: number }): void {
  recentDays =
    maxBytes > 0
      ? new LRUCache({
          maxSize: maxBytes,
          sizeCalculation: (_range, key) => DAY_ENTRY_BYTES + key.length,
          dispose: (_range, _key, reason) => {
            if (reason === 'evict') counts.evictions++;
          },
        })
      : null;
}

/** The bytes the remembered days are counted as (hotpath_memory_bytes{structure="day_ranges"}). */
export const rememberedDayBytes = () => recentDays?.calculatedSize ?? 0;

/** The longest zone name remembered (the IANA names are shorter); others are computed. */
const MAX_ZONE_LENGTH = 64;

/**
 * The instants [start, end) of a calendar day in a time zone: 23 or 25 hours on DST days.
 *
 * Every agenda miss asks for one, so the usual day is computed from the zone's offset alone:
 * when the offset is the same from three hours before its midnight to three hours after the
 * next one, the day is those two midnights. A day with a change of offset near it (twice a
 * year where there is DST), or a date that isn't plain YYYY-MM-DD, goes to luxon.
 */
export function dayRange(date: string, tz: string): { start: Date; end: Date } {
  if (recentDays === null || tz.length > MAX_ZONE_LENGTH || date.length !== 10) {
    return computedDayRange(date, tz);
  }
  const key = `${tz}\0${date}`;
  const known = recentDays.get(key);
  if (known !== undefined) return { start: new Date(known.start), end: new Date(known.end) };
  const range = computedDayRange(date, tz);
  const start = range.start.getTime();
  const end = range.end.getTime();
  // A date or zone luxon can't read (an Invalid Date) is never remembered.
  if (Number.isFinite(start) && Number.isFinite(end)) recentDays.set(key, { start, end });
  return range;
}

/** dayRange without the memory. */
function computedDayRange(date: string, tz: string): { start: Date; end: Date } {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (match && tz !== '') {
    const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
    const wall = Date.UTC(year, month - 1, day);
    const check = new Date(wall);
    if (
      year >= 1000 &&
      check.getUTCFullYear() === year &&
      check.getUTCMonth() === month - 1 &&
      check.getUTCDate() === day
    ) {
      try {
        const offset = offsetAt(tz, wall);
        const start = wall - offset;
        const end = start + DAY_MS;
        if (
          offsetAt(tz, start - MARGIN_MS) === offset &&
          offsetAt(tz, start) === offset &&
          offsetAt(tz, end) === offset &&
          offsetAt(tz, end + MARGIN_MS) === offset
        )
          return { start: new Date(start), end: new Date(end) };
      } catch {
        // An unknown zone: luxon says what it says about it.
      }
    }
  }
  return luxonDayRange(date, tz);
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

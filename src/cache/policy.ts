import { DateTime } from 'luxon';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** One row of DESIGN §3: how long a response holding this type may be served. */
export interface TtlRule {
  typenames: string[];
  /** Environment variable that overrides it, in seconds; for templates 0 means never. */
  env: string;
  /** null: never expires (invalidated on change). */
  defaultMs: number | null;
}

export const TTL_RULES: TtlRule[] = [
  { typenames: ['Agenda', 'Appointment'], env: 'CACHE_TTL_AGENDA', defaultMs: HOUR },
  { typenames: ['Service'], env: 'CACHE_TTL_SERVICES', defaultMs: 24 * HOUR },
  {
    typenames: ['MessageTemplate', 'RenderedMessage'],
    env: 'CACHE_TTL_TEMPLATES',
    defaultMs: null,
  },
  { typenames: ['AnalyticsReport'], env: 'CACHE_TTL_ANALYTICS', defaultMs: 5 * MINUTE },
  { typenames: ['MegaStats'], env: 'CACHE_TTL_STATS', defaultMs: 30 * SECOND },
  { typenames: ['WhatsAppSession'], env: 'CACHE_TTL_SESSION', defaultMs: 24 * HOUR },
  { typenames: ['QrCode'], env: 'CACHE_TTL_QRCODE', defaultMs: MINUTE },
  { typenames: ['DeviceCredential'], env: 'CACHE_TTL_CREDENTIAL', defaultMs: 6 * HOUR },
  { typenames: ['SessionStatus'], env: 'CACHE_TTL_SESSION_STATUS', defaultMs: 5 * MINUTE },
  { typenames: ['User', 'Tenant', 'Store'], env: 'CACHE_TTL_USER', defaultMs: HOUR },
];

/** Analytics of past periods change only through late sales: they may live longer. */
const ANALYTICS_PAST_MS = { endedWeekAgo: HOUR, endedMonthAgo: 24 * HOUR };

/** typename -> TTL in ms (null: never expires). */
export type TtlPolicy = ReadonlyMap<string, number | null>;

/** The table in force: defaults with the environment's overrides (seconds) applied. */
export function ttlPolicy(overrides: Record<string, number | undefined> = {}): TtlPolicy {
  const policy = new Map<string, number | null>();
  for (const rule of TTL_RULES) {
    const seconds = overrides[rule.env];
    let ms = rule.defaultMs;
    if (seconds !== undefined)
      ms = rule.defaultMs === null && seconds === 0 ? null : seconds * SECOND;
    for (const typename of rule.typenames) policy.set(typename, ms);
  }
  // Operator data is read live.
  policy.set('CacheStats', 0);
  return policy;
}

/** The longest any analytics report lives (a range that ended over 30 days ago). */
export function analyticsMaxTtlMs(recentMs: number | null) {
  if (recentMs === 0) return 0;
  return Math.max(recentMs ?? Number.POSITIVE_INFINITY, ANALYTICS_PAST_MS.endedMonthAgo);
}

/**
 * An analytics report of a range that touches the last 7 days keeps the type's TTL (5 min);
 * one that ended 8 to 30 days ago lives an hour, an older one a day.
 */
export function analyticsTtlMs(rangeEnd: string, timezone: string, now: Date, recentMs: number) {
  if (recentMs === 0) return 0;
  const today = DateTime.fromJSDate(now, { zone: timezone }).startOf('day');
  const daysAgo = today.diff(DateTime.fromISO(rangeEnd, { zone: timezone }), 'days').days;
  if (daysAgo < 8) return recentMs;
  return Math.max(
    recentMs,
    daysAgo <= 30 ? ANALYTICS_PAST_MS.endedWeekAgo : ANALYTICS_PAST_MS.endedMonthAgo,
  );
}

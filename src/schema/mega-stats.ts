import type { MegaStats, StatusCount } from '../services/mega-stats.service.js';
import { builder, FIELD_WEIGHTS } from './builder.js';

const StatusCountRef = builder.objectRef<StatusCount>('StatusCount').implement({
  description: 'Appointments starting in one window, by status.',
  fields: (t) => ({
    pending: t.exposeInt('pending', { description: 'PENDING appointments.' }),
    confirmed: t.exposeInt('confirmed', { description: 'CONFIRMED appointments.' }),
    cancelled: t.exposeInt('cancelled', { description: 'CANCELLED appointments.' }),
    total: t.exposeInt('total', { description: 'pending + confirmed + cancelled.' }),
  }),
});

const MegaStatsRef = builder.objectRef<MegaStats>('MegaStats').implement({
  description:
    "Appointment counts of the caller's tenant in four buckets of the given time zone. " +
    "id is '<tenantId>:<timezone>'.",
  fields: (t) => ({
    id: t.exposeID('id', { description: "'<tenantId>:<timezone>'." }),
    timezone: t.exposeString('timezone', {
      description: 'The IANA time zone whose calendar draws the four windows.',
    }),
    today: t.expose('today', { type: StatusCountRef, description: 'From midnight to midnight.' }),
    week: t.expose('week', { type: StatusCountRef, description: 'Sunday to Saturday.' }),
    month: t.expose('month', { type: StatusCountRef, description: 'This calendar month.' }),
    nextMonth: t.expose('nextMonth', {
      type: StatusCountRef,
      description: 'The calendar month after this one.',
    }),
    computedAt: t.expose('computedAt', {
      type: 'DateTime',
      description: 'When it was counted; a cached answer is up to 30 s old.',
    }),
  }),
});

builder.queryFields((t) => ({
  megaStats: t.field({
    type: MegaStatsRef,
    description:
      "Appointment counts of the caller's tenant. Cached 30 s; any appointment write of the " +
      'tenant invalidates it in every time zone. BAD_USER_INPUT for an unknown time zone.',
    complexity: FIELD_WEIGHTS.megaStats,
    args: { timezone: t.arg.string({ description: "IANA time zone; the tenant's when omitted." }) },
    resolve: (_, args, ctx) => ctx.services.megaStats.compute(ctx.viewer, args.timezone),
  }),
}));

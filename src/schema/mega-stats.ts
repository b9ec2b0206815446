import type { MegaStats, StatusCount } from '../services/mega-stats.service.js';
import { builder } from './builder.js';

const StatusCountRef = builder.objectRef<StatusCount>('StatusCount').implement({
  fields: (t) => ({
    pending: t.exposeInt('pending'),
    confirmed: t.exposeInt('confirmed'),
    cancelled: t.exposeInt('cancelled'),
    total: t.exposeInt('total'),
  }),
});

const MegaStatsRef = builder.objectRef<MegaStats>('MegaStats').implement({
  description:
    "Appointment counts of the caller's tenant in four buckets of the given time zone. id is '<tenantId>:<timezone>'.",
  fields: (t) => ({
    id: t.exposeID('id'),
    timezone: t.exposeString('timezone'),
    today: t.expose('today', { type: StatusCountRef }),
    week: t.expose('week', { type: StatusCountRef, description: 'Sunday to Saturday.' }),
    month: t.expose('month', { type: StatusCountRef }),
    nextMonth: t.expose('nextMonth', { type: StatusCountRef }),
    computedAt: t.expose('computedAt', { type: 'DateTime' }),
  }),
});

builder.queryFields((t) => ({
  megaStats: t.field({
    type: MegaStatsRef,
    args: { timezone: t.arg.string({ description: "IANA time zone; the tenant's when omitted." }) },
    resolve: (_, args, ctx) => ctx.services.megaStats.compute(ctx.viewer, args.timezone),
  }),
}));

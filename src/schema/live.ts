import type { LiveStats } from '../services/cache-admin.service.js';
import { builder } from './builder.js';
import { CacheStatsRef } from './cache.js';

const LiveStatsRef = builder.objectRef<LiveStats>('LiveStats').implement({
  description:
    'Live queries (`query … @live` over SSE) served by this process since it started; ' +
    '/metrics has the push-latency histogram (hotpath_live_push_latency_seconds).',
  fields: (t) => ({
    streams: t.exposeInt('streams', { description: 'Open streams now (LIVE_MAX_STREAMS).' }),
    groups: t.exposeInt('groups', {
      description:
        'Distinct (tenant, document, variables) groups now, each executed once per change.',
    }),
    pushes: t.exposeInt('pushes', { description: 'Results written to clients.' }),
    executions: t.exposeInt('executions', {
      description: 'Executions of groups through the response cache (hits included).',
    }),
    refused: t.exposeInt('refused', { description: 'Streams refused by a LIVE_MAX_* bound.' }),
    bytes: t.exposeInt('bytes', {
      description:
        'Bytes the groups hold now: their results, the requests they replay, bookkeeping.',
    }),
  }),
});

builder.objectField(CacheStatsRef, 'live', (t) =>
  t.field({
    type: LiveStatsRef,
    nullable: true,
    description: 'Live queries on this process; null where they are not served.',
    resolve: (s) => s.live,
  }),
);

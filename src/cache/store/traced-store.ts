import { trace } from '@opentelemetry/api';
import { ATTR, inSpan, type Tracing } from '../../telemetry/tracing.js';
import type { ResponseStore } from './store.js';

/**
 * A span per store call (README: Tracing), child of the request's span. The lookup also writes
 * its level and duration onto the request's span, so the request span alone says where the
 * time went. Only built when tracing is on: off, the store is used as it is.
 */
export function traceStore(store: ResponseStore, tracing: Tracing): ResponseStore {
  const backend = store.backend === 'REDIS' ? 'redis' : 'memory';
  const call = { [ATTR.level]: backend };
  return {
    ...store,
    backend: store.backend,
    inProcess: store.inProcess,
    lookup(scope, key, options) {
      const request = trace.getActiveSpan();
      const startedAt = performance.now();
      return inSpan(
        tracing,
        'hotpath.cache.lookup',
        { ...call, [ATTR.storeCall]: 'lookup' },
        (span) =>
          store.lookup(scope, key, options).then((found) => {
            const level = found.hit && found.near ? 'near' : backend;
            const ms = performance.now() - startedAt;
            span.setAttribute(ATTR.level, level);
            span.setAttribute(ATTR.outcome, found.hit ? 'hit' : 'miss');
            if (!found.hit && found.reason) span.setAttribute(ATTR.reason, found.reason);
            request?.setAttribute(ATTR.level, level);
            request?.setAttribute(ATTR.lookupMs, ms);
            return found;
          }),
      );
    },
    save(scope, key, entry) {
      return inSpan(
        tracing,
        'hotpath.cache.save',
        { ...call, [ATTR.storeCall]: 'save', [ATTR.tagCount]: entry.tags.length },
        (span) =>
          store.save(scope, key, entry).then((result) => {
            span.setAttribute('hotpath.cache.save.result', result);
            return result;
          }),
      );
    },
    invalidate(scope, tags) {
      return inSpan(
        tracing,
        'hotpath.cache.store.invalidate',
        { ...call, [ATTR.storeCall]: 'invalidate', [ATTR.invalidationTags]: tags },
        () => store.invalidate(scope, tags),
      );
    },
    purge() {
      return inSpan(tracing, 'hotpath.cache.purge', { ...call, [ATTR.storeCall]: 'purge' }, () =>
        store.purge(),
      );
    },
    info: () => store.info(),
    nearStats: store.nearStats && (() => store.nearStats?.() ?? null),
    ping: () => store.ping(),
    close: () => store.close(),
  };
}

import { hash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { GraphQLError } from 'graphql';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Authenticate } from '../auth/authenticator.js';
import type { Viewer } from '../auth/viewer.js';
import { requestKey } from '../cache/key.js';
import { expandTags } from '../cache/store/store.js';
import { throttled } from '../errors/errors.js';
import {
  type LiveLimit,
  liveKeyRevoked,
  liveLimitExceeded,
  liveShuttingDown,
} from '../errors/live-errors.js';
import type { LiveBudget } from './budget.js';
import type { InvalidationNotice } from './bus.js';
import { createLiveCharging } from './charging.js';
import type { LiveExecute, LiveResult } from './execute.js';
import {
  createTagIndex,
  type Group,
  hasErrors,
  newGroup,
  newStream,
  requestBytes,
  type Stream,
} from './group.js';
import type { LiveConfig } from './live-config.js';
import { type LiveCounts, registerLiveMetrics } from './metrics.js';
import { createPusher } from './push.js';
import type { LiveOperation } from './request.js';
import { createGroupScheduler } from './schedule.js';
import { errorJson, nextEvent, refuse, throttledJson, withXCache } from './sse.js';
import { createStreamBook } from './streams.js';

export interface LiveHubDeps {
  config: LiveConfig;
  execute: LiveExecute;
  authenticate: Authenticate;
  /** Mixed into group keys as into cache keys (the query limits in force). */
  keySalt: string;
  registry: Registry;
  logger: Logger;
  /** What streams pay (src/live/budget.ts); absent or null: budgets are off. */
  budget?: LiveBudget | null;
}

/**
 * Live queries (DESIGN §14): streams grouped by (tenant, document, variables); a group runs
 * its request through the response cache when one of its result's tags is invalidated (on any
 * instance, through the bus), when its entry's TTL runs out, or, for a result with no entry,
 * every LIVE_UNTAGGED_POLL_MS; the new result is pushed only when it differs. Streams are
 * capped per tenant and per process, heartbeated, and ended when their key is revoked or the
 * process stops.
 */
export function createLiveHub(deps: LiveHubDeps) {
  const { config, logger } = deps;
  const log = logger.child({ component: 'live' });
  const groups = new Map<string, Group>();
  const index = createTagIndex();
  const book = createStreamBook({
    config,
    authenticate: deps.authenticate,
    logger: log,
    groups: () => groups.values(),
    onRevoked(streams) {
      const json = errorJson(liveKeyRevoked());
      for (const stream of streams) end(stream, json);
    },
  });
  let bytes = 0;
  let closing = false;
  const totals = { pushes: 0, executions: 0, refused: 0 };
  const counts = (): LiveCounts => ({
    streams: book.count,
    groups: groups.size,
    bytes,
    ...totals,
  });
  const metrics = registerLiveMetrics(deps.registry, counts);
  const charging = createLiveCharging(deps.budget ?? null, throttleStream);
  const { start, touch, schedule, stop } = createGroupScheduler({
    untaggedPollMs: config.untaggedPollMs,
    run,
    logger: log,
  });
  const pusher = createPusher({
    write: book.write,
    pushed() {
      totals.pushes++;
      metrics.pushes.inc();
    },
  });

  const LIMIT_VALUES: Record<LiveLimit, number> = {
    streams: config.maxStreams,
    streamsPerTenant: config.maxStreamsPerTenant,
    groups: config.maxGroups,
    resultBytes: config.maxResultBytes,
    documentBytes: config.maxDocumentBytes,
  };

  function refuseCounted(res: ServerResponse, origin: string | undefined, limit: LiveLimit) {
    const error = liveLimitExceeded(limit, LIMIT_VALUES[limit]);
    totals.refused++;
    metrics.refused.inc({ limit });
    refuse(res, origin, (error.extensions.http as { status: number }).status, errorJson(error));
  }

  function dropGroup(group: Group) {
    if (group.closed) return;
    group.closed = true;
    stop(group);
    index.set(group, []);
    bytes -= group.keptBytes + group.eventBytes;
    group.result = null;
    group.event = null;
    group.eventBytes = 0;
    if (groups.get(group.key) === group) groups.delete(group.key);
  }

  function removeStream(stream: Stream) {
    const { group } = stream;
    if (!group.streams.delete(stream)) return;
    book.remove(stream);
    if (group.streams.size === 0) dropGroup(group);
  }

  /** Ends a stream: an error event first if given, then `complete`. */
  function end(stream: Stream, errorEvent?: string) {
    removeStream(stream);
    pusher.finish(stream, errorEvent);
  }

  /**
   * A stream whose key can't pay: THROTTLED with the seconds to wait, then `complete`; before
   * its first result, a 429 with Retry-After. The client reopens when it says.
   */
  function throttleStream(stream: Stream, retryAfter: number) {
    const json = throttledJson(throttled(retryAfter).message, retryAfter);
    if (stream.opened) {
      end(stream, json);
      return;
    }
    removeStream(stream);
    refuse(stream.res, stream.origin, 429, json, { 'retry-after': String(retryAfter) });
  }

  /** Fails a group whose first result is an error: each waiting stream gets it, and ends. */
  function fail(group: Group, status: number, json: string) {
    for (const stream of [...group.streams]) {
      removeStream(stream);
      refuse(stream.res, stream.origin, status, json);
    }
    dropGroup(group);
  }

  async function run(group: Group, reason: string) {
    group.running = true;
    group.dirty = false;
    // The change this run answers; one noticed while it runs is the next run's.
    const changedAt = group.changedAt;
    group.changedAt = null;
    group.lastRunAt = Date.now();
    // Without budgets nothing is awaited here: the execution starts in this tick, as before.
    const paid = charging.on ? await charging.admitRun(group) : [];
    if (group.closed) {
      // Every stream left or was throttled: nothing runs, nothing is owed.
      group.running = false;
      charging.settleRun(group, paid, null);
      return;
    }
    totals.executions++;
    let result: LiveResult;
    try {
      result = await deps.execute(group.body, group.viewer);
    } catch (err) {
      group.running = false;
      charging.settleRun(group, paid, null);
      log.warn({ err }, 'live query execution failed');
      if (group.event === null) return fail(group, 500, errorJson(internalError()));
      group.changedAt ??= changedAt;
      return schedule(group, null);
    }
    group.running = false;
    charging.settleRun(group, paid, result);
    metrics.executions.inc({ reason, cache: result.xCache });
    if (group.closed) return;
    const failed = result.status !== 200 || hasErrors(result.body);
    if (failed || Buffer.byteLength(result.body) > config.maxResultBytes) {
      const json = failed
        ? result.body
        : errorJson(liveLimitExceeded('resultBytes', config.maxResultBytes));
      if (group.event === null) return fail(group, failed ? result.status : 413, json);
      if (!failed) {
        for (const stream of [...group.streams]) end(stream, json);
        return dropGroup(group);
      }
      // A result that failed once (the database, say): keep the last one, try again.
      log.warn({ status: result.status }, 'live query re-execution failed; retrying');
      group.changedAt ??= changedAt;
      return schedule(group, null);
    }
    index.set(group, result.tags ? expandTags(result.tags) : []);
    schedule(group, result);
    // Compared by digest: a group holds one copy of its result, inside its event.
    const digest = hash('sha256', result.body, 'base64url');
    if (digest !== group.result) {
      const event = nextEvent(withXCache(result.body, result.xCache));
      // In bytes, as the bound (LIVE_MAX_RESULT_BYTES) is: a string's length counts characters.
      const eventBytes = Buffer.byteLength(event);
      bytes += eventBytes - group.eventBytes;
      group.eventBytes = eventBytes;
      group.result = digest;
      if (changedAt !== null) metrics.latency.observe(Math.max(0, Date.now() - changedAt) / 1000);
      pusher.push(group, event);
    } else if (changedAt !== null && group.dirty) {
      // Unchanged so far: the change may be in the run the dirty flag asks for.
      group.changedAt = Math.min(group.changedAt ?? changedAt, changedAt);
    }
    if (group.dirty) touch(group, group.changedAt ?? Date.now());
  }

  return {
    /**
     * Serves a live query on an authenticated request: the first result, then each new one,
     * until the client leaves, its key is revoked or the process stops.
     */
    serve(
      req: IncomingMessage,
      res: ServerResponse,
      viewer: Viewer,
      operation: LiveOperation,
    ): void {
      const origin = req.headers.origin;
      if (closing) {
        refuse(res, origin, 503, errorJson(liveShuttingDown()));
        return;
      }
      const tenantId = viewer.kind === 'tenant' ? viewer.tenantId : null;
      const capped = (): boolean => {
        const limit = book.capReached(tenantId);
        if (limit) refuseCounted(res, origin, limit);
        return limit !== null;
      };
      if (capped()) return;
      const { query, operationName, variables, extensions } = operation.params;
      const scope = tenantId ?? 'ops';
      const key = `${scope}\0${requestKey(query, operationName, variables, deps.keySalt)}`;
      // What a group would keep to replay: refused past its bound whether or not a group for
      // it exists, so that the answer never depends on what others opened.
      const body = JSON.stringify({ query, operationName, variables, extensions });
      if (requestBytes(body) > config.maxDocumentBytes) {
        refuseCounted(res, origin, 'documentBytes');
        return;
      }
      const payer = charging.payerOf(viewer);

      const join = () => {
        if (res.destroyed) return;
        let group = groups.get(key);
        if (!group) {
          if (groups.size >= config.maxGroups) {
            refuseCounted(res, origin, 'groups');
            return;
          }
          group = newGroup({
            key,
            scope,
            viewer,
            body,
            throttleMs: Math.min(operation.throttleMs ?? 0, config.maxThrottleMs),
            cost: charging.costOf(operation.params),
          });
          groups.set(key, group);
          bytes += group.keptBytes;
        }
        const stream = newStream({
          res,
          group,
          origin,
          authorization: req.headers.authorization ?? '',
          tenantId,
          payer,
          patches: operation.patches,
        });
        group.streams.add(stream);
        book.add(stream);
        res.once('close', () => removeStream(stream));
        // Past the socket's own timeouts: a stream is idle by design, heartbeats keep it.
        req.socket.setTimeout(0);
        if (group.event) pusher.open(stream);
        else if (!group.running) void start(group, 'open');
      };

      // Joining a group with a result (or one being computed) costs COST_HIT; a new group's
      // first execution is paid by its streams (admitRun). Free: joined in this tick.
      const paying = charging.payToJoin(payer, groups.get(key));
      if (!paying) {
        join();
        return;
      }
      void paying.then(
        (charge) => {
          if (!charge.allowed) {
            const json = throttledJson(throttled(charge.retryAfter).message, charge.retryAfter);
            refuse(res, origin, 429, json, { 'retry-after': String(charge.retryAfter) });
            return;
          }
          if (closing) refuse(res, origin, 503, errorJson(liveShuttingDown()));
          else if (!capped()) join();
        },
        () => join(),
      );
    },
    /**
     * An invalidation applied on any instance: the groups it reaches run again. Resolves when
     * the runs it started now are done (the bus tells the other instances then, so that they
     * hit what this one stored).
     */
    notice(notice: InvalidationNotice): Promise<void> {
      const reached =
        notice.tenantId === null
          ? [...groups.values()]
          : index.reached(notice.tenantId, notice.tags);
      const runs: Promise<void>[] = [];
      for (const group of reached) {
        const started = touch(group, notice.at);
        if (started) runs.push(started);
      }
      return Promise.all(runs).then(() => {});
    },
    /** Notices may have been lost (the bus was cut off): every group runs again. */
    resync() {
      const at = Date.now();
      for (const group of groups.values()) touch(group, at);
    },
    counts,
    /** The process is stopping: new streams are refused (503 SHUTTING_DOWN), open ones stay. */
    refuseNew() {
      closing = true;
    },
    /** SIGTERM: refuses new streams and ends every open one with `complete`. */
    endAll(): number {
      closing = true;
      let ended = 0;
      for (const group of [...groups.values()]) {
        for (const stream of [...group.streams]) {
          end(stream);
          ended++;
        }
      }
      return ended;
    },
    close() {
      this.endAll();
      book.close();
    },
  };
}

const internalError = () =>
  new GraphQLError('Unexpected error.', { extensions: { code: 'INTERNAL_SERVER_ERROR' } });

export type LiveHub = ReturnType<typeof createLiveHub>;

import type { Logger } from 'pino';
import type { LiveResult } from './execute.js';
import type { Group } from './group.js';

/** Slack past an entry's TTL before it is re-executed, so the store has let it go. */
const EXPIRY_SLACK_MS = 25;
/** setTimeout's longest delay; an entry that lives longer is simply run again then. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * When a group runs: now, or once its `@live(throttle:)` allows; again when its entry's TTL
 * runs out, or every LIVE_UNTAGGED_POLL_MS for a result with no entry to watch. What a run
 * does is the hub's (`run`); this module only decides when, and owns the group's timers.
 */
export function createGroupScheduler(deps: {
  untaggedPollMs: number;
  /** Executes the group and pushes what changed; sets and clears `group.running`. */
  run: (group: Group, reason: string) => Promise<void>;
  logger: Logger;
}) {
  const { run, logger: log } = deps;

  /** Runs a group now; never rejects (what fails is logged, the group tries again later). */
  function start(group: Group, reason: string): Promise<void> {
    return run(group, reason).catch((err) => {
      group.running = false;
      log.error({ err }, 'live query run failed');
      schedule(group, null);
    });
  }

  /**
   * Asks for a new execution now, or when the group's throttle allows; returns the run when
   * it started now.
   */
  function touch(group: Group, at: number, reason = 'invalidation'): Promise<void> | undefined {
    if (group.closed) return;
    group.changedAt = Math.min(group.changedAt ?? at, at);
    if (group.running) {
      group.dirty = true;
      return;
    }
    const wait = group.lastRunAt + group.throttleMs - Date.now();
    if (wait > 0) {
      group.dirty = true;
      if (!group.throttle) {
        group.throttle = setTimeout(() => {
          group.throttle = null;
          if (group.dirty) void start(group, reason);
        }, wait);
        group.throttle.unref();
      }
      return;
    }
    return start(group, reason);
  }

  /** The next run `result` calls for (its TTL, or the untagged poll); null: none known yet. */
  function schedule(group: Group, result: LiveResult | null) {
    if (group.expiry) clearTimeout(group.expiry);
    group.expiry = null;
    const ms =
      result?.tags && result.tags.length > 0
        ? result.ttlMs === null
          ? null
          : result.ttlMs + EXPIRY_SLACK_MS
        : deps.untaggedPollMs;
    if (ms === null) return;
    group.expiry = setTimeout(
      () => {
        group.expiry = null;
        touch(group, Date.now(), result?.tags?.length ? 'ttl' : 'poll');
      },
      Math.min(ms, MAX_TIMER_MS),
    );
    group.expiry.unref();
  }

  /** A dropped group: its timers go, so nothing runs it again. */
  function stop(group: Group) {
    if (group.expiry) clearTimeout(group.expiry);
    if (group.throttle) clearTimeout(group.throttle);
  }

  return { start, touch, schedule, stop };
}

export type GroupScheduler = ReturnType<typeof createGroupScheduler>;

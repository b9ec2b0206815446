import { PAYLOAD_VERSION } from './payload.js';

/**
 * Redis key layout (every key starts with `<prefix>:`; every per-scope key carries the Redis
 * Cluster hash tag `{t:<scope>}`, so one scope's keys share a hash slot and no script touches
 * two slots):
 *
 *   <prefix>:epoch                               global epoch (Redis TIME in s since 2025, set
 *                                                on purge); read in the same round trip as
 *                                                every lookup, so a purge reaches every
 *                                                instance before it returns
 *   <prefix>:{t:<scope>}:<schemaHash>.<v>:r:<key>
 *                                                the entry, a hash: `.` the payload (its format
 *                                                in payload.ts, version <v>: flag, SWR and
 *                                                grace, encoding, ETag, then the body's bytes),
 *                                                `#` its tags as saved (JSON, read only by a
 *                                                lookup that needs them), `,` the
 *                                                grace (ms the entry outlives its TTL for SWR and
 *                                                stale-if-error), `@` the epoch it was saved
 *                                                under, `~` the scope clock it is known valid at,
 *                                                and one empty field per (expanded) tag, which
 *                                                the lookup tests with HEXISTS. An entry of the
 *                                                previous format (no `~`) reads as a miss.
 *   <prefix>:{t:<scope>}:log                     ZSET, the scope's invalidation log: member a
 *                                                tag as invalidated, score the clock of its
 *                                                latest invalidation; member '' is the marker
 *                                                (the log holds every invalidation above its
 *                                                score). Capped at CACHE_LOG_MAX tags (the
 *                                                marker rises as the oldest go); created by a
 *                                                save and living as long as the scope's
 *                                                longest-lived entry
 *   <prefix>:{t:<scope>}:i:<tag>                 ZSET of entry keys under the tag (score: their
 *                                                expiry), trimmed on every save and capped, so
 *                                                invalidation can free and count them; not
 *                                                needed for correctness
 *   <prefix>:{t:<scope>}:seq                     the scope's clock: the value of its last
 *                                                invalidation (Redis TIME in µs, raised above
 *                                                its last value)
 *   <prefix>:{t:<scope>}:v:<tag>                 the previous format's tag versions: no longer
 *                                                written; an invalidation still raises one that
 *                                                exists, for processes of that format during a
 *                                                rolling deploy
 */

/** Key names, as laid out above. Every per-scope key starts with `slot(scope)`. */
export function redisKeys(prefix: string) {
  const slot = (scope: string): string => {
    if (scope === '' || /[{}]/.test(scope)) throw new TypeError(`Invalid cache scope: ${scope}`);
    return `${prefix}:{t:${scope}}:`;
  };
  return {
    epoch: `${prefix}:epoch`,
    slot,
    entry: (scope: string, schemaHash: string, key: string) =>
      `${slot(scope)}${schemaHash}.${PAYLOAD_VERSION}:r:${key}`,
    version: (scope: string, tag: string) => `${slot(scope)}v:${tag}`,
    index: (scope: string, tag: string) => `${slot(scope)}i:${tag}`,
    seq: (scope: string) => `${slot(scope)}seq`,
    log: (scope: string) => `${slot(scope)}log`,
  };
}

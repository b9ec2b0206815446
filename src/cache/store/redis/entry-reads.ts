import type { RedisClient } from './client.js';
import type { redisKeys } from './keys.js';
import { LOOKUP } from './scripts.js';

/**
 * Hit: [1, pttl, clock, validAt]; expired: [2, pttl, clock, generation]; miss: [0, clock,
 * generation, why] (scripts.ts LOOKUP).
 */
export type Reply = (string | number)[];
export const str = (value: string | number | undefined) =>
  value === undefined ? '' : String(value);

export interface EntryReadsDeps {
  redis: RedisClient;
  keys: ReturnType<typeof redisKeys>;
  schemaHash: string;
  /** On Redis Cluster every lookup is the script's (TIME may come from another node). */
  isCluster: boolean;
  onError: (error: Error) => void;
}

/**
 * How a lookup reads an entry from Redis (README: No stale read after a write): by the lookup
 * script, or, when the scope's clock proves the entry, by plain reads answered as the script
 * would answer (issue 19). What the reply means for the lookup is the store's (redis-store.ts).
 */
export function createEntryReads(deps: EntryReadsDeps) {
  const { redis, keys, schemaHash, isCluster, onError } = deps;

  /**
   * The lookup script, then a read of the entry's payload (and of its tags when `withTags`),
   * written together (one round trip, in the turn's write like every command) so its bytes never
   * pass through Lua. Redis runs them in that order on this connection; a write of another
   * client between them can only make the payload newer than the one judged (a save, itself
   * proven fresh) or absent (a delete): a miss. The reverse order would not be safe, so a script
   * Redis lost sends both again.
   */
  async function judge(
    entryKey: string,
    scope: string,
    expected: string,
    source: boolean,
    withTags: boolean,
  ) {
    const args = [entryKey, keys.seq(scope), keys.log(scope), expected] as const;
    const [reply, read] = await Promise.all([
      source ? redis.eval(LOOKUP.source, 3, ...args) : redis.evalsha(LOOKUP.sha, 3, ...args),
      withTags ? redis.hmgetBuffer(entryKey, '.', '#') : redis.hgetBuffer(entryKey, '.'),
    ]);
    const [payload, tags] = Array.isArray(read) ? read : [read, null];
    return { reply: reply as Reply, payload, tags };
  }

  /**
   * A lookup without the script (issue 19: calling it was most of Redis's CPU per lookup): the
   * entry's PTTL, then its fields (the fixed three, the payload and, when `withTags`, the tags)
   * in one HMGET, the scope clock with the epoch in one MGET, and Redis TIME: four commands in
   * that order in one write (the turn's write, client.ts; the MGET too: only the copies' check sends its
   * MGET at once, near.ts), answered as the script would answer. (Five until the clock and the
   * epoch shared their MGET: every command costs Redis and the client CPU of its own, issue 19.)
   * - The entry was valid at the clock it records (`~`). When the clock read after it still has
   *   that value, no invalidation happened since (every one raises it): the script's O(1) case.
   *   The payload comes with `~` from one command, so it is the body that was proven. Between
   *   the PTTL and the HMGET a write of another client can only delete the entry (no fields: a
   *   miss) or save a newer one, proven fresh at its save (its payload with a TTL read before
   *   it, never longer than its own).
   * - A miss (no entry, another epoch, an expired one) notes max(TIME, clock), as the script's
   *   does: read before the miss executes, so any write its execution might not see is
   *   invalidated later, at a clock at least that great, and refuses its save.
   * Anything else (a clock that moved since the entry was proven: the log must be read; an
   * entry of the previous format): no reply, and the script judges. Not on Redis Cluster,
   * where TIME goes to any node: the script reads the clock of the node that holds the scope.
   */
  async function plainLookup(entryKey: string, scope: string, expected: string, withTags: boolean) {
    const [pttl, read, [clock, current], time] = await Promise.all([
      redis.pttl(entryKey),
      withTags
        ? redis.hmgetBuffer(entryKey, ',', '@', '~', '.', '#')
        : redis.hmgetBuffer(entryKey, ',', '@', '~', '.'),
      redis.mget(keys.seq(scope), keys.epoch),
      redis.time(),
    ]);
    const [grace, saved, validAt] = read.slice(0, 3).map((field) => field?.toString() ?? null);
    const now = Number(time[0]) * 1_000_000 + Number(time[1]);
    if (clock === null && grace === null) {
      // A scope without a clock (new, or its clock was lost): started just below this lookup,
      // as the script does, so that any later write is above it. Not waited for: the save
      // goes out behind it on this connection, and refuses what it can't prove (a write that
      // started the clock first, or a clock that still isn't there).
      redis.set(keys.seq(scope), String(now - 1), 'NX').catch(onError);
    }
    return {
      current,
      reply: plainReply({ pttl, grace, saved, validAt, clock, now, expected }),
      payload: read[3] ?? null,
      tags: withTags ? (read[4] ?? null) : null,
    };
  }

  /** The lookup script, sent again with its source when Redis lost it (NOSCRIPT). */
  function scripted(entryKey: string, scope: string, expected: string, withTags: boolean) {
    return judge(entryKey, scope, expected, false, withTags).catch((error: unknown) => {
      if (!(error instanceof Error) || !error.message.includes('NOSCRIPT')) throw error;
      return judge(entryKey, scope, expected, true, withTags);
    });
  }

  return {
    /**
     * One lookup's reads of an entry, judged against `expected` (the epoch this process last
     * read): the reply of the script (or of the reads that stand in for it), the payload and
     * tags read with it, and the epoch Redis holds now (`current`).
     */
    async read(scope: string, key: string, expected: string, withTags: boolean) {
      const entryKey = keys.entry(scope, schemaHash, key);
      if (isCluster) {
        // Sent together: on Redis Cluster they may go to two nodes, still at once.
        const [current, judged] = await Promise.all([
          redis.get(keys.epoch),
          scripted(entryKey, scope, expected, withTags),
        ]);
        return { current, ...judged, expected };
      }
      // One round trip, and a second one only when the script must judge (the epoch read in
      // the first is the one compared).
      const plain = await plainLookup(entryKey, scope, expected, withTags);
      if (plain.reply !== null) return { ...plain, reply: plain.reply, expected };
      return {
        current: plain.current,
        ...(await scripted(entryKey, scope, expected, withTags)),
        expected,
      };
    },
  };
}

/** What plainLookup read, to be answered as the lookup script would answer it. */
interface PlainReads {
  pttl: number;
  /** The entry's fields: its grace, the epoch it was saved under, the clock it was proven at. */
  grace: string | null;
  saved: string | null;
  validAt: string | null;
  /** The scope clock read after the entry; Redis TIME (µs); the epoch this process expects. */
  clock: string | null;
  now: number;
  expected: string;
}

/**
 * The script's reply from the plain reads (plainLookup), or null when the script must judge: an
 * entry without its scope's clock (the script deletes it), or a clock that moved since the
 * entry was proven. A miss notes max(TIME, clock); a scope without a clock, the clock started
 * just below TIME. (A function of its own, not closures made per lookup: tsx, which runs
 * npm start and the benches, names every named closure as it is made.)
 */
function plainReply(r: PlainReads): Reply | null {
  const { pttl, grace, clock, now } = r;
  if (clock === null) return grace !== null ? null : [0, String(now), String(now - 1), ''];
  const atMiss = String(Math.max(now, Number(clock)));
  if (grace === null) return [0, atMiss, clock, ''];
  if (r.saved !== r.expected) return [0, atMiss, clock, 'i'];
  if (r.validAt !== clock) return null;
  if (pttl > Number(grace)) return [1, pttl, clock, r.validAt];
  if (pttl < 0) return [0, atMiss, clock, ''];
  return [2, pttl, atMiss, clock];
}

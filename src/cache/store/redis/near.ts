import DataLoader from 'dataloader';
import { LRUCache } from 'lru-cache';
import type { StoredBody } from '../body.js';
import type { LookupResult } from '../store.js';
import { flushWrites, type RedisClient } from './client.js';
import type { redisKeys } from './keys.js';
import { CHANGES, type Script } from './scripts.js';

/**
 * An entry Redis served, kept in process: valid while the epoch and the scope clock stay, and
 * across a clock that moved when the scope's log shows none of its tags invalidated since.
 */
export interface NearEntry {
  body: StoredBody;
  tags: string[];
  /** Its tags with their prefixes (expandTags), what an invalidation reaches. */
  expanded: Set<string>;
  neverExpires: boolean;
  /** When its TTL runs out (clock ms). */
  freshUntil: number;
  epoch: string;
  /** The scope clock it is proven valid at (moves up as later proofs succeed). */
  clock: string;
}

/** What a scope's log holds since a clock (scripts.ts CHANGES); '' for a missing clock or marker. */
interface ScopeChanges {
  clock: string;
  marker: string;
  /** [tag, clock of its latest invalidation], oldest first. */
  changed: [string, number][];
}

/**
 * MGET written at once: the copies' check is batched per event-loop turn already (sent from an
 * immediate), and holding it back for the turn's write (client.ts, holdTurns) would send
 * it one turn later. (A lookup's MGET goes with the turn's write: entry-reads.ts.)
 */
function mgetAtOnce(redis: RedisClient, keys: string[]): Promise<(string | null)[]> {
  const read = redis.mget(keys);
  flushWrites(redis);
  return read;
}

/** A copy's key: its scope's and its entry's. */
export const nearKeyOf = (scope: string, key: string) => `${scope}\0${key}`;

/** What a batch's resolve and reject are until its promise is made. */
const ignore = () => {};

/** Scopes read by one check at most (an MGET of the epoch and their clocks). */
const MAX_SCOPES_PER_CHECK = 500;

/** A check of scope clocks, gathered until it is sent. */
interface ClockBatch {
  scopes: string[];
  /** Per scope, its [epoch, clock] from this check's read. */
  answers: Map<string, Promise<[string | null, string | null]>>;
  read: Promise<[string | null, string | null][]>;
  resolve: (values: [string | null, string | null][]) => void;
  reject: (error: unknown) => void;
}

export interface NearCopiesDeps {
  redis: RedisClient;
  keys: ReturnType<typeof redisKeys>;
  isCluster: boolean;
  /** CACHE_NEAR_MAX_BYTES (0: no copies). */
  maxBytes: number;
  now: () => number;
  run: (s: Script, keys: string[], args: (string | number | Buffer)[]) => Promise<unknown>;
  /** An epoch read while checking a copy that differs from what the store knew (a purge). */
  onEpoch: (current: string) => void;
}

/**
 * The Redis store's copies in process (README: Copies in process): the LRU that holds them, and
 * the one-MGET check (and, when the scope clock moved, the log's proof) before one is served.
 */
export function createNearCopies(deps: NearCopiesDeps) {
  const { redis, keys, isCluster, now } = deps;
  const run = deps.run;
  const nearMaxBytes = deps.maxBytes;
  const near =
    nearMaxBytes > 0
      ? new LRUCache<string, NearEntry>({
          maxSize: nearMaxBytes,
          // What a copy holds: its body bytes, its key and tag strings, and about 500 bytes of
          // objects (the entry, StoredBody, Buffer and LRU slots; see memory-store.ts sizeOf).
          // The expanded tag set: about 50 bytes a member besides the string.
          sizeCalculation: (entry, key) => {
            let bytes = 512 + entry.body.bytes.length + key.length + entry.body.etag.length;
            bytes += entry.body.extraBytes(); // a gzipped body's closing and JSON (once asked for)
            for (const tag of entry.tags) bytes += 16 + tag.length;
            for (const tag of entry.expanded) bytes += 50 + tag.length;
            return bytes;
          },
        })
      : null;
  let nearHits = 0;
  let nearKept = 0;
  const keepResized = (nearKey: string, copy: NearEntry) =>
    near?.set(nearKey, { ...copy }).get(nearKey) !== undefined;
  async function readClocks(scopes: readonly string[]) {
    if (isCluster) {
      // The epoch and each scope live in their own slots: one GET each, sent at once.
      const [current, ...values] = await Promise.all([
        redis.get(keys.epoch),
        ...scopes.map((scope) => redis.get(keys.seq(scope))),
      ]);
      return values.map((value): [string | null, string | null] => [current, value]);
    }
    const [current, ...values] = await mgetAtOnce(redis, [keys.epoch, ...scopes.map(keys.seq)]);
    return values.map((value): [string | null, string | null] => [current, value]);
  }
  /** The check out at Redis, if any: settles when it is answered. */
  let checking: Promise<void> | null = null;
  /** The next check, not sent yet: its scopes, and each scope's answer (one per scope). */
  let next: ClockBatch | null = null;

  /** Sends a batch's read once the check before it (if any) was answered, after I/O. */
  function schedule(batch: ClockBatch) {
    if (checking) void checking.then(() => setImmediate(send, batch));
    else setImmediate(send, batch);
  }

  function send(batch: ClockBatch) {
    if (next === batch) next = null;
    const read = readClocks(batch.scopes);
    // Settles with the read, never rejects (the read's error goes to its own hits).
    const out: Promise<void> = read.then(
      () => {
        if (checking === out) checking = null;
      },
      () => {
        if (checking === out) checking = null;
      },
    );
    checking = out;
    read.then(batch.resolve, batch.reject);
  }

  /**
   * The epoch and the clocks of the scopes whose copies want checking, in one command:
   * concurrent hits share the round trip, and the hits of one scope share its answer (one
   * promise, one key in the MGET, however many hits). One check is out at a time: the hits
   * that arrive meanwhile wait for its answer and share the next one, sent then (issue 19: when
   * hits trickle in one per event-loop turn, as when the clients are slower than the server,
   * each paid a round trip of its own, 186 µs of server CPU and 51 µs of Redis's per 112 KB
   * hit in bench:curves). Each read is still sent after every request it answers arrived, so
   * none is answered by a read older than itself. Not cached across reads.
   */
  function clockOf(scope: string): Promise<[string | null, string | null]> {
    let batch = next;
    const known = batch?.answers.get(scope);
    if (known !== undefined) return known;
    if (batch === null || batch.scopes.length >= MAX_SCOPES_PER_CHECK) {
      let resolve: ClockBatch['resolve'] = ignore;
      let reject: ClockBatch['reject'] = ignore;
      const read = new Promise<[string | null, string | null][]>((yes, no) => {
        resolve = yes;
        reject = no;
      });
      batch = { scopes: [], answers: new Map(), read, resolve, reject };
      next = batch;
      schedule(batch);
    }
    const at = batch.scopes.push(scope) - 1;
    const answer = batch.read.then((values) => values[at]);
    batch.answers.set(scope, answer);
    return answer;
  }

  /**
   * What the scopes' logs hold since the copies' clocks, for the copies whose scope clock moved
   * this event-loop turn: one script per scope (from the oldest clock asked), sent at once,
   * shared by every copy of the scope checked in the turn. Read after every request it answers
   * arrived, like the clocks.
   */
  const changes = new DataLoader<{ scope: string; since: string }, ScopeChanges>(
    async (asks) => {
      const since = new Map<string, string>();
      for (const ask of asks) {
        const known = since.get(ask.scope);
        if (known === undefined || Number(ask.since) < Number(known)) {
          since.set(ask.scope, ask.since);
        }
      }
      const read = new Map<string, Promise<ScopeChanges>>();
      for (const [scope, from] of since) {
        read.set(
          scope,
          run(CHANGES, [keys.seq(scope), keys.log(scope)], [from]).then((reply) => {
            const [clock, marker, ...flat] = (reply as string[]).map(String);
            const changed: [string, number][] = [];
            for (let i = 0; i + 1 < flat.length; i += 2)
              changed.push([flat[i], Number(flat[i + 1])]);
            return { clock, marker, changed };
          }),
        );
      }
      return Promise.all(asks.map((ask) => read.get(ask.scope) as Promise<ScopeChanges>));
    },
    { cache: false, maxBatchSize: 500, batchScheduleFn: (run) => setImmediate(run) },
  );

  /**
   * The clock the copy is proven valid at now, or null: the log covers its clock (marker),
   * holds the scope clock's latest invalidation, and none of the tags invalidated since is one
   * of the copy's (expanded) tags. The same proof as the lookup script's.
   */
  function provenAt(copy: NearEntry, read: ScopeChanges): string | null {
    if (read.clock === '' || read.marker === '') return null;
    const at = Number(copy.clock);
    // Already proven at this read's clock or later (by another hit this read answered, or a
    // newer one): nothing happened since that this read could show.
    if (Number(read.clock) <= at) return copy.clock;
    if (Number(read.marker) > at) return null;
    let newest = Number.NEGATIVE_INFINITY;
    for (const [tag, score] of read.changed) {
      if (score <= at) continue;
      if (copy.expanded.has(tag)) return null;
      newest = score;
    }
    if (newest < Number(read.clock)) return null;
    return Number(read.clock) > at ? read.clock : copy.clock;
  }

  /**
   * The in-process copy, when one round trip shows it is still what Redis would serve: no
   * purge (the epoch) and no invalidation in its scope (the clock, which every invalidation
   * raises and which a lost clock can't repeat) since it was proven valid; or, when the clock
   * moved, a second round trip shows that none of the invalidations since touched it. Without
   * a copy to check, null; otherwise what the check found, or `orElse()` when it found nothing
   * to serve, in one promise (issue 19: an async function and an await per hit more).
   */
  function nearLookup(
    scope: string,
    key: string,
    orElse: () => Promise<LookupResult>,
  ): Promise<LookupResult> | null {
    const nearKey = nearKeyOf(scope, key);
    const copy = near?.get(nearKey);
    if (!copy) return null;
    if (!copy.neverExpires && now() >= copy.freshUntil) {
      near?.delete(nearKey);
      return null;
    }
    return clockOf(scope).then(([current, clock]) => {
      if (current === copy.epoch && clock === copy.clock) return nearHit(nearKey, copy) ?? orElse();
      if (current === copy.epoch && clock !== null) {
        return changes.load({ scope, since: copy.clock }).then((read) => {
          const proven = provenAt(copy, read);
          if (proven === null) return dropped(nearKey, current, orElse);
          copy.clock = proven;
          nearKept++;
          return nearHit(nearKey, copy) ?? orElse();
        });
      }
      return dropped(nearKey, current, orElse);
    });
  }

  /** A copy the check could not prove: gone, the epoch read passed on, then `orElse()`. */
  function dropped(nearKey: string, current: string | null, orElse: () => Promise<LookupResult>) {
    near?.delete(nearKey);
    if (current !== null) deps.onEpoch(current);
    return orElse();
  }

  function nearHit(nearKey: string, copy: NearEntry) {
    const left = copy.freshUntil - now();
    if (!copy.neverExpires && left <= 0) {
      near?.delete(nearKey);
      return null;
    }
    nearHits++;
    return {
      hit: true as const,
      body: copy.body,
      tags: copy.tags,
      ttlMs: copy.neverExpires ? null : Math.ceil(left),
      near: true,
    };
  }

  return {
    /** The LRU (null without copies). */
    lru: near,
    lookup: nearLookup,
    keepResized,
    stats: () =>
      near && {
        hits: nearHits,
        kept: nearKept,
        entries: near.size,
        bytes: near.calculatedSize ?? 0,
      },
  };
}

/**
 * What bench:live computes from what its clients saw, kept apart from the I/O so that it is
 * tested on its own (test/bench/live-measure.test.ts). Times are performance.now() of the bench
 * process, which both writes and receives, so write and receipt share one clock.
 */

/** A write's response: from then on, its group's dashboards show stale data until they see it. */
export interface Write {
  group: number;
  /** The group's version once the write committed (its agenda's appointment count). */
  version: number;
  at: number;
}

/** A result a client received, and the version it shows. */
export interface Seen {
  at: number;
  version: number;
}

export interface ClientView {
  group: number;
  /** In the order received. */
  seen: Seen[];
}

export interface Delays {
  /** For each (write, client of its group) pair the client saw: receipt minus response, ≥ 0. */
  delays: number[];
  /** Pairs whose client had the write's data before the write's response arrived (delay 0). */
  early: number;
  /** Pairs whose client never saw the write's version. */
  unseen: number;
}

/** How long after each write's response each client of its group first showed it. */
export function delaysToSee(writes: readonly Write[], clients: readonly ClientView[]): Delays {
  const result: Delays = { delays: [], early: 0, unseen: 0 };
  for (const client of clients) {
    for (const write of writes) {
      if (write.group !== client.group) continue;
      const first = client.seen.find((s) => s.version >= write.version);
      if (!first) {
        result.unseen++;
        continue;
      }
      const delay = first.at - write.at;
      if (delay < 0) result.early++;
      result.delays.push(Math.max(0, delay));
    }
  }
  return result;
}

/**
 * The milliseconds within [from, to] during which a client showed an older version than its
 * group had committed (the latest write whose response had arrived). Before its first result a
 * client shows nothing, which counts as stale only once a write has landed.
 */
export function staleMs(
  writes: readonly Write[],
  client: ClientView,
  baseVersion: number,
  from: number,
  to: number,
): number {
  const mine = writes.filter((w) => w.group === client.group).sort((a, b) => a.at - b.at);
  const points = [...mine.map((w) => w.at), ...client.seen.map((s) => s.at), from, to].filter(
    (t) => t >= from && t <= to,
  );
  points.sort((a, b) => a - b);
  let stale = 0;
  for (let i = 0; i < points.length - 1; i++) {
    const start = points[i];
    const end = points[i + 1];
    if (end <= start) continue;
    let committed = baseVersion;
    for (const w of mine) if (w.at <= start) committed = Math.max(committed, w.version);
    let shown = -1;
    for (const s of client.seen) if (s.at <= start) shown = s.version;
    if (shown < committed && (shown >= 0 || committed > baseVersion)) stale += end - start;
  }
  return stale;
}

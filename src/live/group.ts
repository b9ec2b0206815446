import type { ServerResponse } from 'node:http';
import type { TenantViewer, Viewer } from '../auth/viewer.js';
import { stringBytes } from '../cache/stats/bounds.js';
import type { LiveCost } from './budget.js';
import { GROUP_BYTES } from './live-config.js';

/** One client's open stream; small on purpose (LIVE_MAX_STREAMS of them). */
export interface Stream {
  res: ServerResponse;
  group: Group;
  origin: string | undefined;
  authorization: string;
  /** The tenant it counts against; null for an operator. */
  tenantId: string | null;
  /** The API key whose budget pays for what it receives (src/live/budget.ts); null: nobody. */
  payer: TenantViewer | null;
  /** Headers written: the stream has had its first result. */
  opened: boolean;
  /** The event last written to it (the group's, by reference). */
  sent: string | null;
  /** Asked for JSON patches after its first result. */
  patches: boolean;
  /** The group's revision before this stream's first result (its revisions start at 1). */
  revisionBase: number;
}

/** Streams of one (scope, document, operation, variables): executed once per change. */
export interface Group {
  key: string;
  scope: string;
  viewer: Viewer;
  /** The request body replayed through Yoga (at most LIVE_MAX_DOCUMENT_BYTES). */
  body: string;
  /** What it keeps besides its result, counted in the live bytes: its body and GROUP_BYTES. */
  keptBytes: number;
  /** What each execution is admitted for and settled to (src/live/budget.ts); null: no budgets. */
  cost: LiveCost | null;
  throttleMs: number;
  streams: Set<Stream>;
  /** The last result's SHA-256, and the `next` event made of it (null before the first). */
  result: string | null;
  event: string | null;
  /**
   * The event's UTF-8 bytes as counted in the live bytes when it was kept (0 before the
   * first): what is given back when it is replaced or the group goes, so both sides agree.
   */
  eventBytes: number;
  /** Results pushed so far: a patch says which one it turns into the next. */
  revision: number;
  /** The expanded tags it is indexed under. */
  tags: string[];
  running: boolean;
  /** Something changed while running or throttled: execute again when allowed. */
  dirty: boolean;
  lastRunAt: number;
  /** The earliest change not yet pushed (epoch ms), for the latency histogram. */
  changedAt: number | null;
  expiry: NodeJS.Timeout | null;
  throttle: NodeJS.Timeout | null;
  closed: boolean;
}

/** A group before its first run. */
export function newGroup(
  fields: Pick<Group, 'key' | 'scope' | 'viewer' | 'body' | 'throttleMs' | 'cost'>,
): Group {
  return {
    ...fields,
    keptBytes: GROUP_BYTES + requestBytes(fields.body),
    streams: new Set(),
    result: null,
    event: null,
    eventBytes: 0,
    revision: 0,
    tags: [],
    running: false,
    dirty: false,
    lastRunAt: 0,
    changedAt: null,
    expiry: null,
    throttle: null,
    closed: false,
  };
}

/** A stream of `group`, before its first result. */
export function newStream(
  fields: Pick<
    Stream,
    'res' | 'group' | 'origin' | 'authorization' | 'tenantId' | 'payer' | 'patches'
  >,
): Stream {
  return { ...fields, opened: false, sent: null, revisionBase: 0 };
}

/**
 * A request's size as LIVE_MAX_DOCUMENT_BYTES counts it: its UTF-8 bytes, or what V8 keeps of it
 * when that is more (two bytes a character once one is past Latin-1).
 */
export function requestBytes(body: string): number {
  return Math.max(Buffer.byteLength(body), stringBytes(body) - 16);
}

/**
 * Which groups a tag reaches, per scope. A group is indexed under its result's tags with
 * every prefix (expandTags), as the store indexes an entry, so an invalidation reaches the
 * same groups as the entries it removes.
 */
export function createTagIndex() {
  const index = new Map<string, Set<Group>>();
  return {
    /** Replaces the tags `group` is indexed under (none: out of the index). */
    set(group: Group, tags: string[]) {
      for (const tag of group.tags) {
        const key = `${group.scope}\0${tag}`;
        const set = index.get(key);
        set?.delete(group);
        if (set?.size === 0) index.delete(key);
      }
      group.tags = tags;
      for (const tag of tags) {
        const key = `${group.scope}\0${tag}`;
        const set = index.get(key);
        if (set) set.add(group);
        else index.set(key, new Set([group]));
      }
    },
    /** The groups of `scope` an invalidation of `tags` reaches. */
    reached(scope: string, tags: string[]): Set<Group> {
      const reached = new Set<Group>();
      for (const tag of tags) {
        for (const group of index.get(`${scope}\0${tag}`) ?? []) reached.add(group);
      }
      return reached;
    },
  };
}

/** A result with errors is never pushed as a change (nor cached). */
export function hasErrors(body: string): boolean {
  try {
    const result = JSON.parse(body) as { errors?: unknown };
    return result.errors !== undefined;
  } catch {
    return true;
  }
}

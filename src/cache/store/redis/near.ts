import type { StoredBody } from '../body.js';

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

import type { StoredBody } from '../body.js';

/** An entry Redis served, kept in process; valid while the epoch and scope clock stay. */
export interface NearEntry {
  body: StoredBody;
  tags: string[];
  neverExpires: boolean;
  /** When its TTL runs out (clock ms). */
  freshUntil: number;
  epoch: string;
  clock: string;
}

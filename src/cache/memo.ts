import { type ByteBudget, stringBytes } from './stats/bounds.js';

export interface MemoOptions<T> {
  /** The most distinct inputs remembered. */
  max?: number;
  /** Longer inputs (in characters) are computed every time and never remembered. */
  maxLength?: number;
  /**
   * Counts and bounds the bytes remembered (each entry as `sizeOf` says); the oldest go first.
   * Without it the memo is bounded by max × maxLength only.
   */
  budget?: ByteBudget;
  /** What an entry holds beyond its input's characters (default 64: a short value). */
  sizeOf?: (input: string, value: T) => number;
}

/** Per entry: the Map's slot and the size record. */
const ENTRY_BYTES = 64;

/**
 * Remembers `compute(input)` for up to `max` distinct inputs of at most `maxLength` characters
 * (longer ones are computed every time), dropping the oldest first, and within `budget` bytes.
 * For what clients send over and over (documents, request bodies, Accept headers): the work is
 * done once per distinct value, and the memory stays bounded whatever they send.
 */
export function memoize<T>(
  compute: (input: string) => T,
  { max = 1_000, maxLength = 16_384, budget, sizeOf = () => 64 }: MemoOptions<T> = {},
): (input: string) => T {
  const remembered = new Map<string, { value: T; bytes: number }>();
  return (input) => {
    const known = remembered.get(input);
    if (known !== undefined) return known.value;
    const value = compute(input);
    if (input.length > maxLength) return value;
    const bytes = budget ? ENTRY_BYTES + stringBytes(input) + sizeOf(input, value) : 0;
    if (budget && bytes > budget.maxBytes) {
      budget.refusals++;
      return value;
    }
    while (
      remembered.size > 0 &&
      (remembered.size >= max || (budget && budget.held + bytes > budget.maxBytes))
    ) {
      const [oldest, entry] = remembered.entries().next().value as [string, { bytes: number }];
      remembered.delete(oldest);
      if (budget) {
        budget.held -= entry.bytes;
        budget.evictions++;
      }
    }
    remembered.set(input, { value, bytes });
    if (budget) budget.held += bytes;
    return value;
  };
}

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
  /**
   * Remember an input only the second time it comes (within the last DOORKEEPER_SLOTS distinct
   * ones, about): what a client sends once is computed and forgotten (issue 19, below).
   */
  admitOnRepeat?: boolean;
}

/**
 * The doorkeeper of `admitOnRepeat`: a table of 32-bit fingerprints of inputs seen once, in a
 * typed array (no object per input). An input whose fingerprint is in its place was seen before
 * (or shares a fingerprint with one that was: it is then admitted at once, which costs nothing
 * but memory the bounds already count). Why: a request body kept for its repeats was, for every
 * one-off request (each miss with variables of its own), an entry that outlived V8's young
 * collections and died in the old generation (about 40 KB of the 360 KB a Redis miss promoted
 * per scavenge, issue 19), and it pushed out the entries of the requests that do repeat.
 */
const DOORKEEPER_SLOTS = 4_096;

function doorkeeper() {
  const seen = new Uint32Array(DOORKEEPER_SLOTS);
  /** Whether `fingerprint` came before; notes it when not. (0 is noted as 1.) */
  return (fingerprint: number): boolean => {
    const mark = fingerprint >>> 0 || 1;
    const at = mark & (DOORKEEPER_SLOTS - 1);
    if (seen[at] === mark) return true;
    seen[at] = mark;
    return false;
  };
}

/** FNV-1a of a string's characters, from SLOT_SEED: a fingerprint for the doorkeeper. */
function fingerprintOf(input: string): number {
  let hash = SLOT_SEED;
  for (let i = 0; i < input.length; i++) hash = Math.imul(hash ^ input.charCodeAt(i), 16_777_619);
  return hash >>> 0;
}

/** Per entry: the Map's slot and the size record. */
const ENTRY_BYTES = 64;

/**
 * Both memos' admission: false (a refusal counted) when an entry of `bytes` alone is over the
 * budget; otherwise the oldest entries go (`dropOldest`) while the memo holds `max` of them or
 * the budget has no room for it.
 */
function makeRoom(
  bytes: number,
  max: number,
  budget: ByteBudget | undefined,
  count: () => number,
  dropOldest: () => void,
): boolean {
  if (budget && bytes > budget.maxBytes) {
    budget.refusals++;
    return false;
  }
  while (count() > 0 && (count() >= max || (budget && budget.held + bytes > budget.maxBytes))) {
    dropOldest();
  }
  return true;
}

/** An entry of `bytes` let go: out of the budget, counted as an eviction. */
function released(budget: ByteBudget | undefined, bytes: number) {
  if (!budget) return;
  budget.held -= bytes;
  budget.evictions++;
}

/**
 * Remembers `compute(input)` for up to `max` distinct inputs of at most `maxLength` characters
 * (longer ones are computed every time), dropping the oldest first, and within `budget` bytes.
 * For what clients send over and over (documents, request bodies, Accept headers): the work is
 * done once per distinct value, and the memory stays bounded whatever they send.
 */
export function memoize<T>(
  compute: (input: string) => T,
  {
    max = 1_000,
    maxLength = 16_384,
    budget,
    sizeOf = () => 64,
    admitOnRepeat = false,
  }: MemoOptions<T> = {},
): (input: string) => T {
  const remembered = new Map<string, { value: T; bytes: number }>();
  const seenBefore = admitOnRepeat ? doorkeeper() : null;
  return (input) => {
    const known = remembered.get(input);
    if (known !== undefined) return known.value;
    const value = compute(input);
    if (input.length > maxLength) return value;
    if (seenBefore && !seenBefore(fingerprintOf(input))) return value;
    const bytes = budget ? ENTRY_BYTES + stringBytes(input) + sizeOf(input, value) : 0;
    const fits = makeRoom(
      bytes,
      max,
      budget,
      () => remembered.size,
      () => {
        const [oldest, entry] = remembered.entries().next().value as [string, { bytes: number }];
        remembered.delete(oldest);
        released(budget, entry.bytes);
      },
    );
    if (!fits) return value;
    remembered.set(input, { value, bytes });
    if (budget) budget.held += bytes;
    return value;
  };
}

/** memoizeBytes: the bytes at the end of an input that, with its length, choose its slot. */
const TAIL_BYTES = 48;
/** memoizeBytes: inputs remembered per slot; a newcomer pushes out the slot's oldest. */
const PER_SLOT = 4;

/** A process's own seed of slotOf. */
const SLOT_SEED = (Math.random() * 0x1_0000_0000) >>> 0;

/** FNV-1a of the length and the last TAIL_BYTES bytes, from SLOT_SEED: a slot of memoizeBytes. */
function slotOf(input: Buffer): number {
  const length = input.length;
  let hash = Math.imul(SLOT_SEED ^ length, 16_777_619);
  for (let i = length > TAIL_BYTES ? length - TAIL_BYTES : 0; i < length; i++) {
    hash = Math.imul(hash ^ input[i], 16_777_619);
  }
  return hash >>> 0;
}

interface BytesEntry<T> {
  bytes: Buffer;
  slot: number;
  value: T;
  size: number;
}

/**
 * `memoize` for raw bytes (a request's body): the same bounds (`max`, `maxLength` in bytes,
 * `budget`, oldest first), with each input kept as a copy of its bytes. A string key would cost
 * a hit the decoding and V8's hash of the whole text (about 0.5 µs for a 400-byte body, the
 * largest share of a hit's own work); here the slot is a number hashed from the length and the
 * last 48 bytes (no string is made: that string and its hash cost a hit 0.2 µs, issue 19), and
 * each of its at most 4 inputs is compared byte for byte. Bodies that differ only before their
 * end share a slot, so a flood of them costs at most 4 comparisons a lookup; the hash's seed is
 * the process's own, so which other bodies share a slot can't be chosen from outside either.
 */
export function memoizeBytes<T>(
  compute: (input: Buffer) => T,
  {
    max = 1_000,
    maxLength = 16_384,
    budget,
    sizeOf = () => 64,
    admitOnRepeat = false,
  }: Omit<MemoOptions<T>, 'sizeOf'> & { sizeOf?: (input: Buffer, value: T) => number } = {},
): (input: Buffer) => T {
  const slots = new Map<number, BytesEntry<T>[]>();
  const seenBefore = admitOnRepeat ? doorkeeper() : null;
  // Insertion order: the oldest first.
  const entries = new Set<BytesEntry<T>>();
  const drop = (entry: BytesEntry<T>) => {
    entries.delete(entry);
    const slot = slots.get(entry.slot);
    if (slot) {
      slot.splice(slot.indexOf(entry), 1);
      if (slot.length === 0) slots.delete(entry.slot);
    }
    released(budget, entry.size);
  };
  return (input) => {
    const slot = slotOf(input);
    const candidates = slots.get(slot);
    if (candidates !== undefined) {
      for (const entry of candidates) if (entry.bytes.equals(input)) return entry.value;
    }
    const value = compute(input);
    if (input.length > maxLength) return value;
    if (seenBefore && !seenBefore(slot)) return value;
    const size = budget ? ENTRY_BYTES + input.length + sizeOf(input, value) : 0;
    if (budget && size > budget.maxBytes) {
      budget.refusals++;
      return value;
    }
    if (candidates !== undefined && candidates.length >= PER_SLOT) drop(candidates[0]);
    makeRoom(
      size,
      max,
      budget,
      () => entries.size,
      () => {
        drop(entries.values().next().value as BytesEntry<T>);
      },
    );
    // A copy: the input may be a view of a larger buffer (a socket read), which it would keep.
    const entry: BytesEntry<T> = { bytes: Buffer.from(input), slot, value, size };
    entries.add(entry);
    const now = slots.get(slot);
    if (now === undefined) slots.set(slot, [entry]);
    else now.push(entry);
    if (budget) budget.held += size;
    return value;
  };
}

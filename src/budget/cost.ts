import type { ThrottleStatus } from './bucket.js';

/** extensions.cost, Shopify's names (DESIGN §15). actualQueryCost is null when nothing ran. */
export interface CostExtension {
  requestedQueryCost: number;
  actualQueryCost: number | null;
  throttleStatus: ThrottleStatus;
}

/** The extension as JSON, written by hand: the hit path splices it into stored bytes. */
export function costJson(
  requested: number,
  actual: number | null,
  { maximumAvailable, currentlyAvailable, restoreRate }: ThrottleStatus,
): string {
  return `{"requestedQueryCost":${requested},"actualQueryCost":${actual},"throttleStatus":{"maximumAvailable":${maximumAvailable},"currentlyAvailable":${currentlyAvailable},"restoreRate":${restoreRate}}}`;
}

/**
 * What closes a stored response to add extensions.cost: the stored JSON's last byte (its `}`)
 * is replaced by this. Stored bodies are `{"data":…}` with no extensions (the cache saves none,
 * CACHE_DEBUG aside, which rewrites the JSON instead).
 */
export function costTail(cost: string): string {
  return `,"extensions":{"cost":${cost}}}`;
}

/** Adds extensions.cost to a serialized result that has no `extensions` of its own. */
export function spliceCost(json: string, cost: string): string {
  if (!json.endsWith('}') || json.includes('"extensions":')) {
    const parsed = JSON.parse(json) as { extensions?: Record<string, unknown> };
    parsed.extensions = { ...parsed.extensions, cost: JSON.parse(cost) };
    return JSON.stringify(parsed);
  }
  return json.slice(0, -1) + costTail(cost);
}

/**
 * The actual cost of a result, counted as the cost rule counts the document (each field 1, a
 * list's selection once per item) but on what came back: a list of 3 out of a declared 50 costs
 * 3 times its selection. Never above the requested cost.
 */
export function actualCost(data: unknown, requested: number): number {
  let cost = 0;
  const stack: unknown[] = [data];
  while (stack.length > 0 && cost < requested) {
    const value = stack.pop();
    if (Array.isArray(value)) {
      for (const item of value) stack.push(item);
    } else if (value !== null && typeof value === 'object') {
      for (const key in value) {
        cost += 1;
        stack.push((value as Record<string, unknown>)[key]);
      }
    }
  }
  return Math.min(cost, requested);
}

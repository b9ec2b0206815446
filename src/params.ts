import { badRequest, limitExceeded } from './errors/limit-errors.js';
import type { Limits } from './limits.js';

/**
 * GraphQL-over-HTTP parameters as the client sent them (JSON body or query string), and their
 * checks: shared by the hit path (src/http) and Yoga's path (src/yoga), which import it, never
 * each other.
 */
export interface RawParams {
  query?: unknown;
  operationName?: unknown;
  variables?: unknown;
  extensions?: unknown;
}

/** The deepest nesting of a JSON value, walked without recursion. */
export function jsonDepth(value: unknown, stopAt: number): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop() as [unknown, number];
    if (node === null || typeof node !== 'object') continue;
    deepest = Math.max(deepest, depth);
    if (deepest > stopAt) return deepest;
    for (const child of Array.isArray(node) ? node : Object.values(node)) {
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
  return deepest;
}

export const isPlainObject = (value: unknown) =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Checks the GraphQL-over-HTTP parameters before anything uses them (the cache key included):
 * wrong types answer 400 BAD_REQUEST, and JSON nested deeper than `inputDepth` answers 400
 * LIMIT_EXCEEDED instead of overflowing a recursive walk later.
 */
export function checkParams(params: Record<string, unknown>, limits: Limits): void {
  const { query, operationName, variables, extensions } = params;
  if (query != null && typeof query !== 'string') {
    throw badRequest('query: must be a string.');
  }
  if (operationName != null && typeof operationName !== 'string') {
    throw badRequest('operationName: must be a string or null.');
  }
  for (const [name, value] of [
    ['variables', variables],
    ['extensions', extensions],
  ] as const) {
    if (value == null) continue;
    if (!isPlainObject(value)) throw badRequest(`${name}: must be an object or null.`);
    const depth = jsonDepth(value, limits.inputDepth);
    if (depth > limits.inputDepth) {
      throw limitExceeded('inputDepth', limits.inputDepth, depth, 400);
    }
  }
}

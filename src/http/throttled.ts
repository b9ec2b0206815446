import type { ServerResponse } from 'node:http';
import type { Payer } from '../budget/bucket.js';
import type { Budgets } from '../budget/budgets.js';
import { costJson } from '../budget/cost.js';
import { cacheHeaders } from '../cache/outcome.js';
import { throttled } from '../errors/errors.js';

// The hit path's refusals when a key's bucket is empty (DESIGN §15): they change with how a
// budget answers, not with how a hit is served.

/** Answers 429 when the key's bucket (this process's view) has not 1 point left. */
export function throttledEmpty(
  res: ServerResponse,
  budgets: Budgets,
  payer: Payer,
  contentType: string,
  startedAt: number,
  outcome: 'miss' | 'bypass',
): boolean {
  const empty = budgets.emptyFor(payer);
  if (!empty) return false;
  const headers = cacheHeaders(outcome, (performance.now() - startedAt) / 1000, { scoped: true });
  headers['content-type'] = `${contentType}; charset=utf-8`;
  writeThrottled(res, headers, empty.retryAfter, costJson(1, null, empty.status));
  return true;
}

/** 429 THROTTLED with Retry-After and extensions.cost, without a Yoga round. */
export function writeThrottled(
  res: ServerResponse,
  headers: Record<string, string>,
  retryAfter: number,
  cost: string,
) {
  const error = throttled(retryAfter);
  const body = `{"errors":[${JSON.stringify({ message: error.message, extensions: { code: 'THROTTLED' } })}],"extensions":{"cost":${cost}}}`;
  const { etag: _etag, ...rest } = headers;
  res.writeHead(429, {
    ...rest,
    // A refusal is of this moment: no cache keeps it.
    'cache-control': 'no-store',
    'retry-after': String(retryAfter),
    'content-length': String(Buffer.byteLength(body)),
  });
  res.end(body);
}

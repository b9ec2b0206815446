import { createGraphQLError } from 'graphql-yoga';

export type ErrorCode =
  | 'BAD_USER_INPUT'
  | 'NOT_FOUND'
  | 'FORBIDDEN'
  | 'UNAUTHENTICATED'
  | 'CONFLICT'
  | 'CACHE_UNAVAILABLE'
  | 'THROTTLED'
  | 'TENANT_BUSY';

function codedError(code: ErrorCode, message: string, status: number, extra: object = {}) {
  return createGraphQLError(message, { extensions: { code, http: { status }, ...extra } });
}

/** Another tenant's row answers exactly like a missing one. */
export function notFound(typename: string, id: string) {
  return codedError('NOT_FOUND', `${typename} ${id} not found.`, 200);
}

export function forbidden(message = 'Operators only.') {
  return codedError('FORBIDDEN', message, 200);
}

export function unauthenticated(message: string) {
  return createGraphQLError(message, {
    extensions: {
      code: 'UNAUTHENTICATED',
      http: { status: 401, headers: { 'WWW-Authenticate': 'Bearer' } },
    },
  });
}

/** `field` is the input path, e.g. `input.durationMinutes`. */
export function badInput(field: string, message: string) {
  return codedError('BAD_USER_INPUT', `${field}: ${message}`, 200, { field });
}

export function conflict(message: string) {
  return codedError('CONFLICT', message, 200);
}

/** The store is down; what it held before the outage is dropped when it returns. */
export function cacheUnavailable() {
  return codedError(
    'CACHE_UNAVAILABLE',
    'The cache store is unavailable. Requests are served from the database, and everything cached before the outage is dropped when it returns.',
    200,
  );
}

/**
 * Over budget (DESIGN §15): 429 with Retry-After, in the same words as extensions.cost. The
 * client that waits that long gets its answer.
 */
export function throttled(retryAfter: number) {
  return createGraphQLError(`Throttled: over the cost budget. Retry after ${retryAfter} s.`, {
    extensions: {
      code: 'THROTTLED',
      http: { status: 429, headers: { 'Retry-After': String(retryAfter) } },
    },
  });
}

/** The tenant's bulkhead is full and so is its queue: nothing of it was run. */
export function tenantBusy(retryAfter: number) {
  return createGraphQLError(
    `Too many of this tenant's requests are running or waiting (TENANT_MAX_CONCURRENT_MISSES, TENANT_MISS_QUEUE). Retry after ${retryAfter} s.`,
    {
      extensions: {
        code: 'TENANT_BUSY',
        http: { status: 429, headers: { 'Retry-After': String(retryAfter) } },
      },
    },
  );
}

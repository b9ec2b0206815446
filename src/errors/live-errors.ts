import { GraphQLError } from 'graphql';

/** Which live-query bound refused a stream, and the variable that sets it. */
export const LIVE_LIMIT_ENV = {
  streams: 'LIVE_MAX_STREAMS',
  streamsPerTenant: 'LIVE_MAX_STREAMS_PER_TENANT',
  groups: 'LIVE_MAX_GROUPS',
  resultBytes: 'LIVE_MAX_RESULT_BYTES',
  documentBytes: 'LIVE_MAX_DOCUMENT_BYTES',
} as const;

export type LiveLimit = keyof typeof LIVE_LIMIT_ENV;

const LIVE_LIMIT_TEXT: Record<LiveLimit, string> = {
  streams: 'Open live queries on this instance',
  streamsPerTenant: "Open live queries of this tenant's keys on this instance",
  groups: 'Distinct live queries on this instance',
  resultBytes: 'Live query result size (bytes)',
  documentBytes: 'Live query request size (bytes)',
};

/** 429 for a tenant's own cap, 413 for a size, 503 for the instance's (another may take it). */
const LIVE_LIMIT_STATUS: Record<LiveLimit, number> = {
  streams: 503,
  streamsPerTenant: 429,
  groups: 503,
  resultBytes: 413,
  documentBytes: 413,
};

/**
 * A live query refused (or ended) by a bound: code LIVE_LIMIT_EXCEEDED, which bound, its value.
 */
export function liveLimitExceeded(limit: LiveLimit, max: number): GraphQLError {
  const status = LIVE_LIMIT_STATUS[limit];
  return new GraphQLError(
    `${LIVE_LIMIT_TEXT[limit]} limit of ${max} reached (${LIVE_LIMIT_ENV[limit]}).`,
    { extensions: { code: 'LIVE_LIMIT_EXCEEDED', limit, max, http: { status } } },
  );
}

/** The key a live query was opened with was revoked or expired: its stream ends. */
export function liveKeyRevoked(): GraphQLError {
  return new GraphQLError('The API key of this live query was revoked or expired.', {
    extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } },
  });
}

/** The instance is stopping: no new live query (its streams end; reconnect elsewhere). */
export function liveShuttingDown(): GraphQLError {
  return new GraphQLError('This instance is shutting down; reconnect to another one.', {
    extensions: { code: 'SHUTTING_DOWN', http: { status: 503 } },
  });
}

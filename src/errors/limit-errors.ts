import { GraphQLError } from 'graphql';
import { createGraphQLError } from 'graphql-yoga';
import { LIMIT_ENV, type Limits } from '../limits.js';

const LIMIT_NAMES: Record<keyof Limits, string> = {
  depth: 'Query depth',
  aliases: 'Alias',
  tokens: 'Token',
  directives: 'Directive',
  cost: 'Query cost',
  bodyBytes: 'Request body size (bytes)',
  inputDepth: 'Input nesting depth',
  renderBytes: 'Rendered template size (bytes)',
  executionMs: 'Execution time (ms)',
  validationErrors: 'Validation error',
};

export const LIMIT_EXCEEDED = 'LIMIT_EXCEEDED';

/**
 * The refusal: code LIMIT_EXCEEDED, the limit's name, its value and what the request had.
 * `status` is set only where GraphQL over HTTP fixes it (a body too large, a malformed
 * request); validation refusals get Yoga's status for the client's Accept header.
 */
export function limitExceeded(
  limit: keyof Limits,
  max: number,
  found: number | null,
  status?: number,
): GraphQLError {
  const foundText = found === null ? '' : `, found ${found}`;
  return createGraphQLError(
    `${LIMIT_NAMES[limit]} limit of ${max} exceeded${foundText} (${LIMIT_ENV[limit]}).`,
    {
      extensions: {
        code: LIMIT_EXCEEDED,
        limit,
        max,
        ...(found === null ? {} : { found }),
        ...(status ? { http: { status } } : {}),
      },
    },
  );
}

export const isLimitError = (error: unknown): error is GraphQLError =>
  error instanceof GraphQLError && error.extensions?.code === LIMIT_EXCEEDED;

export function badRequest(message: string, status = 400): GraphQLError {
  return createGraphQLError(message, { extensions: { code: 'BAD_REQUEST', http: { status } } });
}

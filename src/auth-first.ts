import type { Plugin } from 'graphql-yoga';
import type { RequestAuth } from './request-auth.js';

/**
 * Authentication comes first (DESIGN §2): a request to /graphql without a valid key gets its
 * 401 before its body is read as GraphQL, parsed, validated, hashed, memoised or stored (APQ
 * included). Strangers keep nothing in memory. The node:http front and Yoga's own path
 * (`yoga.fetch`, in process) answer alike; these are the answers they share.
 */

export const GRAPHQL_PATH = '/graphql';

/** The refusal's message: the same words Yoga's context used to answer. */
export const unauthenticatedMessage = (authorization: string | null | undefined) =>
  authorization ? 'Unknown API key.' : 'Send an API key: Authorization: Bearer <key>.';

const json = (message: string, code: string) =>
  JSON.stringify({ errors: [{ message, extensions: { code } }] });

/** 401, with no cache header: a stranger has no entry, no timing and no ETag to learn from. */
export function unauthenticatedAnswer(authorization: string | null | undefined) {
  return {
    status: 401,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'www-authenticate': 'Bearer',
    },
    body: json(unauthenticatedMessage(authorization), 'UNAUTHENTICATED'),
  };
}

/** 415: GraphQL over HTTP POSTs are JSON; forms, multipart and text are refused. */
export function unsupportedMediaTypeAnswer() {
  return {
    status: 415,
    headers: { 'content-type': 'application/json; charset=utf-8' },
    body: json(
      'POST /graphql takes a JSON body: send Content-Type: application/json.',
      'UNSUPPORTED_MEDIA_TYPE',
    ),
  };
}

/** What Yoga parses as a JSON body: application/json and application/graphql+json. */
export const isJsonType = (type: string | null | undefined) =>
  !!type && /^application\/(?:graphql\+)?json\s*(?:;|$)/i.test(type);

const toResponse = (answer: { status: number; headers: Record<string, string>; body: string }) =>
  new Response(answer.body, { status: answer.status, headers: answer.headers });

/**
 * Whether Yoga serves GraphQL at this URL: it takes any URL that ends with the endpoint, with or
 * without a slash (`//graphql`, `/x/graphql`, `/?next=/graphql`), not only `/graphql`.
 */
export const isGraphQLUrl = (request: Request, url: URL) =>
  request.url.endsWith(GRAPHQL_PATH) ||
  request.url.endsWith(`${GRAPHQL_PATH}/`) ||
  url.pathname === GRAPHQL_PATH ||
  url.pathname === `${GRAPHQL_PATH}/`;

/**
 * The same rule on Yoga's path: its onRequest runs before the request is parsed (and after
 * Yoga's CORS preflight, health check and GraphiQL page, and the operations routes, which need
 * no key). It refuses strangers on every URL that reaches it, since Yoga serves GraphQL on more
 * than `/graphql` (see isGraphQLUrl); an unknown URL answers 401 to them instead of 404.
 * In-process requests that act as a tenant (warming, refreshes) carry their viewer and pass.
 *
 * Authentication comes before the 415: a stranger learns nothing about what is accepted, and
 * neither check needs the body.
 */
export function useAuthFirst(auth: RequestAuth): Plugin {
  return {
    async onRequest({ request, url, endResponse }) {
      if (request.method === 'OPTIONS') return;
      if (!(await auth.viewerOf(request))) {
        endResponse(toResponse(unauthenticatedAnswer(request.headers.get('authorization'))));
        return;
      }
      if (
        request.method === 'POST' &&
        isGraphQLUrl(request, url) &&
        !isJsonType(request.headers.get('content-type'))
      ) {
        endResponse(toResponse(unsupportedMediaTypeAnswer()));
      }
    },
  };
}

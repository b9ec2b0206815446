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

/**
 * Whether Yoga serves GraphQL at this URL: it takes any URL that ends with the endpoint, with or
 * without a slash (`//graphql`, `/x/graphql`, `/?next=/graphql`), not only `/graphql`.
 */
export const isGraphQLUrl = (request: Request, url: URL) =>
  request.url.endsWith(GRAPHQL_PATH) ||
  request.url.endsWith(`${GRAPHQL_PATH}/`) ||
  url.pathname === GRAPHQL_PATH ||
  url.pathname === `${GRAPHQL_PATH}/`;

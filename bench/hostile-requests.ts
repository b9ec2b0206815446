/**
 * What a hostile client sent Hotpath in issue 6, one entry per finding, as raw HTTP requests.
 * test/hostile-process.test.ts sends them to a real `src/main.ts` process and checks the
 * answers; bench/hostile.ts sends them concurrently and measures time and memory.
 */

export interface HostileRequest {
  category: string;
  name: string;
  method: 'GET' | 'POST';
  /** Added to the URL (GET). */
  search?: string;
  body?: string;
  /** Send the API key (true for all but the unauthenticated ones). */
  authenticated: boolean;
}

/** The demo provider the README's examples use; it has several services. */
export const DEMO_USER = '00000000-0000-4000-8001-010000000001';

/** user → services → user → …, `levels` fields below `user`. */
export function chainQuery(levels: number): string {
  let selection = 'id';
  for (let i = levels - 1; i >= 0; i--) {
    selection = i % 2 === 0 ? `services { ${selection} }` : `user { ${selection} }`;
  }
  return `query Chain($u: ID!) { user(id: $u) { ${selection} } }`;
}

const json = (value: unknown) => JSON.stringify(value);

export function hostileRequests(userId = DEMO_USER): HostileRequest[] {
  const post = (category: string, name: string, body: string): HostileRequest => ({
    category,
    name,
    method: 'POST',
    body,
    authenticated: true,
  });
  const deep = `${'['.repeat(5_000)}1${']'.repeat(5_000)}`;
  const render = `query($u: ID!, $v: JSON!) {
    renderTemplate(userId: $u, type: WELCOME, variables: $v) { text }
  }`;
  return [
    post(
      'depth',
      'user→services→… 28 levels',
      json({ query: chainQuery(28), variables: { u: userId } }),
    ),
    post(
      'depth',
      'user→services→… 40 levels',
      json({ query: chainQuery(40), variables: { u: userId } }),
    ),
    post(
      'cost',
      'user→services→… 7 levels',
      json({ query: chainQuery(7), variables: { u: userId } }),
    ),
    post(
      'aliases',
      '10,000 aliases of megaStats',
      json({
        query: `{ ${Array.from({ length: 10_000 }, (_, i) => `m${i}: megaStats { today }`).join(' ')} }`,
      }),
    ),
    post(
      'aliases',
      '5 MB of aliased __typename',
      json({ query: `{ ${'a: __typename '.repeat(350_000)} }` }),
    ),
    post(
      'aliases',
      '900 KB of aliased __typename',
      json({ query: `{ ${'a: __typename '.repeat(60_000)} }` }),
    ),
    post(
      'tokens',
      '10,000 repeated tokens',
      json({ query: `{ ${'__typename '.repeat(10_000)} }` }),
    ),
    post(
      'tokens',
      '5,000 nested list brackets in an argument',
      json({ query: `{ user(id: ${deep}) { id } }` }),
    ),
    post(
      'directives',
      '500 directives',
      json({ query: `{ __typename ${'@include(if: true) '.repeat(500)}}` }),
    ),
    post(
      'input',
      '5,000 nested lists in variables',
      `{"query": "{ __typename }", "variables": {"v": ${deep}}}`,
    ),
    post(
      'input',
      '5,000 nested lists in extensions',
      `{"query": "{ __typename }", "extensions": {"e": ${deep}}}`,
    ),
    post('params', 'query: 123', json({ query: 123 })),
    post('params', 'query: ["…"]', json({ query: ['{ __typename }'] })),
    post('params', 'query: {a: 1}', json({ query: { a: 1 } })),
    post('params', 'operationName: 123', json({ query: '{ __typename }', operationName: 123 })),
    post('params', '{}', json({})),
    post('params', 'malformed JSON', '{"query": '),
    post('params', 'a batch', json([{ query: '{ __typename }' }, { query: '{ __typename }' }])),
    {
      category: 'params',
      name: 'a mutation over GET',
      method: 'GET',
      search: `?query=${encodeURIComponent('mutation { __typename }')}`,
      authenticated: true,
    },
    {
      category: 'auth',
      name: 'no API key',
      method: 'POST',
      body: json({ query: '{ __typename }' }),
      authenticated: false,
    },
    post(
      'template',
      '800 {{a}} with a 100 KB value',
      json({ query: render, variables: { u: userId, v: { a: 'x'.repeat(100_000) } } }),
    ),
    post(
      'indexing',
      'template(id: "builtin:__proto__")',
      json({ query: '{ template(id: "builtin:__proto__") { id } }' }),
    ),
    post(
      'indexing',
      'template(id: "builtin:constructor")',
      json({ query: '{ template(id: "builtin:constructor") { id } }' }),
    ),
    post(
      'indexing',
      'template(id: "builtin:toString")',
      json({ query: '{ template(id: "builtin:toString") { id } }' }),
    ),
    post('codes', 'a subscription', json({ query: 'subscription { __typename }' })),
    post(
      'codes',
      'null for a non-null variable',
      json({ query: 'query($u: ID!) { user(id: $u) { id } }', variables: { u: null } }),
    ),
    post('codes', 'a missing variable', json({ query: 'query($u: ID!) { user(id: $u) { id } }' })),
  ];
}

/** The template the `template` category renders: 800 placeholders, stored before the run. */
export const HUGE_TEMPLATE = {
  query: `mutation($input: UpsertTemplateInput!) { upsertTemplate(input: $input) { id } }`,
  variables: (userId = DEMO_USER) => ({
    input: { userId, type: 'WELCOME', name: 'Huge', body: '{{a}}'.repeat(800) },
  }),
};

export interface HostileAnswer {
  status: number;
  ms: number;
  bytes: number;
  codes: (string | undefined)[];
  stack: boolean;
}

/** Sends one request and reads what a client would check. */
export async function sendHostile(
  baseUrl: string,
  key: string,
  request: HostileRequest,
): Promise<HostileAnswer> {
  const started = performance.now();
  const response = await fetch(`${baseUrl}/graphql${request.search ?? ''}`, {
    method: request.method,
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json, application/json',
      ...(request.authenticated ? { authorization: `Bearer ${key}` } : {}),
    },
    body: request.body,
  });
  const text = await response.text();
  const ms = performance.now() - started;
  let codes: (string | undefined)[] = [];
  try {
    const parsed = JSON.parse(text) as { errors?: { extensions?: { code?: string } }[] };
    codes = (parsed.errors ?? []).map((e) => e.extensions?.code);
  } catch {
    codes = [undefined];
  }
  return {
    status: response.status,
    ms,
    bytes: text.length,
    codes,
    stack: /"stack"|originalError|\n\s+at /.test(text),
  };
}

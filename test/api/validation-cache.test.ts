import { GraphQLError, NoSchemaIntrospectionCustomRule, type ValidationRule } from 'graphql';
import { createSchema, createYoga, type Plugin } from 'graphql-yoga';
import { describe, expect, it } from 'vitest';
import { perRequest, useValidationCache } from '../../src/yoga/use-validation-cache.js';

/**
 * src/yoga/use-validation-cache.ts: a document is validated in full once; its next requests
 * run only the rules marked per request (the cost rule, which reads the variables).
 */
function setup() {
  const runs = { static: 0, perRequest: 0 };
  const staticRule: ValidationRule = () => {
    runs.static++;
    return {};
  };
  const plugin: Plugin = {
    onValidate({ addValidationRule, context }) {
      addValidationRule(staticRule);
      const { params, request } = context as {
        params: { variables?: { n?: number } };
        request: Request;
      };
      // A rule some requests only get: they validate in full.
      if (request.headers.get('x-strict')) addValidationRule(NoSchemaIntrospectionCustomRule);
      const n = params.variables?.n ?? 0;
      addValidationRule(
        perRequest((context) => {
          runs.perRequest++;
          if (n > 5) context.reportError(new GraphQLError(`n ${n} is over 5`));
          return {};
        }),
      );
    },
  };
  const yoga = createYoga({
    schema: createSchema({
      typeDefs: 'type Query { echo(n: Int): Int }',
      resolvers: { Query: { echo: (_: unknown, { n }: { n?: number }) => n ?? 0 } },
    }),
    parserAndValidationCache: { validationCache: false },
    plugins: [plugin, useValidationCache()],
  });
  const post = async (
    query: string,
    variables: Record<string, unknown> = {},
    headers: Record<string, string> = {},
  ) => {
    const response = await yoga.fetch('http://yoga/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ query, variables }),
    });
    return (await response.json()) as { data?: { echo: number }; errors?: { message: string }[] };
  };
  return { runs, post };
}

const ECHO = 'query Echo($n: Int) { echo(n: $n) }';

describe('the validation cache', () => {
  it('validates a document in full once, and the per-request rules every time', async () => {
    const { runs, post } = setup();
    expect((await post(ECHO, { n: 1 })).data?.echo).toBe(1);
    expect((await post(ECHO, { n: 2 })).data?.echo).toBe(2);
    expect((await post(ECHO, { n: 3 })).data?.echo).toBe(3);
    expect(runs).toEqual({ static: 1, perRequest: 3 });
  });

  it('refuses by the per-request rules after the document was found valid', async () => {
    const { post } = setup();
    expect((await post(ECHO, { n: 1 })).errors).toBeUndefined();
    expect((await post(ECHO, { n: 9 })).errors?.map((e) => e.message)).toEqual(['n 9 is over 5']);
    expect((await post(ECHO, { n: 2 })).errors).toBeUndefined();
  });

  it('validates an invalid document in full every time, and never remembers it', async () => {
    const { runs, post } = setup();
    for (let i = 0; i < 2; i++) {
      const { errors } = await post('{ nope }');
      expect(errors?.[0]?.message).toMatch(/Cannot query field "nope"/);
    }
    expect(runs.static).toBe(2);
  });

  it('validates in full a request whose rules differ from those the document passed', async () => {
    const { runs, post } = setup();
    const introspect = '{ __schema { queryType { name } } }';
    expect((await post(introspect)).errors).toBeUndefined();
    const strict = await post(introspect, {}, { 'x-strict': '1' });
    expect(strict.errors?.[0]?.message).toMatch(/introspection/i);
    expect(runs.static).toBe(2);
  });
});

import {
  GraphQLInt,
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLSchema,
  GraphQLString,
} from 'graphql';
import { createYoga, type Plugin } from 'graphql-yoga';
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../../src/limits.js';
import { useRequestLimits } from '../../src/yoga/use-request-limits.js';
import { useValidationCache } from '../../src/yoga/use-validation-cache.js';

/**
 * src/yoga/use-request-limits.ts: where no field's cost reads its arguments, the cost rule's
 * walk runs once per document (issue 19: a validation pass on every miss); each request is still
 * charged, over-limit documents are refused every time, and a schema whose costs read arguments
 * keeps the rule on every request.
 */
function schemaWith(costOfItems?: (args: { first?: number }) => object) {
  const item = new GraphQLObjectType({ name: 'Item', fields: { name: { type: GraphQLString } } });
  return new GraphQLSchema({
    query: new GraphQLObjectType({
      name: 'Query',
      fields: {
        items: {
          type: new GraphQLNonNull(new GraphQLList(item)),
          args: { first: { type: GraphQLInt }, label: { type: GraphQLString } },
          extensions: { complexity: costOfItems ?? { field: 1, multiplier: 20 } },
          resolve: (_, { first }: { first?: number }) =>
            Array.from({ length: first ?? 1 }, (_, i) => ({ name: `item ${i}` })),
        },
      },
    }),
  });
}

function setup(schema: GraphQLSchema, cost = DEFAULT_LIMITS.cost) {
  const charged: number[] = [];
  let validations = 0;
  // Before the validation cache: it counts the validation passes that cache lets through.
  const counter: Plugin = {
    onValidate({ validateFn, setValidationFn }) {
      setValidationFn(((...args: Parameters<typeof validateFn>) => {
        validations++;
        return validateFn(...args);
      }) as typeof validateFn);
    },
  };
  const yoga = createYoga({
    schema,
    parserAndValidationCache: { validationCache: false },
    plugins: [
      counter,
      ...useRequestLimits({ ...DEFAULT_LIMITS, cost }, (_request, points) => charged.push(points)),
      useValidationCache(),
    ],
  });
  const post = async (query: string, variables: Record<string, unknown>) => {
    const response = await yoga.fetch('http://yoga/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query, variables }),
    });
    return (await response.json()) as {
      data?: { items: { name: string }[] };
      errors?: { message: string; extensions?: { code?: string; limit?: string } }[];
    };
  };
  return { post, charged, validations: () => validations };
}

const ITEMS =
  'query Items($first: Int, $label: String) { items(first: $first, label: $label) { name } }';

describe('the cost of a document whose cost reads no argument', () => {
  it('is found once and charged on every request', async () => {
    const { post, charged, validations } = setup(schemaWith());
    for (const first of [1, 2, 3]) {
      const { data, errors } = await post(ITEMS, { first, label: `request ${first}` });
      expect(errors).toBeUndefined();
      expect(data?.items).toHaveLength(first);
    }
    // items: 1 + 20 × name's 1.
    expect(charged).toEqual([21, 21, 21]);
    // The first request validated in full; the others had nothing left to run.
    expect(validations()).toBe(1);
  });

  it('is not charged when the variables do not coerce, as the rule does not charge them', async () => {
    const { post, charged } = setup(schemaWith());
    expect((await post(ITEMS, { first: 1 })).errors).toBeUndefined();
    const { errors } = await post(ITEMS, { first: 'many' });
    expect(errors?.[0]?.message).toMatch(/Variable "\$first"/);
    expect(charged).toEqual([21]);
  });

  it('refuses a document over the limit on every request', async () => {
    const { post, charged, validations } = setup(schemaWith(), 10);
    for (let i = 0; i < 2; i++) {
      const { errors, data } = await post(ITEMS, { first: 1 });
      expect(data).toBeUndefined();
      expect(errors?.[0]?.extensions).toMatchObject({ code: 'LIMIT_EXCEEDED', limit: 'cost' });
    }
    expect(charged).toEqual([21, 21]);
    expect(validations()).toBe(2);
  });
});

describe('the cost of a document where a field cost reads its arguments', () => {
  it('is found again on every request, from that request’s variables', async () => {
    const { post, charged, validations } = setup(
      schemaWith(({ first }) => ({ field: 1, multiplier: first ?? 1 })),
    );
    for (const first of [1, 5, 50]) expect((await post(ITEMS, { first })).errors).toBeUndefined();
    expect(charged).toEqual([2, 6, 51]);
    expect(validations()).toBe(3);
  });
});

/**
 * Issue 19, the cache's share of a miss: a document whose result says by itself what the cache
 * needs executes as sent and is read in place (src/cache/document-plan.ts), and the tags,
 * types and data it gives are exactly those of @envelop/response-cache itself, which still
 * runs every other document: its document rewrite, its own walk and the entities it hands its
 * cache's set(). Those other documents are read by Hotpath's walk (result-entities.ts) in the
 * plugin's place: the same tags and data as the plugin's.
 */
import { useResponseCache as useEnvelopResponseCache } from '@envelop/response-cache';
import {
  buildSchema,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  execute,
  type GraphQLScalarType,
  parse,
  validate,
} from 'graphql';
import { envelop, type Plugin, useSchema } from 'graphql-yoga';
import { describe, expect, it } from 'vitest';
import { createDocumentPlans } from '../../src/cache/document-plan.js';
import { createResultWalker } from '../../src/cache/result-entities.js';
import { schema as hotpathSchema } from '../../src/schema/index.js';
import { WARM_DOCUMENTS } from '../../src/warming/warming.js';
import { tagOf } from '../../src/yoga/use-response-cache.js';

const schema = buildSchema(`
  scalar JSON
  interface Node { id: ID! }
  type Query {
    user(id: ID!): User
    nothing: User
    node(id: ID!): Node
    stats: Stats
    matrix: [[Service]]
    cacheStats: Stats
  }
  type User implements Node {
    id: ID!
    name: String
    services: [Service!]!
    manager: User
    labels: [String]
    meta: JSON
  }
  type Service { id: ID! name: String! price: Int user: User }
  type Stats { count: Int empty: [Service!]! }
`);
// JSON's values go out as they are, objects with nulls included.
Object.assign(schema.getType('JSON') as GraphQLScalarType, {
  serialize: (value: unknown) => value,
});

interface UserRow {
  __typename: 'User';
  id: string;
  name: string | null;
  services: ServiceRow[];
  manager: UserRow | null;
  labels: (string | null)[] | null;
  meta: unknown;
}
interface ServiceRow {
  id: string;
  name: string;
  price: number | null;
  user: UserRow | null;
}

const u2: UserRow = {
  __typename: 'User',
  id: 'u2',
  name: 'Bia',
  services: [],
  manager: null,
  labels: [],
  meta: null,
};
const s1: ServiceRow = { id: 's1', name: 'Cut', price: 30, user: u2 };
const s2: ServiceRow = { id: 's2', name: 'Color', price: null, user: null };
const u1: UserRow = {
  __typename: 'User',
  id: 'u1',
  name: 'Ana',
  services: [s1, s2],
  manager: u2,
  labels: ['a', null],
  meta: { nested: { value: null }, list: [] },
};
const u3: UserRow = {
  __typename: 'User',
  id: 'u3',
  name: null,
  services: [],
  manager: null,
  labels: null,
  meta: null,
};
const users = new Map([u1, u2, u3].map((u) => [u.id, u]));
const rootValue = {
  user: ({ id }: { id: string }) => users.get(id) ?? null,
  nothing: () => null,
  node: ({ id }: { id: string }) => users.get(id) ?? null,
  stats: () => ({ count: null, empty: [] }),
  cacheStats: () => ({ count: 1, empty: [] }),
  matrix: () => [[s1, null], [], null, [s2]],
};

/** Documents the result reads by itself: executed as sent. */
const PLAIN: Record<string, string> = {
  'entities and a list': '{ user(id: "u1") { id name services { id name } } }',
  aliases: `{
    a: user(id: "u1") { myId: id name }
    b: user(id: "u2") { id services { id price } }
  }`,
  'named fragments': `query Q { user(id: "u1") { ...U } }
    fragment U on User { id services { ...S } }
    fragment S on Service { id user { id name } }`,
  'a fragment that leaves the id to its field': `{ user(id: "u1") { id ...U } }
    fragment U on User { name services { id } }`,
  'an inline fragment': '{ user(id: "u1") { ... on User { id } name } }',
  'nulls and empty lists': `{
    nothing { id }
    user(id: "u3") { id name services { id } manager { id } labels }
    stats { count empty { id } }
  }`,
  'nested lists with nulls': '{ matrix { id name } }',
  // The walk looks a null up by its response key, not its field: kept as it was.
  'an alias named like another field': '{ user(id: "u3") { id services: manager { id } } }',
  'a JSON scalar': '{ user(id: "u1") { id meta labels } }',
  'two operations': `query A { user(id: "u1") { id name } }
    query B { user(id: "u2") { id manager { id } } }`,
};

/** Documents that need the metadata fields, as before. */
const WITH_METADATA: Record<string, string> = {
  'an object without its id': '{ user(id: "u1") { name services { name } } }',
  'an interface': '{ node(id: "u1") { id ... on User { name } } }',
  'an id under @include': '{ user(id: "u1") { id @include(if: true) name } }',
  'another field aliased as id': '{ user(id: "u1") { id: name services { id } } }',
  // Each selection set on a type with an id must select it: the second one here doesn't.
  'one field selected twice': '{ user(id: "u1") { id services { id } services { name price } } }',
  'a fragment without the id': `{ user(id: "u1") { ...U } } fragment U on User { name }`,
};

const run = (document: DocumentNode, operationName?: string) =>
  execute({ schema, document, rootValue, operationName }) as ExecutionResult;

/**
 * A document through @envelop/response-cache as Hotpath configures it (no mutation walk, no
 * extensions): what the plugin stored (its entities as tags), what it answered, and the
 * result of the document as it rewrote it (its metadata fields still in).
 */
async function viaEnvelop(document: DocumentNode, operationName?: string) {
  // The data as executed: the plugin's walk then replaces the result's data with a copy.
  let rewritten: Record<string, unknown> | null | undefined;
  const stored: string[][] = [];
  // The engine, as @envelop/core's useEngine sets it: it sees the document the plugin rewrote.
  const engine: Plugin = {
    onExecute: ({ setExecuteFn }) =>
      setExecuteFn((args: ExecutionArgs) => {
        const result = execute(args) as ExecutionResult;
        rewritten = result.data;
        return result;
      }),
  };
  const plugins: Plugin[] = [
    engine,
    useSchema(schema),
    useEnvelopResponseCache({
      session: () => null,
      ttl: Number.POSITIVE_INFINITY,
      invalidateViaMutation: false,
      includeExtensionMetadata: false,
      cache: {
        get: () => undefined,
        set: (_key, _result, entities) => void stored.push(Array.from(entities, tagOf)),
        invalidate: () => undefined,
      },
    }) as Plugin,
  ];
  const getEnveloped = envelop({ plugins });
  const { execute: enveloped, contextFactory } = getEnveloped({});
  const args = { schema, document, rootValue, operationName };
  const answer = (await enveloped({ ...args, contextValue: await contextFactory() })) as
    | ExecutionResult
    | undefined;
  expect(answer?.errors).toBeUndefined();
  expect(stored).toHaveLength(1);
  if (!rewritten) throw new Error('the plugin did not execute the document');
  expect(JSON.stringify(rewritten)).toContain('__responseCacheTypeName');
  return { tags: stored[0], answer: answer?.data, rewritten };
}

/** The types Hotpath reads the TTL from: its walk over the plugin's rewritten result. */
const typesIn = (rewritten: Record<string, unknown>) => [
  ...createResultWalker(schema)(rewritten).typenames,
];

describe('document plans', () => {
  const plans = createDocumentPlans(schema);

  describe.each(Object.entries(PLAIN))('%s', (_name, text) => {
    const document = parse(text);
    const operations = document.definitions.flatMap((d) =>
      d.kind === 'OperationDefinition' ? [d.name?.value] : [],
    );

    it.each(operations)('is read in place with the tags the plugin stores (%s)', async (name) => {
      expect(validate(schema, document)).toEqual([]);
      const plan = plans(document);
      expect(plan.plain).toBe(true);
      const result = run(document, name);
      expect(result.errors).toBeUndefined();
      const data = result.data as Record<string, unknown>;
      const read = plan.read(data, name);
      const envelope = await viaEnvelop(document, name);
      expect(read?.data).toBe(data); // read in place: no copy
      // The same tags (the plugin lists an object before its fields' objects, the plan after).
      expect(read && [...read.tags].sort()).toEqual([...envelope.tags].sort());
      expect(read && [...read.typenames].sort()).toEqual(typesIn(envelope.rewritten).sort());
      expect(JSON.stringify(data)).toBe(JSON.stringify(envelope.answer));
      expect(read?.visited).toBeGreaterThan(0);
    });
  });

  it.each(Object.entries(WITH_METADATA))(
    'leaves %s to the plugin, and reads its result as the plugin does',
    async (_name, text) => {
      const document = parse(text);
      expect(validate(schema, document)).toEqual([]);
      const plan = plans(document);
      expect(plan.plain).toBe(false);
      const envelope = await viaEnvelop(document);
      // What Hotpath's walk reads from the plugin's rewritten result, in the plugin's place.
      const read = plan.read(envelope.rewritten);
      expect(read && [...read.tags].sort()).toEqual([...envelope.tags].sort());
      expect(read?.tags).toContain('User:u1');
      expect(JSON.stringify(read?.data)).toBe(JSON.stringify(envelope.answer));
      expect(JSON.stringify(read?.data)).toBe(JSON.stringify(run(document).data));
    },
  );

  it('leaves documents never stored to the plugin', () => {
    for (const text of ['{ cacheStats { count } }', '{ __schema { queryType { name } } }']) {
      const plan = plans(parse(text));
      expect(plan.neverCached).toBe(true);
      expect(plan.plain).toBe(false);
    }
    expect(plans(parse('{ stats { count } }')).neverCached).toBe(false);
  });

  it('plans a document once', () => {
    const document = parse(PLAIN['entities and a list']);
    expect(plans(document)).toBe(plans(document));
  });

  it('reads nothing for an operation the document lacks', () => {
    const document = parse(PLAIN['two operations']);
    expect(plans(document).read({}, 'C')).toBeNull();
  });

  it("reads Hotpath's agenda and services queries in place", () => {
    const hotpath = createDocumentPlans(hotpathSchema);
    for (const text of Object.values(WARM_DOCUMENTS)) {
      const document = parse(text);
      expect(validate(hotpathSchema, document)).toEqual([]);
      expect(hotpath(document).plain).toBe(true);
    }
  });
});

import {
  type GraphQLOutputType,
  type GraphQLSchema,
  isInterfaceType,
  isListType,
  isNonNullType,
  isObjectType,
  isUnionType,
} from 'graphql';

/** The fields @envelop/response-cache adds to every selection set of a cached query. */
const TYPENAME_FIELD = '__responseCacheTypeName';
const ID_FIELD = '__responseCacheId';

/**
 * Data this walker has already cleaned. @envelop/response-cache returns an object whose
 * prototype is neither null nor Object.prototype untouched, so its own walk stops at the top.
 */
const WALKED: object = Object.freeze(Object.create(null));

export interface ResultEntities {
  /** The data without the metadata fields, ready to serialize. */
  data: Record<string, unknown>;
  /** `Type:id` of every entity, and the bare type of every empty or null field (DESIGN §4). */
  tags: Set<string>;
  /** Every type name the result holds, for the TTL policy. */
  typenames: Set<string>;
  /** Objects, lists and values visited: proportional to the size of the result. */
  visited: number;
}

function namedTypes(type: GraphQLOutputType): string[] {
  if (isListType(type) || isNonNullType(type)) return namedTypes(type.ofType);
  if (isUnionType(type)) return type.getTypes().map((t) => t.name);
  return [type.name];
}

/**
 * Reads a query result once: strips the metadata fields @envelop/response-cache selected and
 * collects the entities it would have collected.
 *
 * Why Hotpath does this itself: `removeMetadataFieldsFromResult` in @envelop/response-cache
 * 9.3.1 walks every list twice (once in its `Array.isArray` branch, again in its `object`
 * branch), so its cost doubles with each nested list: `user { services { user { services …` 28
 * levels deep ran the process out of memory. This walk visits each value once; its result's
 * prototype makes the plugin's walk return at the top. test/cache/linear.test.ts holds both.
 */
export function createResultWalker(schema: GraphQLSchema) {
  // `Type.field` -> the types it returns, for fields that come back null or empty: their type
  // is still part of the answer (the plugin does the same with its schema map).
  const fieldTypes = new Map<string, string[]>();
  const idFields = new Set<string>();
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) && !isInterfaceType(type)) continue;
    for (const [name, field] of Object.entries(type.getFields())) {
      fieldTypes.set(`${type.name}.${name}`, namedTypes(field.type));
      if (name === 'id') idFields.add(type.name);
    }
  }

  return function walk(data: Record<string, unknown>): ResultEntities {
    const tags = new Set<string>();
    const typenames = new Set<string>();
    let visited = 0;

    const visit = (value: unknown): unknown => {
      visited++;
      if (Array.isArray(value)) return value.map(visit);
      if (value === null || typeof value !== 'object') return value;
      // A scalar's serialized value (a Date from DateTime, a JSON object) is not a selection.
      const proto = Object.getPrototypeOf(value);
      if (proto !== null && proto !== Object.prototype) return value;
      const source = value as Record<string, unknown>;
      // No prototype: an alias such as `__proto__` stays an ordinary key.
      const out: Record<string, unknown> = Object.create(null);
      for (const key of Object.keys(source)) {
        if (key === TYPENAME_FIELD || key === ID_FIELD) continue;
        out[key] = visit(source[key]);
      }
      const typename = source[TYPENAME_FIELD] ?? source.__typename;
      if (typeof typename === 'string') {
        typenames.add(typename);
        const marked = source[ID_FIELD];
        const id =
          typeof marked === 'string' || typeof marked === 'number'
            ? marked
            : idFields.has(typename)
              ? source.id
              : undefined;
        if (id != null) tags.add(`${typename}:${id}`);
        for (const key of Object.keys(out)) {
          const field = out[key];
          if (field != null && !(Array.isArray(field) && field.length === 0)) continue;
          for (const inferred of fieldTypes.get(`${typename}.${key}`) ?? []) {
            typenames.add(inferred);
            tags.add(inferred);
          }
        }
      }
      return out;
    };

    const cleaned = visit(data) as Record<string, unknown>;
    return { data: Object.setPrototypeOf(cleaned, WALKED), tags, typenames, visited };
  };
}

export type ResultWalker = ReturnType<typeof createResultWalker>;

import {
  type DocumentNode,
  type FieldNode,
  type GraphQLObjectType,
  type GraphQLOutputType,
  type GraphQLSchema,
  getNamedType,
  getOperationAST,
  isInterfaceType,
  isListType,
  isNonNullType,
  isObjectType,
  isUnionType,
  Kind,
  type SelectionSetNode,
} from 'graphql';

/**
 * The fields @envelop/response-cache adds to every selection set of a query it runs (the
 * documents document-plan.ts doesn't read in place).
 */
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

const indexes = new WeakMap<
  GraphQLSchema,
  { fieldTypes: Map<string, string[]>; idFields: Set<string> }
>();

/**
 * `Type.field` -> the types it returns, for fields that come back null or empty: their type is
 * still part of the answer (as @envelop/response-cache did with its schema map); and the types
 * with an `id` field.
 */
function schemaIndex(schema: GraphQLSchema) {
  let index = indexes.get(schema);
  if (index) return index;
  const fieldTypes = new Map<string, string[]>();
  const idFields = new Set<string>();
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) && !isInterfaceType(type)) continue;
    for (const [name, field] of Object.entries(type.getFields())) {
      fieldTypes.set(`${type.name}.${name}`, namedTypes(field.type));
      if (name === 'id') idFields.add(type.name);
    }
  }
  index = { fieldTypes, idFields };
  indexes.set(schema, index);
  return index;
}

/**
 * Reads a result whose document @envelop/response-cache rewrote, once: strips the metadata
 * fields it selected and collects the entities it would have collected.
 *
 * Why Hotpath does this itself: `removeMetadataFieldsFromResult` in @envelop/response-cache
 * 9.3.1 walks every list twice (once in its `Array.isArray` branch, again in its `object`
 * branch), so its cost doubles with each nested list: `user { services { user { services …` 28
 * levels deep ran the process out of memory. This walk visits each value once; its result's
 * prototype makes the plugin's walk return at the top. test/cache/linear.test.ts holds both.
 */
export function createResultWalker(schema: GraphQLSchema) {
  const { fieldTypes, idFields } = schemaIndex(schema);

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

/** One response key of an object in the result. */
interface FieldPlan {
  key: string;
  /** The field is the type's `id` (under any alias): its value names the entity. */
  isId: boolean;
  /** What a null or empty value stands for, by the response key (as the walk above reads it). */
  inferred: readonly string[];
  /** An object-typed field: the selections merged under the key, planned on first use. */
  object: { type: GraphQLObjectType; sets: SelectionSetNode[]; plan?: ObjectPlan } | null;
}

/** What the document selects on objects of one type at one place of the result. */
export interface ObjectPlan {
  typename: string;
  fields: FieldPlan[];
}

const NOTHING: readonly string[] = [];

/**
 * The result's plan from the document alone, for documents whose every selection set is on an
 * object type and selects its `id` (document-plan.ts): the type of every object in the result
 * is known beforehand, so no field is added to find it and nothing is stripped afterwards.
 * Plans are made as the result reaches them (a fragment used many times under lists that come
 * back empty costs nothing), each once per document.
 */
export function createPlanReader(schema: GraphQLSchema) {
  const { fieldTypes } = schemaIndex(schema);

  /** The fields under `sets` on `type`, merged by response key as graphql-js collects them. */
  function planOf(
    type: GraphQLObjectType,
    sets: readonly SelectionSetNode[],
    fragments: ReadonlyMap<string, SelectionSetNode>,
  ): ObjectPlan {
    const byKey = new Map<string, FieldNode[]>();
    const seen = new Set<string>();
    const collect = (set: SelectionSetNode) => {
      for (const selection of set.selections) {
        if (selection.kind === Kind.FIELD) {
          const key = selection.alias?.value ?? selection.name.value;
          const nodes = byKey.get(key);
          if (nodes) nodes.push(selection);
          else byKey.set(key, [selection]);
        } else if (selection.kind === Kind.INLINE_FRAGMENT) {
          const on = selection.typeCondition?.name.value ?? type.name;
          if (on === type.name) collect(selection.selectionSet);
        } else {
          const name = selection.name.value;
          const fragment = fragments.get(name);
          if (!fragment || seen.has(name)) continue;
          seen.add(name);
          collect(fragment);
        }
      }
    };
    for (const set of sets) collect(set);
    const defs = type.getFields();
    const fields: FieldPlan[] = [];
    for (const [key, nodes] of byKey) {
      const name = nodes[0].name.value;
      const def = Object.hasOwn(defs, name) ? defs[name] : undefined;
      const named = def ? getNamedType(def.type) : undefined;
      fields.push({
        key,
        isId: def !== undefined && name === 'id',
        inferred: fieldTypes.get(`${type.name}.${key}`) ?? NOTHING,
        object: isObjectType(named)
          ? {
              type: named,
              sets: nodes.flatMap((node) => (node.selectionSet ? [node.selectionSet] : [])),
            }
          : null,
      });
    }
    return { typename: type.name, fields };
  }

  return {
    /** The plan of a query operation's data; null when it is no query or has no plan. */
    rootPlan(document: DocumentNode, operationName?: string | null) {
      const operation = getOperationAST(document, operationName);
      const root = schema.getQueryType();
      if (operation?.operation !== 'query' || !root) return null;
      const fragments = new Map<string, SelectionSetNode>();
      for (const definition of document.definitions) {
        if (definition.kind === Kind.FRAGMENT_DEFINITION) {
          fragments.set(definition.name.value, definition.selectionSet);
        }
      }
      const plan = planOf(root, [operation.selectionSet], fragments);
      return { plan, fragments };
    },

    /**
     * Reads a result once, where its document selects objects, for the entities and types the
     * walk above finds in the same result with the metadata fields, in the same order; the
     * data is left as it is.
     */
    read(
      root: { plan: ObjectPlan; fragments: ReadonlyMap<string, SelectionSetNode> },
      data: Record<string, unknown>,
    ): ResultEntities {
      const read: PlanRead = {
        tags: new Set(),
        typenames: new Set(),
        visited: 0,
        fragments: root.fragments,
      };
      readValue(read, root.plan, data);
      return { data, tags: read.tags, typenames: read.typenames, visited: read.visited };
    },
  };

  // The walk's steps are made once per reader, not per read: a read runs on every miss.
  function readValue(read: PlanRead, plan: ObjectPlan, v: unknown): void {
    read.visited++;
    if (v === null || typeof v !== 'object') return;
    if (Array.isArray(v)) {
      for (const item of v) readValue(read, plan, item);
      return;
    }
    readObject(read, plan, v as Record<string, unknown>);
  }

  function readObject(read: PlanRead, plan: ObjectPlan, source: Record<string, unknown>): void {
    const { typename, fields } = plan;
    read.typenames.add(typename);
    let id: unknown;
    let empty = false;
    for (const field of fields) {
      const v = source[field.key];
      if (v === undefined) continue; // @skip or @include left it out
      if (v === null || (Array.isArray(v) && v.length === 0)) empty = true;
      if (field.object) {
        field.object.plan ??= planOf(field.object.type, field.object.sets, read.fragments);
        readValue(read, field.object.plan, v);
      } else read.visited += leafValues(v);
      if (field.isId && id == null) id = v;
    }
    if (id != null) read.tags.add(`${typename}:${id}`);
    if (!empty) return;
    for (const field of fields) {
      const v = source[field.key];
      if (v !== null && !(Array.isArray(v) && v.length === 0)) continue;
      for (const inferred of field.inferred) {
        read.typenames.add(inferred);
        read.tags.add(inferred);
      }
    }
  }
}

/** What one read of a result has found so far. */
interface PlanRead {
  tags: Set<string>;
  typenames: Set<string>;
  visited: number;
  fragments: ReadonlyMap<string, SelectionSetNode>;
}

/** Values a leaf field holds: 1, or for a list every item's (nested lists included) and 1. */
function leafValues(value: unknown): number {
  if (!Array.isArray(value)) return 1;
  let n = 1;
  for (const item of value) n += leafValues(item);
  return n;
}

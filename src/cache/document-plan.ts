import {
  type ASTVisitor,
  type DocumentNode,
  type GraphQLSchema,
  getNamedType,
  isAbstractType,
  isInterfaceType,
  isObjectType,
  Kind,
  type SelectionSetNode,
  TypeInfo,
  visit,
  visitWithTypeInfo,
} from 'graphql';
import { createPlanReader, createResultWalker, type ResultEntities } from './result-entities.js';

/** Fields whose presence in a document means its result is never stored (DESIGN §3, §9). */
export const NEVER_CACHED_FIELDS: ReadonlySet<string> = new Set([
  'Query.cacheStats',
  'Query.__schema',
  'Query.__type',
]);

/** What the cache does with one parsed document, worked out once. */
export interface DocumentPlan {
  /**
   * It selects a field of NEVER_CACHED_FIELDS: @envelop/response-cache runs it (its
   * ttlPerSchemaCoordinate gives these fields a TTL of 0, so it is never stored).
   */
  neverCached: boolean;
  /**
   * Read in place: every object of its result has a known type and selects its `id`, and it
   * may be stored. It executes as sent and Hotpath stores it. Otherwise @envelop/response-cache
   * runs it (adds its metadata fields, saves through Hotpath's adapter).
   */
  plain: boolean;
  /**
   * Reads a result of `operationName` once for its entities and types (result-entities.ts):
   * when `plain`, the document as sent and its result as it is (`data` is the result's own);
   * else the document as @envelop/response-cache rewrote it, its `data` a copy without the
   * plugin's metadata fields. null: no query of that name to read it by (nothing may be
   * stored).
   */
  read(data: Record<string, unknown>, operationName?: string | null): ResultEntities | null;
}

/**
 * Plans per document (DESIGN §1's miss path). For most documents the result alone says what
 * the cache needs: the schema gives every selection set's type, and each object selects its
 * `id`. Then nothing is added to the document and the result is read in place, only where the
 * document selects objects.
 *
 * The others (a selection set on an interface or a union, an object whose `id` is not
 * selected, or selected only under @skip/@include, and documents never stored) go through
 * @envelop/response-cache as every miss did before issue 19: it adds `__responseCacheTypeName`
 * and `__responseCacheId` to the document, and the schema-wide walk strips them and collects
 * the tags before the plugin's own walk (exponential in nested lists) would.
 *
 * Memoized per document object, as Yoga's parse cache (bounded in bytes) hands the same object
 * back for the same text: a plan lives as long as its document does.
 */
export function createDocumentPlans(schema: GraphQLSchema) {
  const walk = createResultWalker(schema);
  const reader = createPlanReader(schema);
  const plans = new WeakMap<DocumentNode, DocumentPlan>();

  function analyse(document: DocumentNode) {
    const typeInfo = new TypeInfo(schema);
    let neverCached = false;
    let plain = true;
    const fragments = new Map<string, SelectionSetNode>();
    const fieldSets: { set: SelectionSetNode; type: string }[] = [];
    for (const definition of document.definitions) {
      if (definition.kind === Kind.FRAGMENT_DEFINITION) {
        fragments.set(definition.name.value, definition.selectionSet);
      }
    }
    const visitor: ASTVisitor = {
      OperationDefinition(node) {
        // Mutations and subscriptions are never stored: their selections don't count.
        if (node.operation !== 'query') return false;
        const root = schema.getQueryType();
        if (root) fieldSets.push({ set: node.selectionSet, type: root.name });
      },
      Field(node) {
        const parent = typeInfo.getParentType();
        if (parent && NEVER_CACHED_FIELDS.has(`${parent.name}.${node.name.value}`)) {
          neverCached = true;
        }
        const type = typeInfo.getType();
        if (node.selectionSet && type) {
          fieldSets.push({ set: node.selectionSet, type: getNamedType(type).name });
        }
      },
      SelectionSet() {
        const parent = typeInfo.getParentType();
        if (!parent || isAbstractType(parent)) plain = false;
      },
    };
    visit(document, visitWithTypeInfo(typeInfo, visitor));
    if (plain) {
      for (const { set, type } of fieldSets) {
        const named = schema.getType(type);
        const hasIdField =
          (isObjectType(named) || isInterfaceType(named)) && 'id' in named.getFields();
        if (hasIdField && !selectsId(set, type, fragments, new Set())) {
          plain = false;
          break;
        }
      }
    }
    return { neverCached, plain };
  }

  function planOf(document: DocumentNode): DocumentPlan {
    const known = plans.get(document);
    if (known) return known;
    const { neverCached, plain } = analyse(document);
    let plan: DocumentPlan;
    if (plain && !neverCached) {
      const roots = new Map<string, NonNullable<ReturnType<typeof reader.rootPlan>>>();
      plan = {
        neverCached,
        plain,
        read(data, operationName) {
          // One root per operation the document holds (a name it lacks gets none, kept nowhere).
          const name = operationName ?? '';
          let root = roots.get(name) ?? null;
          if (root === null) {
            root = reader.rootPlan(document, operationName);
            if (root) roots.set(name, root);
          }
          return root ? reader.read(root, data) : null;
        },
      };
    } else {
      plan = { neverCached, plain: false, read: (data) => walk(data) };
    }
    plans.set(document, plan);
    return plan;
  }

  return planOf;
}

export type DocumentPlans = ReturnType<typeof createDocumentPlans>;

/**
 * Whether a selection set on `type` always selects the `id` field (under any alias): directly,
 * or through fragments on the same type, with no @skip or @include on the way.
 */
function selectsId(
  set: SelectionSetNode,
  type: string,
  fragments: ReadonlyMap<string, SelectionSetNode>,
  seen: Set<string>,
): boolean {
  for (const selection of set.selections) {
    if (selection.directives?.length) continue;
    if (selection.kind === Kind.FIELD) {
      if (selection.name.value === 'id') return true;
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      const on = selection.typeCondition?.name.value ?? type;
      if (on === type && selectsId(selection.selectionSet, type, fragments, seen)) return true;
    } else {
      const name = selection.name.value;
      const fragment = fragments.get(name);
      if (!fragment || seen.has(name)) continue;
      seen.add(name);
      if (selectsId(fragment, type, fragments, seen)) return true;
    }
  }
  return false;
}

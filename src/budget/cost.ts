import {
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  getOperationAST,
  Kind,
  type SelectionSetNode,
} from 'graphql';
import type { ThrottleStatus } from './bucket.js';

/** extensions.cost, Shopify's names (DESIGN §15). actualQueryCost is null when nothing ran. */
export interface CostExtension {
  requestedQueryCost: number;
  actualQueryCost: number | null;
  throttleStatus: ThrottleStatus;
}

/** The extension as JSON, written by hand: the hit path splices it into stored bytes. */
export function costJson(
  requested: number,
  actual: number | null,
  { maximumAvailable, currentlyAvailable, restoreRate }: ThrottleStatus,
): string {
  return `{"requestedQueryCost":${requested},"actualQueryCost":${actual},"throttleStatus":{"maximumAvailable":${maximumAvailable},"currentlyAvailable":${currentlyAvailable},"restoreRate":${restoreRate}}}`;
}

/**
 * What closes a stored response to add extensions.cost: the stored JSON's last byte (its `}`)
 * is replaced by this. Stored bodies are `{"data":…}` with no extensions (the cache saves none,
 * CACHE_DEBUG aside, which rewrites the JSON instead).
 */
export function costTail(cost: string): string {
  return `,"extensions":{"cost":${cost}}}`;
}

/** Adds extensions.cost to a serialized result that has no `extensions` of its own. */
export function spliceCost(json: string, cost: string): string {
  if (!json.endsWith('}') || json.includes('"extensions":')) {
    const parsed = JSON.parse(json) as { extensions?: Record<string, unknown> };
    parsed.extensions = { ...parsed.extensions, cost: JSON.parse(cost) };
    return JSON.stringify(parsed);
  }
  return json.slice(0, -1) + costTail(cost);
}

/**
 * The actual cost of a result, counted as the cost rule counts the document (each field 1, a
 * list's selection once per item) but on what came back: a list of 3 out of a declared 50 costs
 * 3 times its selection. A root field with a weight (`rootWeights`, by response key, from
 * rootWeightsOf) that came back costs its weight: its database work was done. Never above the
 * requested cost.
 */
export function actualCost(
  data: unknown,
  requested: number,
  rootWeights?: ReadonlyMap<string, number>,
): number {
  let cost = 0;
  if (rootWeights && rootWeights.size > 0 && data !== null && typeof data === 'object') {
    for (const [key, weight] of rootWeights) {
      // Counted 1 below like any field; the weight's rest here.
      if ((data as Record<string, unknown>)[key] != null) cost += weight - 1;
    }
  }
  const stack: unknown[] = [data];
  while (stack.length > 0 && cost < requested) {
    const value = stack.pop();
    if (Array.isArray(value)) {
      for (const item of value) stack.push(item);
    } else if (value !== null && typeof value === 'object') {
      for (const key in value) {
        cost += 1;
        stack.push((value as Record<string, unknown>)[key]);
      }
    }
  }
  return Math.min(cost, requested);
}

/**
 * The weights of an operation's root fields, by response key (an alias is no way around one):
 * what the schema declares as a field's own complexity (src/schema/builder.ts, FIELD_WEIGHTS)
 * when above 1. Weights of deeper fields are not kept: none is declared below the root.
 */
export function rootWeightsOf(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName?: string | null,
): Map<string, number> {
  const weights = new Map<string, number>();
  const operation = getOperationAST(document, operationName ?? undefined);
  const root = operation && schema.getRootType(operation.operation);
  if (!operation || !root) return weights;
  const fields = root.getFields();
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) {
      fragments.set(definition.name.value, definition);
    }
  }
  const seen = new Set<string>();
  const visit = (set: SelectionSetNode) => {
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        const declared = fields[selection.name.value]?.extensions?.complexity as
          | number
          | { field?: number }
          | undefined;
        const weight =
          typeof declared === 'number'
            ? declared
            : typeof declared?.field === 'number'
              ? declared.field
              : 1;
        if (weight <= 1) continue;
        const key = selection.alias?.value ?? selection.name.value;
        weights.set(key, Math.max(weight, weights.get(key) ?? 0));
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        visit(selection.selectionSet);
      } else if (!seen.has(selection.name.value)) {
        seen.add(selection.name.value);
        const fragment = fragments.get(selection.name.value);
        if (fragment) visit(fragment.selectionSet);
      }
    }
  };
  visit(operation.selectionSet);
  return weights;
}

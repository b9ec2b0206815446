import type { DocumentNode, GraphQLError, GraphQLSchema, ValidationRule } from 'graphql';
import type { Plugin } from 'graphql-yoga';

/** Rules that read the request itself (its variables): they run on every request. */
const perRequestRules = new WeakSet<ValidationRule>();

/** Marks a rule as reading the request (the cost rule reads the variables). */
export function perRequest(rule: ValidationRule): ValidationRule {
  perRequestRules.add(rule);
  return rule;
}

type ValidateFn = (
  schema: GraphQLSchema,
  document: DocumentNode,
  rules?: readonly ValidationRule[],
  ...rest: unknown[]
) => readonly GraphQLError[];

/**
 * Validates a document once, and then only what depends on the request. Yoga's own validation
 * cache is off (src/yoga/server.ts) because the cost rule reads each request's variables; but
 * every other rule (graphql-js's, depth, aliases, directives) sees only the schema and the
 * document, and was a fifth of an agenda miss. A document that passed them is remembered
 * (weakly: as long as the parse cache keeps its AST, whose bytes PARSE_CACHE_MAX_BYTES bounds),
 * and its next requests run the per-request rules alone. A document that failed is validated
 * again each time: its errors are never shared between requests.
 *
 * Registered after every plugin that adds rules or wraps validation, so it sees the final list.
 */
export function useValidationCache(): Plugin {
  /** What each document passed: the schema and the exact list of rules, in order. */
  const passed = new WeakMap<
    DocumentNode,
    { schema: GraphQLSchema; rules: readonly ValidationRule[] }
  >();
  const sameRules = (a: readonly ValidationRule[], b: readonly ValidationRule[]) =>
    a.length === b.length && a.every((rule, i) => rule === b[i]);
  return {
    onValidate({ validateFn, setValidationFn }) {
      const inner = validateFn as ValidateFn;
      setValidationFn(((schema, document, rules, ...rest) => {
        const all = rules ?? [];
        const own = all.filter((rule) => perRequestRules.has(rule));
        const once = all.filter((rule) => !perRequestRules.has(rule));
        const known = passed.get(document);
        // A rule added for some requests only (a plugin's condition) makes another list: such
        // a request validates in full.
        if (!known || known.schema !== schema || !sameRules(known.rules, once)) {
          const errors = inner(schema, document, all, ...rest);
          if (errors.length === 0) passed.set(document, { schema, rules: once });
          return errors;
        }
        return own.length === 0 ? [] : inner(schema, document, own, ...rest);
      }) as ValidateFn as never);
    },
  };
}

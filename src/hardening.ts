import { blockFieldSuggestionsPlugin } from '@escape.tech/graphql-armor-block-field-suggestions';
import { useDisableIntrospection } from '@graphql-yoga/plugin-disable-introspection';
import type { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { limitExceeded } from './limits.js';

/**
 * Production hardening of the GraphQL surface (issue 14). With `introspection` false, `__schema`
 * and `__type` are refused by validation (GRAPHQL_VALIDATION_FAILED) and no error suggests a
 * field, argument or type name ("Did you mean ...?"): clients take the schema from
 * schema/schema.graphql, strangers learn nothing from typos.
 */
export function useSchemaHiding(introspection: boolean): Plugin[] {
  if (introspection) return [];
  return [
    useDisableIntrospection() as Plugin,
    // armor replaces the suggestion with `mask`; an empty one leaves the plain message.
    blockFieldSuggestionsPlugin({ mask: '' }) as Plugin,
  ];
}

/**
 * Validation stops after `max` errors (graphql-js's `maxErrors`, 100 by default): a document
 * of ten thousand unknown directives costs the work of a few. When there were more, the last
 * of the `max` errors says so (LIMIT_EXCEEDED, LIMIT_VALIDATION_ERRORS), so a client never gets
 * more than `max`.
 */
export function useValidationErrorLimit(max: number): Plugin {
  return {
    onValidate({ validateFn, setValidationFn }) {
      if (!Number.isFinite(max)) return;
      setValidationFn((schema, document, rules) => {
        // graphql-js's own signature: options come fourth (Yoga passes none of its own).
        const errors = (validateFn as (...args: unknown[]) => readonly GraphQLError[])(
          schema,
          document,
          rules,
          { maxErrors: max },
        );
        // graphql-js adds a "Too many validation errors" error past maxErrors.
        if (errors.length <= max) return errors;
        return [...errors.slice(0, max - 1), limitExceeded('validationErrors', max, null)];
      });
    },
  };
}

import { blockFieldSuggestionsPlugin } from '@escape.tech/graphql-armor-block-field-suggestions';
import { useDisableIntrospection } from '@graphql-yoga/plugin-disable-introspection';
import type { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { limitExceeded } from '../errors/limit-errors.js';

/** graphql-js's suggestions, whatever they name: fields, arguments, types, enum values. */
const SUGGESTION = / ?Did you mean [^?]*\?/g;

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
    // armor replaces the suggestion with `mask`; an empty one leaves the plain message. It
    // knows only `Did you mean "name"?`: graphql-js's own switch (hideSuggestions, given to
    // validation by useValidationOptions and to execution here) also hides enum values.
    blockFieldSuggestionsPlugin({ mask: '' }) as Plugin,
    {
      onExecute({ args }) {
        // Variables are coerced in execute: `Did you mean the enum value "PRO"?` comes from
        // there. The executor passes the switch on, but an enum's own parseValue (graphql-js
        // 16) still suggests, so what is left is cut from the messages too.
        (args as { hideSuggestions?: boolean }).hideSuggestions = true;
        return {
          onExecuteDone({ result }) {
            if (!('errors' in result) || !result.errors) return;
            for (const error of result.errors) {
              (error as { message: string }).message = error.message.replace(SUGGESTION, '');
            }
          },
        };
      },
    },
  ];
}

/**
 * graphql-js's validation options. Validation stops after `maxErrors` errors (100 by default):
 * a document of ten thousand unknown directives costs the work of a few. When there were more,
 * the last of the `maxErrors` errors says so (LIMIT_EXCEEDED, LIMIT_VALIDATION_ERRORS), so a
 * client never gets more than that. `hideSuggestions` leaves "Did you mean ...?" out.
 */
export function useValidationOptions(options: {
  maxErrors: number;
  hideSuggestions: boolean;
}): Plugin {
  const max = options.maxErrors;
  const validationOptions = {
    ...(Number.isFinite(max) ? { maxErrors: max } : {}),
    hideSuggestions: options.hideSuggestions,
  };
  return {
    onValidate({ validateFn, setValidationFn }) {
      setValidationFn((schema, document, rules) => {
        // graphql-js's own signature: options come fourth (Yoga passes none of its own).
        const errors = (validateFn as (...args: unknown[]) => readonly GraphQLError[])(
          schema,
          document,
          rules,
          validationOptions,
        );
        // graphql-js adds a "Too many validation errors" error past maxErrors.
        if (errors.length <= max) return errors;
        return [...errors.slice(0, max - 1), limitExceeded('validationErrors', max, null)];
      });
    },
  };
}

import {
  type ASTVisitor,
  GraphQLError,
  specifiedRules,
  type ValidationContext,
  type ValidationRule,
  ValuesOfCorrectTypeRule,
  visitInParallel,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';

function badInputError(error: GraphQLError, field: string | undefined, message: string) {
  return new GraphQLError(message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    originalError: error.originalError,
    extensions: { ...error.extensions, code: 'BAD_USER_INPUT', ...(field ? { field } : {}) },
  });
}

/**
 * graphql-js rejects a wrong literal value (an unknown enum value, a malformed Date) as a
 * validation error that doesn't say where it was. This runs the same rule and reports its
 * errors as BAD_USER_INPUT, prefixed with the argument path (`input.plan: ...`).
 */
const ValuesOfCorrectTypeWithPathRule: ValidationRule = (context) => {
  const path: string[] = [];
  const reporting = Object.create(context, {
    reportError: {
      value: (error: GraphQLError) => {
        const field = path.join('.') || undefined;
        context.reportError(
          badInputError(error, field, field ? `${field}: ${error.message}` : error.message),
        );
      },
    },
  }) as ValidationContext;
  const tracker: ASTVisitor = {
    Argument: { enter: (node) => void path.push(node.name.value), leave: () => void path.pop() },
    ObjectField: { enter: (node) => void path.push(node.name.value), leave: () => void path.pop() },
  };
  return visitInParallel([tracker, ValuesOfCorrectTypeRule(reporting)]);
};

const rules = specifiedRules.map((rule) =>
  rule === ValuesOfCorrectTypeRule ? ValuesOfCorrectTypeWithPathRule : rule,
);

const VARIABLE_ERROR = /^Variable "\$([^"]+)" got invalid value .*?(?: at "([^"]+)")?;/;

/** Wrong input values, in literals or in variables, answer BAD_USER_INPUT naming the field. */
export function useInputErrorCodes(): Plugin {
  return {
    onValidate({ setValidationFn, validateFn }) {
      setValidationFn((schema, document, _rules, ...rest) =>
        validateFn(schema, document, rules, ...rest),
      );
    },
    onExecute() {
      return {
        onExecuteDone({ result, setResult }) {
          if (!('errors' in result) || !result.errors || 'data' in result) return;
          setResult({
            ...result,
            errors: result.errors.map((error) => {
              const match = VARIABLE_ERROR.exec(error.message);
              return match ? badInputError(error, match[2] ?? match[1], error.message) : error;
            }),
          });
        },
      };
    },
  };
}

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
import type { Logger } from 'pino';
import type { RequestAuth } from '../auth/request-auth.js';
import { isLimitError } from '../errors/limit-errors.js';

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

const VARIABLE_ERROR = /^Variable "\$([^"]+)" got invalid value .*?(?: at "([^"]+)")?;/;
/** graphql-js's other variable errors: not provided, or null for a non-null type. */
const VARIABLE_MISSING = /^Variable "\$([^"]+)" of (?:required|non-null) type /;

/** Wrong input values, in literals or in variables, answer BAD_USER_INPUT naming the field. */
export function useInputErrorCodes(): Plugin {
  return {
    onValidate({ setValidationFn, validateFn }) {
      // Swaps the one rule and keeps the others, the limits' rules included.
      setValidationFn((schema, document, rules, ...rest) =>
        validateFn(
          schema,
          document,
          (rules ?? specifiedRules).map((rule: ValidationRule) =>
            rule === ValuesOfCorrectTypeRule ? ValuesOfCorrectTypeWithPathRule : rule,
          ),
          ...rest,
        ),
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

type ResultLike = { data?: unknown; errors?: readonly GraphQLError[] };

function withCode(error: GraphQLError, code: string, extra: object = {}) {
  // Yoga copies a parse failure's error into extensions.originalError: detail for the log. Its
  // presence is also what makes Yoga answer such an error 400 to application/json clients
  // (GraphQL over HTTP); without it, `spec: false` keeps that status.
  const { originalError: detail, ...extensions } = error.extensions ?? {};
  const http = extensions.http as Record<string, unknown> | undefined;
  if (detail && http) extensions.http = { ...http, spec: false };
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    originalError: error.originalError,
    extensions: { ...extensions, code, ...extra },
  });
}

/**
 * The code of an error that reached the response without one: graphql-js's variable
 * coercion errors are the client's input, errors outside any field (an operation the schema
 * doesn't run, such as a subscription) are a bad request, and anything else is ours.
 */
function codeFor(error: GraphQLError, executed: boolean): [string, object?] {
  const variable = VARIABLE_MISSING.exec(error.message);
  if (variable) return ['BAD_USER_INPUT', { field: variable[1] }];
  // Without data the request was refused as a whole: application/graphql-response+json wants a
  // 4xx then (GraphQL over HTTP).
  if (!error.path) return ['BAD_REQUEST', executed ? {} : { http: { status: 400 } }];
  return ['INTERNAL_SERVER_ERROR'];
}

/**
 * The last word on every response's errors: each one leaves with `extensions.code`, and a
 * request refused by a limit is logged once, with its tenant.
 */
export function useErrorCodes(deps: { logger: Logger; auth: RequestAuth }): Plugin {
  return {
    async onResultProcess({ request, result, setResult }) {
      if (Symbol.asyncIterator in (result as object)) return;
      const results = (Array.isArray(result) ? result : [result]) as ResultLike[];
      if (!results.some((r) => r.errors?.length)) return;
      const coded = results.map((r) =>
        r.errors?.length
          ? {
              ...r,
              errors: r.errors.map((e) =>
                e.extensions?.code && !e.extensions.originalError
                  ? e
                  : e.extensions?.code
                    ? withCode(e, e.extensions.code as string)
                    : withCode(e, ...codeFor(e, r.data != null)),
              ),
            }
          : r,
      );
      setResult((Array.isArray(result) ? coded : coded[0]) as never);
      const refusal = coded.flatMap((r) => r.errors ?? []).find(isLimitError);
      if (refusal) {
        const viewer = await deps.auth.viewerOf(request).catch(() => null);
        const { limit, max, found } = refusal.extensions as Record<string, unknown>;
        deps.logger.warn(
          {
            tenantId: viewer?.kind === 'tenant' ? viewer.tenantId : null,
            operator: viewer?.kind === 'operator',
            limit,
            max,
            found,
          },
          `request refused: ${refusal.message}`,
        );
      }
    },
  };
}

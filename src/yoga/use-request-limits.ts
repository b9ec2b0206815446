import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import { maxTokensPlugin } from '@escape.tech/graphql-armor-max-tokens';
import { createComplexityRule } from '@pothos/plugin-complexity';
import {
  type DocumentNode,
  type GraphQLError,
  type GraphQLSchema,
  getVariableValues,
  isInterfaceType,
  isObjectType,
  Kind,
  type OperationDefinitionNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';

import { isLimitError, limitExceeded } from '../errors/limit-errors.js';
import type { Limits } from '../limits.js';
import { checkParams, isPlainObject } from '../params.js';
import { Deadline, setDeadline } from './deadline.js';
import { perRequest } from './use-validation-cache.js';

/** armor reports `... limit of N exceeded, found M.`; the number found is the last one. */
function foundIn(message: string): number | null {
  const numbers = message.match(/\d+/g);
  return numbers && numbers.length >= 2 ? Number(numbers[numbers.length - 1]) : null;
}

/** An armor rule that reports our coded error instead of throwing its own. */
function armorRule(
  limit: 'depth' | 'aliases' | 'directives',
  max: number,
  create: (options: object) => ValidationRule,
): ValidationRule {
  return (context) =>
    create({
      n: max,
      // armor lets `__typename` aliases through by default; 10,000 of them are no cheaper.
      allowList: [],
      exposeLimits: true,
      propagateOnRejection: false,
      onReject: [
        (_ctx: unknown, error: GraphQLError) =>
          context.reportError(limitExceeded(limit, max, foundIn(error.message))),
      ],
    })(context);
}

/**
 * The cost rule of @pothos/plugin-complexity, fed this request's variables. Only its cost
 * refusal is reported: variable errors stay execution's to report, as graphql-js words them.
 */
function costRule(
  max: number,
  variableValues: Record<string, unknown>,
  onCost?: (cost: number) => void,
): ValidationRule {
  return (context) => {
    const costOnly = Object.create(context, {
      reportError: {
        value: (error: GraphQLError) => isLimitError(error) && context.reportError(error),
      },
    }) as ValidationContext;
    return createComplexityRule({
      context: {},
      variableValues,
      operationName: null,
      validate: (result, report) => {
        onCost?.(result.complexity);
        if (result.complexity > max) report(limitExceeded('cost', max, result.complexity));
      },
    })(costOnly);
  };
}

/** Per schema: whether some field's cost is a function of its arguments (then of variables). */
const argumentCosts = new WeakMap<GraphQLSchema, boolean>();

function costReadsArguments(schema: GraphQLSchema): boolean {
  let reads = argumentCosts.get(schema);
  if (reads === undefined) {
    reads = Object.values(schema.getTypeMap()).some(
      (type) =>
        (isObjectType(type) || isInterfaceType(type)) &&
        Object.values(type.getFields()).some(
          (field) => typeof field.extensions?.complexity === 'function',
        ),
    );
    argumentCosts.set(schema, reads);
  }
  return reads;
}

/** The document's only operation, or null when it has several (or none). */
function soleOperation(document: DocumentNode): OperationDefinitionNode | null {
  let found: OperationDefinitionNode | null = null;
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
    if (found) return null;
    found = definition;
  }
  return found;
}

/** Reads a body that declares no length, refusing it once it passes `max` bytes. */
async function readBounded(request: Request, max: number): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = (request.body as ReadableStream<Uint8Array>).getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => {});
      throw limitExceeded('bodyBytes', max, null, 413);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

/**
 * The request limits as Yoga plugins (DESIGN §12), all before execution: body size when the
 * request is parsed, parameter types and nesting before the cache key is computed, tokens while
 * parsing, depth, aliases, directives and cost while validating, and a deadline on execution.
 */
export function useRequestLimits(
  limits: Limits,
  /** Told each validated request's cost (the budgets charge it, src/yoga/use-cost-budget.ts). */
  onCost?: (request: Request, cost: number) => void,
): Plugin[] {
  const validationRules = [
    armorRule('depth', limits.depth, maxDepthRule as never),
    armorRule('aliases', limits.aliases, maxAliasesRule as never),
    armorRule('directives', limits.directives, maxDirectivesRule as never),
  ];
  /** Costs found for documents whose cost can't depend on their variables (see onValidate). */
  const documentCosts = new WeakMap<DocumentNode, { schema: GraphQLSchema; cost: number }>();
  const requestLimits: Plugin = {
    onRequestParse({ request, requestParser, setRequestParser }) {
      if (request.method !== 'POST') return;
      const declared = request.headers.get('content-length');
      if (declared !== null) {
        // node:http frames the body by Content-Length: it can't be longer than declared.
        if (Number(declared) > limits.bodyBytes) {
          throw limitExceeded('bodyBytes', limits.bodyBytes, Number(declared), 413);
        }
        return;
      }
      if (!request.body) return;
      const parse = requestParser;
      if (!parse) return;
      setRequestParser(async (original) => {
        const body = await readBounded(original, limits.bodyBytes);
        return parse(
          new Request(original.url, {
            method: 'POST',
            headers: original.headers,
            body: body as Uint8Array<ArrayBuffer>,
          }),
        );
      });
    },
    onParams({ params }) {
      checkParams(params as unknown as Record<string, unknown>, limits);
    },
    onValidate({ addValidationRule, context, params: { schema, documentAST } }) {
      for (const rule of validationRules) addValidationRule(rule);
      const { params, request } = context as {
        params?: { variables?: unknown };
        request?: Request;
      };
      const variables = isPlainObject(params?.variables)
        ? (params?.variables as Record<string, unknown>)
        : {};
      const charge = onCost && request ? (cost: number) => onCost(request, cost) : undefined;
      // Where no field's cost reads its arguments, a document of one operation costs the same
      // whatever its variables: the cost rule's walk (a validation pass of its own, a tenth of
      // an agenda miss) runs once per document, and its next requests are charged what it
      // found, when their variables coerce, as the rule charges. A cost over the limit is not
      // remembered: such a request runs the rule and gets its error every time.
      const operation = costReadsArguments(schema) ? null : soleOperation(documentAST);
      const known = operation ? documentCosts.get(documentAST) : undefined;
      if (operation && known && known.schema === schema) {
        // Coerced only to be charged (budgets on): execution coerces them again anyway.
        const definitions = operation.variableDefinitions ?? [];
        if (charge && !getVariableValues(schema, definitions, variables).errors) charge(known.cost);
        return;
      }
      // Otherwise the cost rule runs on every request (use-validation-cache.ts).
      addValidationRule(
        perRequest(
          costRule(limits.cost, variables, (cost) => {
            if (operation && cost <= limits.cost) documentCosts.set(documentAST, { schema, cost });
            charge?.(cost);
          }),
        ),
      );
    },
    onExecute({ args, executeFn, setExecuteFn }) {
      if (!Number.isFinite(limits.executionMs)) return;
      const deadline = new Deadline(limits.executionMs, () =>
        limitExceeded('executionMs', limits.executionMs, null),
      );
      const given = (args as { signal?: AbortSignal }).signal;
      if (given) {
        // A signal of the caller's own (Yoga's cancellation, not turned on here) joins the
        // deadline's, made now.
        (args as { signal?: AbortSignal }).signal = AbortSignal.any([given, deadline.signal]);
      } else {
        // A compiled run takes the deadline itself (use-jit); the interpreter, which this
        // plugin's executeFn is (the first to wrap it), gets its signal, made only then.
        setDeadline(args, deadline);
        setExecuteFn((run) => {
          (run as { signal?: AbortSignal }).signal = deadline.signal;
          return executeFn(run);
        });
      }
      return {
        onExecuteDone() {
          deadline.clear();
        },
      };
    },
  };
  const tokenLimit = maxTokensPlugin({
    n: limits.tokens,
    onReject: [
      // Parsing stops at the first token over the limit: the document's full count is unknown.
      () => {
        throw limitExceeded('tokens', limits.tokens, null);
      },
    ],
  } as never) as Plugin;
  // The token limit bounds nesting too (each level is a token), but how deep graphql-js's
  // recursive parser may go before the stack runs out depends on the JIT; if it does, the
  // document is refused like any other too deep for us.
  const parseGuard: Plugin = {
    onParse({ parseFn, setParseFn }) {
      setParseFn((source, options) => {
        try {
          return parseFn(source, options);
        } catch (error) {
          if (error instanceof RangeError) throw limitExceeded('tokens', limits.tokens, null, 400);
          throw error;
        }
      });
    },
  };
  return [requestLimits, tokenLimit, parseGuard];
}

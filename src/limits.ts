import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import { maxTokensPlugin } from '@escape.tech/graphql-armor-max-tokens';
import { createComplexityRule } from '@pothos/plugin-complexity';
import { GraphQLError, type ValidationContext, type ValidationRule } from 'graphql';
import { createGraphQLError, type Plugin } from 'graphql-yoga';

/** What one request may ask for (DESIGN §12). Every value has its environment variable. */
export interface Limits {
  /** Deepest selection (graphql-armor max-depth). LIMIT_DEPTH */
  depth: number;
  /** Aliases in a document (graphql-armor max-aliases). LIMIT_ALIASES */
  aliases: number;
  /** Lexical tokens in a document, counted while parsing (graphql-armor max-tokens). LIMIT_TOKENS */
  tokens: number;
  /** Directives in a document (graphql-armor max-directives). LIMIT_DIRECTIVES */
  directives: number;
  /** Cost: each field 1, list fields multiply their selection by their declared bound. LIMIT_COST */
  cost: number;
  /** Request body in bytes; 413 above it. LIMIT_BODY_BYTES */
  bodyBytes: number;
  /** Nesting of `variables` and `extensions` JSON. LIMIT_INPUT_DEPTH */
  inputDepth: number;
  /** A rendered template's size in bytes (UTF-8). LIMIT_RENDER_BYTES */
  renderBytes: number;
  /** Execution time of one operation; resolvers still running are abandoned. LIMIT_EXECUTION_MS */
  executionMs: number;
  /** Validation errors reported before validation stops. LIMIT_VALIDATION_ERRORS */
  validationErrors: number;
}

export const DEFAULT_LIMITS: Limits = {
  depth: 10,
  aliases: 30,
  tokens: 1_000,
  directives: 20,
  cost: 5_000,
  bodyBytes: 1_048_576,
  inputDepth: 20,
  renderBytes: 16_384,
  executionMs: 5_000,
  validationErrors: 5,
};

/** The environment variable of each limit, for messages and the README. */
export const LIMIT_ENV: Record<keyof Limits, string> = {
  depth: 'LIMIT_DEPTH',
  aliases: 'LIMIT_ALIASES',
  tokens: 'LIMIT_TOKENS',
  directives: 'LIMIT_DIRECTIVES',
  cost: 'LIMIT_COST',
  bodyBytes: 'LIMIT_BODY_BYTES',
  inputDepth: 'LIMIT_INPUT_DEPTH',
  renderBytes: 'LIMIT_RENDER_BYTES',
  executionMs: 'LIMIT_EXECUTION_MS',
  validationErrors: 'LIMIT_VALIDATION_ERRORS',
};

const LIMIT_NAMES: Record<keyof Limits, string> = {
  depth: 'Query depth',
  aliases: 'Alias',
  tokens: 'Token',
  directives: 'Directive',
  cost: 'Query cost',
  bodyBytes: 'Request body size (bytes)',
  inputDepth: 'Input nesting depth',
  renderBytes: 'Rendered template size (bytes)',
  executionMs: 'Execution time (ms)',
  validationErrors: 'Validation error',
};

export const LIMIT_EXCEEDED = 'LIMIT_EXCEEDED';

/**
 * The refusal: code LIMIT_EXCEEDED, the limit's name, its value and what the request had.
 * `status` is set only where GraphQL over HTTP fixes it (a body too large, a malformed
 * request); validation refusals get Yoga's status for the client's Accept header.
 */
export function limitExceeded(
  limit: keyof Limits,
  max: number,
  found: number | null,
  status?: number,
): GraphQLError {
  const foundText = found === null ? '' : `, found ${found}`;
  return createGraphQLError(
    `${LIMIT_NAMES[limit]} limit of ${max} exceeded${foundText} (${LIMIT_ENV[limit]}).`,
    {
      extensions: {
        code: LIMIT_EXCEEDED,
        limit,
        max,
        ...(found === null ? {} : { found }),
        ...(status ? { http: { status } } : {}),
      },
    },
  );
}

export const isLimitError = (error: unknown): error is GraphQLError =>
  error instanceof GraphQLError && error.extensions?.code === LIMIT_EXCEEDED;

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
function costRule(max: number, variableValues: Record<string, unknown>): ValidationRule {
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
        if (result.complexity > max) report(limitExceeded('cost', max, result.complexity));
      },
    })(costOnly);
  };
}

/** The deepest nesting of a JSON value, walked without recursion. */
export function jsonDepth(value: unknown, stopAt: number): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop() as [unknown, number];
    if (node === null || typeof node !== 'object') continue;
    deepest = Math.max(deepest, depth);
    if (deepest > stopAt) return deepest;
    for (const child of Array.isArray(node) ? node : Object.values(node)) {
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
  return deepest;
}

export function badRequest(message: string, status = 400): GraphQLError {
  return createGraphQLError(message, { extensions: { code: 'BAD_REQUEST', http: { status } } });
}

const isPlainObject = (value: unknown) =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Checks the GraphQL-over-HTTP parameters before anything uses them (the cache key included):
 * wrong types answer 400 BAD_REQUEST, and JSON nested deeper than `inputDepth` answers 400
 * LIMIT_EXCEEDED instead of overflowing a recursive walk later.
 */
export function checkParams(params: Record<string, unknown>, limits: Limits): void {
  const { query, operationName, variables, extensions } = params;
  if (query != null && typeof query !== 'string') {
    throw badRequest('query: must be a string.');
  }
  if (operationName != null && typeof operationName !== 'string') {
    throw badRequest('operationName: must be a string or null.');
  }
  for (const [name, value] of [
    ['variables', variables],
    ['extensions', extensions],
  ] as const) {
    if (value == null) continue;
    if (!isPlainObject(value)) throw badRequest(`${name}: must be an object or null.`);
    const depth = jsonDepth(value, limits.inputDepth);
    if (depth > limits.inputDepth) {
      throw limitExceeded('inputDepth', limits.inputDepth, depth, 400);
    }
  }
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
export function useRequestLimits(limits: Limits): Plugin[] {
  const validationRules = [
    armorRule('depth', limits.depth, maxDepthRule as never),
    armorRule('aliases', limits.aliases, maxAliasesRule as never),
    armorRule('directives', limits.directives, maxDirectivesRule as never),
  ];
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
    onValidate({ addValidationRule, context }) {
      for (const rule of validationRules) addValidationRule(rule);
      const variables = (context as { params?: { variables?: unknown } }).params?.variables;
      addValidationRule(
        costRule(
          limits.cost,
          isPlainObject(variables) ? (variables as Record<string, unknown>) : {},
        ),
      );
    },
    onExecute({ args }) {
      if (!Number.isFinite(limits.executionMs)) return;
      const controller = new AbortController();
      const timer = setTimeout(
        () => controller.abort(limitExceeded('executionMs', limits.executionMs, null)),
        limits.executionMs,
      );
      const mutable = args as { signal?: AbortSignal };
      mutable.signal = mutable.signal
        ? AbortSignal.any([mutable.signal, controller.signal])
        : controller.signal;
      return {
        onExecuteDone() {
          clearTimeout(timer);
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

/** Part of every cache key: an entry stored under other limits is never served under these. */
export function limitsFingerprint(limits: Limits): string {
  return [limits.depth, limits.aliases, limits.tokens, limits.directives, limits.cost].join('.');
}

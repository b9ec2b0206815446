import type {
  DocumentNode,
  ExecutionArgs,
  ExecutionResult,
  GraphQLSchema,
  SelectionSetNode,
} from 'graphql';
import { Kind } from 'graphql';
import { type CompiledQuery, compileQuery, isCompiledQuery } from 'graphql-jit';
import type { Plugin } from 'graphql-yoga';
import { LRUCache } from 'lru-cache';
import type { Logger } from 'pino';
import type { ByteBudget } from '../cache/stats/bounds.js';
import { deadlineOf } from './deadline.js';
import { documentBytes } from './parse-cache.js';

/**
 * Heap a compiled query holds: a fixed part, and a part per selection of its document once its
 * fragments are spread (what graphql-jit writes code for, which the document's tokens don't
 * say: 30 aliases spreading one fragment are 666 tokens and 450 selections). Measured by
 * bench/memory-sizes.ts (graphql-jit 0.8, this schema): 4.9 KB for 2 selections, 9 to 15 KB
 * for the agenda's 17, 120 KB for 275 and 140 KB for 450. Rounded up, with room.
 */
export const JIT_FIXED_BYTES = 4_096;
export const JIT_BYTES_PER_FIELD = 1_024;

/**
 * The selections of a document's operation with its fragments spread (fields, and the spreads
 * and inline fragments on the way), counted up to `max`: the walk stops there, so a document
 * whose spreads multiply (a fragment spreading another twice, and so on) costs at most `max`
 * steps, and past it is refused anyway. Validated documents only: no fragment cycles.
 */
export function spreadFields(document: DocumentNode, max: number): number {
  const fragments = new Map<string, SelectionSetNode>();
  let operation: SelectionSetNode | null = null;
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION)
      fragments.set(definition.name.value, definition.selectionSet);
    else if (definition.kind === Kind.OPERATION_DEFINITION) operation ??= definition.selectionSet;
  }
  let count = 0;
  const visit = (set: SelectionSetNode) => {
    for (const selection of set.selections) {
      if (count > max) return;
      count++;
      if (selection.kind === Kind.FIELD) {
        if (selection.selectionSet) visit(selection.selectionSet);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) visit(selection.selectionSet);
      else {
        const fragment = fragments.get(selection.name.value);
        if (fragment) visit(fragment);
      }
    }
  };
  if (operation) visit(operation);
  return count;
}

export interface JitOptions {
  /** JIT_AFTER_RUNS: a document is compiled at its run of this number (0: never). */
  afterRuns: number;
  /** JIT_MAX_BYTES: what the compiled queries and their documents may hold together. */
  maxBytes: number;
  /** hotpath_memory_*{structure="jit"}. */
  budget: ByteBudget;
  logger?: Logger;
}

/**
 * A compiled query (null: graphql-jit refused the document, which the interpreter then runs
 * and is not compiled again), the schema whose resolvers it calls, and the bytes it is counted
 * for.
 */
type Compiled = { query: CompiledQuery | null; schema: GraphQLSchema; bytes: number };

/**
 * Executes a document that has already run `afterRuns` times with graphql-jit, a function
 * compiled once per document instead of graphql-js's walk of the document on every run
 * (issue 19: execution was the largest share of a miss). What a client sees is what the
 * interpreter gives:
 * - only a document the parse cache keeps can be compiled: its runs are counted per parsed
 *   document (a text parsed again is a new document, counted from 0), so a client sending a
 *   new document each time, or one too long to be kept (PARSE_CACHE_MAX_TEXT_BYTES), never
 *   costs a compilation, and a compilation (the agenda's: 2 ms, about 3 of its misses; 25
 *   aliased agendas: 16 ms, about one run of them) follows at least `afterRuns` runs;
 * - the compiled queries, with the documents they hold, fit in `maxBytes` (least recently used
 *   first out), and only queries with one operation are compiled;
 * - an answer with errors (variables that don't coerce, a resolver's error, a null where the
 *   schema says non-null) is the interpreter's: it runs the query again (settled());
 * - the execution deadline (LIMIT_EXECUTION_MS, the request's signal) ends it as it ends the
 *   interpreter: rejected with the signal's reason.
 */
export function useJit(options: JitOptions): Plugin {
  const { afterRuns, maxBytes, budget } = options;
  const runs = new WeakMap<DocumentNode, number>();
  const compiled =
    afterRuns > 0 && maxBytes > 0
      ? new LRUCache<DocumentNode, Compiled>({
          maxSize: maxBytes,
          sizeCalculation: (value) => value.bytes,
          dispose: (_value, _key, reason) => {
            if (reason === 'evict') budget.evictions++;
          },
        })
      : null;
  budget.reader = () => compiled?.calculatedSize ?? 0;

  function compiledFor(args: ExecutionArgs): CompiledQuery | null {
    const document = args.document;
    let found = compiled?.get(document);
    if (found === undefined) {
      if (!compiled) return null;
      const count = (runs.get(document) ?? 0) + 1;
      runs.set(document, count);
      if (count < afterRuns || onlyOperation(document) === null) return null;
      // Counted before compiling: the document (held as the key) and the code its fields make.
      const kept = documentBytes(document.loc?.source.body ?? '', document);
      const room = Math.floor((maxBytes - kept - JIT_FIXED_BYTES) / JIT_BYTES_PER_FIELD);
      const fields = room < 0 ? 0 : spreadFields(document, room);
      if (room < 0 || fields > room) {
        // Over the whole bound: never compiled, and not counted again.
        budget.refusals++;
        runs.set(document, Number.NEGATIVE_INFINITY);
        return null;
      }
      const result = compileQuery(args.schema, document);
      if (!isCompiledQuery(result))
        options.logger?.warn({ errors: result.errors }, 'graphql-jit refused a document');
      found = {
        query: isCompiledQuery(result) ? result : null,
        schema: args.schema,
        bytes: kept + JIT_FIXED_BYTES + fields * JIT_BYTES_PER_FIELD,
      };
      compiled.set(document, found);
      runs.delete(document);
    }
    // Another schema (none here, but a plugin could give one): its own resolvers, interpreted.
    if (!found.query || found.schema !== args.schema) return null;
    // Any other name is the interpreter's error to give (graphql-jit would run the one).
    const name = args.operationName;
    return name == null || (name !== '' && name === onlyOperation(document)) ? found.query : null;
  }

  return {
    onExecute({ args, executeFn, setExecuteFn }) {
      const query = compiledFor(args);
      if (!query) return;
      const { document, operationName, schema } = args;
      // A plugin after this one may still change the document (@envelop/response-cache adds
      // the fields it reads): the compiled query runs only what it was compiled for.
      setExecuteFn((execArgs) =>
        execArgs.document === document &&
        execArgs.operationName === operationName &&
        execArgs.schema === schema
          ? runCompiled(query, execArgs, executeFn)
          : executeFn(execArgs),
      );
    },
  };
}

/**
 * The name of a document's one operation ('' when anonymous); null with none or several, or
 * when it isn't a query (a mutation is never compiled: see settled()).
 */
function onlyOperation(document: DocumentNode): string | null {
  let name: string | null = null;
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
    if (name !== null || definition.operation !== 'query') return null;
    name = definition.name?.value ?? '';
  }
  return name;
}

type Interpreter = (args: ExecutionArgs) => unknown;

function runCompiled(query: CompiledQuery, args: ExecutionArgs, interpreter: Interpreter) {
  // LIMIT_EXECUTION_MS: the deadline's callback, without making its AbortSignal (deadline.ts).
  const deadline = deadlineOf(args);
  const signal = deadline ? undefined : (args as { signal?: AbortSignal }).signal;
  deadline?.throwIfExpired();
  signal?.throwIfAborted();
  const result = query.query(args.rootValue, args.contextValue, args.variableValues ?? {});
  if (!(result instanceof Promise)) return settled(result, args, interpreter);
  const done = result.then((value) => settled(value, args, interpreter));
  if (deadline) {
    return new Promise((resolve, reject) => {
      deadline.onExpire(reject);
      done.then(resolve, reject);
    });
  }
  if (!signal) return done;
  return new Promise((resolve, reject) => {
    // A listener object with a method, not a named closure: tsx names those as they are made.
    const abort = {
      handleEvent() {
        reject(signal.reason);
      },
    };
    signal.addEventListener('abort', abort, { once: true });
    done.then(resolve, reject).finally(() => signal.removeEventListener('abort', abort));
  });
}

/**
 * The compiled query's result, or the interpreter's when it has errors: graphql-jit words,
 * orders and locates errors its own way (a resolver's own GraphQLError comes without its
 * locations, variables that don't coerce with other messages). A query runs no write, and the
 * request's DataLoaders still hold what the compiled run read: the second run is mostly the
 * walk (README: graphql-jit).
 */
function settled(result: ExecutionResult, args: ExecutionArgs, interpreter: Interpreter) {
  return result.errors ? interpreter(args) : result;
}

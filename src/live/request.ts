import type { IncomingMessage } from 'node:http';
import { getLiveDirectiveArgumentValues, getLiveDirectiveNode } from '@n1ru4l/graphql-live-query';
import { getOperationAST, parse } from 'graphql';

/** A request's GraphQL parameters, as GraphQL over HTTP carries them. */
export interface LiveParams {
  query: string;
  operationName: string | null;
  variables: Record<string, unknown> | null;
  extensions: Record<string, unknown> | null;
}

/** A live query operation: its parameters and the throttle its `@live` asks for. */
export interface LiveOperation {
  params: LiveParams;
  /** `@live(throttle:)` in ms, null when absent. */
  throttleMs: number | null;
  /**
   * The client asked for JSON patches after the first result (`extensions.live.patches`):
   * `{ revision, patch }` events instead of whole results.
   */
  patches: boolean;
}

/** Accept names text/event-stream: GraphQL over SSE, distinct connections. */
export function wantsEventStream(req: IncomingMessage): boolean {
  const accept = req.headers.accept;
  return typeof accept === 'string' && accept.includes('text/event-stream');
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Parameters from a POST body (JSON) or a GET query string; null when malformed. */
export function paramsOf(source: unknown): LiveParams | null {
  if (source instanceof URLSearchParams) {
    const json = (name: string) => {
      const text = source.get(name);
      if (text === null || text === '') return null;
      try {
        return JSON.parse(text) as unknown;
      } catch {
        return undefined;
      }
    };
    return paramsOf({
      query: source.get('query') ?? undefined,
      operationName: source.get('operationName') ?? null,
      variables: json('variables'),
      extensions: json('extensions'),
    });
  }
  if (!isRecord(source) || typeof source.query !== 'string') return null;
  const { operationName, variables, extensions } = source;
  if (operationName != null && typeof operationName !== 'string') return null;
  if (variables != null && !isRecord(variables)) return null;
  if (extensions != null && !isRecord(extensions)) return null;
  return {
    query: source.query,
    operationName: operationName ?? null,
    variables: variables ?? null,
    extensions: extensions ?? null,
  };
}

/**
 * The live query operation these parameters run, or null for anything else (no `@live`, or
 * `@live(if: false)`, a mutation, a document that doesn't parse): Yoga answers those as it
 * always has. Parsing stops at `maxTokens` (LIMIT_TOKENS), as Yoga's own parse would.
 */
export function liveOperationOf(params: LiveParams, maxTokens: number): LiveOperation | null {
  let document: ReturnType<typeof parse>;
  try {
    document = parse(params.query, {
      noLocation: true,
      maxTokens: Number.isFinite(maxTokens) ? maxTokens : undefined,
    });
  } catch {
    return null;
  }
  const operation = getOperationAST(document, params.operationName);
  if (operation?.operation !== 'query') return null;
  const directive = getLiveDirectiveNode(operation);
  if (!directive) return null;
  let values: ReturnType<typeof getLiveDirectiveArgumentValues>;
  try {
    values = getLiveDirectiveArgumentValues(directive, params.variables ?? undefined);
  } catch {
    return null; // bad arguments: Yoga's validation says what is wrong
  }
  if (!values.isLive) return null;
  const throttle = values.throttleValue;
  const { live, ...extensions } = params.extensions ?? {};
  return {
    // The opt-in is this stream's, not the request's: the group runs it without.
    params: { ...params, extensions: params.extensions ? extensions : null },
    throttleMs: typeof throttle === 'number' && throttle > 0 ? throttle : null,
    patches: isRecord(live) && live.patches === true,
  };
}

import { getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { RequestCacheState } from '../cache/request-state.js';
import {
  ATTR,
  adoptedSpan,
  context,
  nameOperation,
  type RequestSpan,
  startRequestSpan,
  type Tracing,
  trace,
  traceparentOf,
} from '../telemetry/tracing.js';

/**
 * Yoga's side of a request's span (README: Tracing): the span the node:http front started (or
 * one of its own for a request made in process), named after the operation, with a child span
 * for the execution, run in its context so that SQL and store calls below become its children,
 * and the cache's attributes once the response is known. Not installed when tracing is off.
 */
export function useTracing(
  tracing: Tracing,
  stateFor: (request: Request) => RequestCacheState | null,
): Plugin {
  const spans = new WeakMap<Request, RequestSpan & { own: boolean }>();
  return {
    onRequest({ request, serverContext }) {
      const front = adoptedSpan((serverContext as { req?: object } | undefined)?.req);
      if (front) {
        front.span.setAttribute(ATTR.path, 'yoga');
        spans.set(request, { ...front, own: false });
        return;
      }
      spans.set(request, { ...startRequestSpan(tracing, request.headers, 'yoga'), own: true });
    },
    onExecute({ args, executeFn, setExecuteFn }) {
      const request = (args.contextValue as { request?: Request }).request;
      const started = request && spans.get(request);
      if (!started) return;
      const operation = getOperationAST(args.document, args.operationName);
      const type = operation?.operation ?? 'query';
      nameOperation(started.span, type, operation?.name?.value ?? null);
      const execution = tracing.tracer.startSpan(
        'graphql.execute',
        { attributes: { [ATTR.operationType]: type } },
        started.ctx,
      );
      const inside = trace.setSpan(started.ctx, execution);
      setExecuteFn((execArgs) => context.with(inside, () => executeFn(execArgs)));
      return {
        onExecuteDone({ result }) {
          const errors = 'errors' in result ? result.errors : undefined;
          if (errors?.length) {
            execution.setAttribute('graphql.error.count', errors.length);
            execution.setStatus({ code: 2, message: errors[0].message });
          }
          execution.end();
        },
      };
    },
    onResponse({ request, response }) {
      const started = spans.get(request);
      if (!started) return;
      const { span } = started;
      const state = stateFor(request);
      if (state && response.status !== 401 && response.status !== 403) {
        span.setAttribute(ATTR.outcome, state.outcome);
        if (state.reason) span.setAttribute(ATTR.reason, state.reason);
        const debug = state.debug;
        if (debug) {
          span.setAttribute(ATTR.tagCount, debug.tags.length);
          if (debug.ttl !== null) span.setAttribute(ATTR.ttl, debug.ttl);
        }
        // The trace id next to the cache's own timing, as the hit path writes it.
        const timing = response.headers.get('server-timing');
        const traceparent = `traceparent;desc="${traceparentOf(span)}"`;
        response.headers.set('server-timing', timing ? `${timing}, ${traceparent}` : traceparent);
      }
      if (started.own) {
        span.setAttribute('http.response.status_code', response.status);
        span.end();
      }
    },
  };
}

import { hostname } from 'node:os';
import {
  type Context,
  context,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  type TextMapGetter,
  type Tracer,
  trace,
} from '@opentelemetry/api';

/**
 * The cache's span attributes, in one namespace (README: Tracing). The GraphQL ones follow the
 * OpenTelemetry conventions, which define nothing about caching.
 */
export const ATTR = {
  operationName: 'graphql.operation.name',
  operationType: 'graphql.operation.type',
  /** hit, miss, stale, bypass. */
  outcome: 'hotpath.cache.outcome',
  /** Why a MISS or BYPASS (X-Cache-Reason). */
  reason: 'hotpath.cache.reason',
  /** Where a lookup was answered: near (this process's copy of a Redis entry), redis, memory. */
  level: 'hotpath.cache.level',
  /** The entry's TTL in seconds (what is left of it on a hit); absent when it never expires. */
  ttl: 'hotpath.cache.ttl_seconds',
  tagCount: 'hotpath.cache.tag_count',
  /** How long the store lookup took, in ms. */
  lookupMs: 'hotpath.cache.lookup_ms',
  /** Which path answered: hit-path (node:http, before Yoga) or yoga. */
  path: 'hotpath.cache.path',
  /** A store call's name: lookup, save, invalidate, purge. */
  storeCall: 'hotpath.cache.store.call',
  /** The tags an invalidation named. */
  invalidationTags: 'hotpath.cache.invalidation.tags',
  /** How many entries it removed. */
  invalidationRemoved: 'hotpath.cache.invalidation.removed',
  /** The instance that applied it (host:pid); each instance that applies one makes its span. */
  instance: 'hotpath.instance',
} as const;

/**
 * Tracing as the app sees it. `on` is the one boolean the hit path reads: with tracing off no
 * span object is made, no context is entered and no header is read (DESIGN §16: ≤ 1 µs a hit).
 */
export interface Tracing {
  readonly on: boolean;
  readonly tracer: Tracer;
  /** host:pid, the `hotpath.instance` attribute. */
  readonly instance: string;
  /** Sends what is buffered (tests, shutdown). */
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

const INSTANCE = `${hostname()}:${process.pid}`;

export const TRACING_OFF: Tracing = {
  on: false,
  tracer: trace.getTracer('hotpath'),
  instance: INSTANCE,
  flush: async () => {},
  shutdown: async () => {},
};

export interface TracingOptions {
  /** From src/config.ts: OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_TRACES_EXPORTER is set. */
  enabled: boolean;
  serviceName: string;
}

/**
 * Starts OpenTelemetry's Node SDK for traces only, configured by the standard OTEL_* variables
 * (endpoint, protocol, headers, sampler, batch delays): W3C trace context, async context
 * through AsyncLocalStorage, the OTLP exporter. No metrics or logs exporter: /metrics is
 * Prometheus's. Returns TRACING_OFF when not enabled.
 */
export async function startTracing(options: TracingOptions): Promise<Tracing> {
  if (!options.enabled) return TRACING_OFF;
  const { NodeSDK } = await import('@opentelemetry/sdk-node');
  const sdk = new NodeSDK({
    serviceName: options.serviceName,
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [],
  });
  sdk.start();
  const provider = trace.getTracerProvider() as { getDelegate?: () => unknown };
  const delegate = provider.getDelegate?.() as { forceFlush?: () => Promise<void> } | undefined;
  return {
    on: true,
    tracer: trace.getTracer('hotpath'),
    instance: INSTANCE,
    flush: async () => {
      await delegate?.forceFlush?.();
    },
    shutdown: () => sdk.shutdown(),
  };
}

const fetchHeaders: TextMapGetter<Headers> = {
  get: (headers, key) => headers.get(key) ?? undefined,
  keys: (headers) => [...headers.keys()],
};

/**
 * The span of one GraphQL request, child of the client's `traceparent` when it sent one. Its
 * name becomes `<type> <name>` once the operation is known (OpenTelemetry's GraphQL
 * convention); until then `graphql.request`.
 */
export function startRequestSpan(
  tracing: Tracing,
  headers: Headers | Record<string, string | string[] | undefined>,
  path: 'hit-path' | 'yoga',
): RequestSpan {
  const parent =
    headers instanceof Headers
      ? propagation.extract(ROOT_CONTEXT, headers, fetchHeaders)
      : propagation.extract(ROOT_CONTEXT, headers);
  const span = tracing.tracer.startSpan(
    'graphql.request',
    { kind: SpanKind.SERVER, attributes: { [ATTR.path]: path, [ATTR.instance]: tracing.instance } },
    parent,
  );
  return { span, ctx: trace.setSpan(parent, span) };
}

export interface RequestSpan {
  span: Span;
  ctx: Context;
}

// The node:http front starts a request's span; Yoga's plugin finds it here by the request.
const adopted = new WeakMap<object, RequestSpan>();

/** Hands the front's span of a node:http request on to Yoga's path (use-tracing.ts). */
export const adoptSpan = (req: object, span: RequestSpan) => adopted.set(req, span);
export const adoptedSpan = (req: object | undefined) => (req ? adopted.get(req) : undefined);

/** Names the request span after its operation (`query Services`), as OpenTelemetry's does. */
export function nameOperation(span: Span, type: string, name: string | null) {
  span.setAttribute(ATTR.operationType, type);
  if (name) span.setAttribute(ATTR.operationName, name);
  span.updateName(name ? `${type} ${name}` : type);
}

/**
 * `headers` with the active trace context (W3C `traceparent`, `tracestate`) added, for work a
 * request starts in process (a stale-while-revalidate refresh): it joins the request's trace.
 * Tracing off: the propagator is a no-op and `headers` come back unchanged.
 */
export function withTraceContext(headers: Record<string, string>): Record<string, string> {
  propagation.inject(context.active(), headers);
  return headers;
}

/** The span's W3C traceparent, for Server-Timing. */
export function traceparentOf(span: Span): string {
  const { traceId, spanId, traceFlags } = span.spanContext();
  return `00-${traceId}-${spanId}-0${(traceFlags & 1).toString(16)}`;
}

/** Runs `work` as a child span of the active one; records a throw as the span's error. */
export async function inSpan<T>(
  tracing: Tracing,
  name: string,
  attributes: Record<string, string | number | boolean | string[]>,
  work: (span: Span) => Promise<T>,
): Promise<T> {
  return tracing.tracer.startActiveSpan(name, { attributes }, async (span) => {
    try {
      return await work(span);
    } catch (error) {
      span.recordException(error as Error);
      span.setStatus({ code: 2 });
      throw error;
    } finally {
      span.end();
    }
  });
}

export { context, trace };

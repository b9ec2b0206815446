import { trace } from '@opentelemetry/api';
import { type Logger, pino } from 'pino';

/**
 * Every line written inside a traced request carries its `trace_id` and `span_id`, so that an
 * operator goes from a log line to its trace. Without tracing there is no active span: nothing
 * is added.
 */
export function traceFields(): Record<string, string> {
  const span = trace.getActiveSpan();
  if (!span) return {};
  const { traceId, spanId } = span.spanContext();
  return { trace_id: traceId, span_id: spanId };
}

export function createLogger(level: string): Logger {
  return pino({ level, base: { service: 'hotpath' }, mixin: traceFields });
}

/** Yoga's logger interface, written through pino. */
export function yogaLogger(logger: Logger) {
  return {
    debug: (...args: unknown[]) => logger.debug(args.length === 1 ? args[0] : args, 'yoga'),
    info: (...args: unknown[]) => logger.info(args.length === 1 ? args[0] : args, 'yoga'),
    warn: (...args: unknown[]) => logger.warn(args.length === 1 ? args[0] : args, 'yoga'),
    error: (...args: unknown[]) => logger.error(args.length === 1 ? args[0] : args, 'yoga'),
  };
}

import { type Logger, pino } from 'pino';

export function createLogger(level: string): Logger {
  return pino({ level, base: { service: 'hotpath' } });
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

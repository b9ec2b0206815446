import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import type { CacheInvalidator } from '../cache/invalidation/tags.js';

export interface ServiceDeps {
  db: DataSource;
  /** Invalidates cached responses after a write commits. */
  cache: CacheInvalidator;
  clock: () => Date;
  logger: Logger;
  defaultTimezone: string;
  /** The largest rendered template, in UTF-8 bytes (LIMIT_RENDER_BYTES). */
  maxRenderBytes: number;
}

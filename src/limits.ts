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

/** Part of every cache key: an entry stored under other limits is never served under these. */
export function limitsFingerprint(limits: Limits): string {
  return [limits.depth, limits.aliases, limits.tokens, limits.directives, limits.cost].join('.');
}

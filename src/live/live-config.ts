/** Live queries' bounds and timings (LIVE_*; README: Live queries). */
export interface LiveConfig {
  /** Open streams this process serves at most (LIVE_MAX_STREAMS). */
  maxStreams: number;
  /** Open streams one tenant may hold on this process (LIVE_MAX_STREAMS_PER_TENANT). */
  maxStreamsPerTenant: number;
  /** Distinct (tenant, document, variables) groups this process re-executes (LIVE_MAX_GROUPS). */
  maxGroups: number;
  /** The largest result a group keeps and pushes, in bytes (LIVE_MAX_RESULT_BYTES). */
  maxResultBytes: number;
  /**
   * The largest request a group keeps to replay (its document, operation name, variables and
   * extensions, as JSON), in bytes: UTF-8, or V8's two bytes a character when that is more
   * (LIVE_MAX_DOCUMENT_BYTES). A larger one is refused when it opens.
   */
  maxDocumentBytes: number;
  /** A comment line on every stream this often, so proxies keep it (LIVE_HEARTBEAT_MS). */
  heartbeatMs: number;
  /** The most a client's `@live(throttle:)` may delay a group's pushes (LIVE_MAX_THROTTLE_MS). */
  maxThrottleMs: number;
  /**
   * A result with no tags to watch (an operator's, or one the cache bypassed) is re-executed
   * this often instead (LIVE_UNTAGGED_POLL_MS).
   */
  untaggedPollMs: number;
  /** How often the keys of open streams are checked for revocation and expiry (ms). */
  authCheckMs: number;
}

export const LIVE_DEFAULTS: LiveConfig = {
  maxStreams: 10_000,
  maxStreamsPerTenant: 1_000,
  maxGroups: 1_000,
  maxResultBytes: 65_536,
  maxDocumentBytes: 16_384,
  heartbeatMs: 15_000,
  maxThrottleMs: 10_000,
  untaggedPollMs: 1_000,
  authCheckMs: 250,
};

/**
 * What a group keeps besides its result and its request: the group itself, its key, its set of
 * streams and its timers, its place in the tag index, and the `next` event's framing around the
 * result (about 60 bytes). bench/memory-sizes.ts measures 1.6 KB for a group with one stream,
 * an expiry timer and two tags.
 */
export const GROUP_BYTES = 2_048;

/**
 * The bytes all groups may hold together (`hotpath_memory_max_bytes{structure="live_results"}`):
 * each its result, its request and its bookkeeping.
 */
export const liveGroupsBound = (config: LiveConfig) =>
  config.maxGroups * (config.maxResultBytes + config.maxDocumentBytes + GROUP_BYTES);

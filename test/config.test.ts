import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../src/config.js';

describe('parseConfig', () => {
  it('gives embedded defaults: SQLite, an in-memory cache, port 4000', () => {
    const config = parseConfig({});
    expect(config).toMatchObject({
      env: 'development',
      port: 4000,
      database: { url: undefined, sqlitePath: './data/hotpath.sqlite' },
      seedDemo: true,
      graphiql: true,
      cache: { backend: 'MEMORY', prefix: 'hotpath', timeoutMs: 50, warmIntervalSeconds: 300 },
    });
  });

  it('picks PostgreSQL and Redis from their URLs, and DISABLED over both', () => {
    const env = { DATABASE_URL: 'postgres://u@db:5432/hp', REDIS_URL: 'redis://cache:6379' };
    expect(parseConfig(env).database.url).toBe('postgres://u@db:5432/hp');
    expect(parseConfig(env).cache.backend).toBe('REDIS');
    expect(parseConfig({ ...env, CACHE_ENABLED: 'false' }).cache.backend).toBe('DISABLED');
  });

  it('reads the live-query bounds and timings, each with its default and its range', () => {
    expect(parseConfig({}).live).toMatchObject({
      maxStreams: 10_000,
      maxStreamsPerTenant: 1_000,
      maxGroups: 1_000,
      maxResultBytes: 65_536,
      maxDocumentBytes: 16_384,
      heartbeatMs: 15_000,
      maxThrottleMs: 10_000,
      untaggedPollMs: 1_000,
    });
    const env = {
      LIVE_MAX_STREAMS: '20000',
      LIVE_MAX_STREAMS_PER_TENANT: '5',
      LIVE_MAX_GROUPS: '50',
      LIVE_MAX_RESULT_BYTES: '1024',
      LIVE_MAX_DOCUMENT_BYTES: '4096',
      LIVE_HEARTBEAT_MS: '500',
      LIVE_MAX_THROTTLE_MS: '0',
      LIVE_UNTAGGED_POLL_MS: '250',
    };
    expect(parseConfig(env).live).toMatchObject({
      maxStreams: 20_000,
      maxStreamsPerTenant: 5,
      maxGroups: 50,
      maxResultBytes: 1024,
      maxDocumentBytes: 4096,
      heartbeatMs: 500,
      maxThrottleMs: 0,
      untaggedPollMs: 250,
    });
    expect(() => parseConfig({ LIVE_HEARTBEAT_MS: '10', LIVE_MAX_GROUPS: '0' })).toThrow(
      /LIVE_HEARTBEAT_MS[\s\S]*LIVE_MAX_GROUPS|LIVE_MAX_GROUPS[\s\S]*LIVE_HEARTBEAT_MS/,
    );
  });

  it('reads how often cluster stats are flushed: 1 s by default, 100 ms to 60 s', () => {
    expect(parseConfig({}).cache.statsFlushMs).toBe(1_000);
    expect(parseConfig({ CACHE_STATS_FLUSH_MS: '250' }).cache.statsFlushMs).toBe(250);
    expect(() => parseConfig({ CACHE_STATS_FLUSH_MS: '10' })).toThrow(/CACHE_STATS_FLUSH_MS/);
  });

  it("reads the bound of each scope's invalidation log in Redis: 1,000 tags by default", () => {
    expect(parseConfig({}).cache.logMax).toBe(1_000);
    expect(parseConfig({ CACHE_LOG_MAX: '5000' }).cache.logMax).toBe(5_000);
    expect(() => parseConfig({ CACHE_LOG_MAX: '0' })).toThrow(/CACHE_LOG_MAX/);
  });

  it('reads how many popular requests are warmed: 100 by default, 0 for none', () => {
    expect(parseConfig({}).cache.warmTop).toBe(100);
    expect(parseConfig({ CACHE_WARM_TOP: '0' }).cache.warmTop).toBe(0);
    expect(() => parseConfig({ CACHE_WARM_TOP: '-1' })).toThrow(/CACHE_WARM_TOP/);
  });

  it('reads TTL overrides in seconds', () => {
    const config = parseConfig({ CACHE_TTL_STATS: '10', CACHE_TTL_TEMPLATES: '0' });
    expect(config.cache.ttlOverrides).toMatchObject({
      CACHE_TTL_STATS: 10,
      CACHE_TTL_TEMPLATES: 0,
    });
  });

  it('reads the stale windows, the SWR types, the outbox poll and the database timeout', () => {
    expect(parseConfig({}).cache).toMatchObject({
      swrTypes: ['MegaStats', 'AnalyticsReport'],
      swrGraceSeconds: 60,
      staleIfErrorSeconds: 300,
      outboxPollMs: 250,
    });
    expect(parseConfig({}).database.timeoutMs).toBe(30_000);
    const config = parseConfig({
      CACHE_SWR_TYPES: 'MegaStats',
      CACHE_SWR_GRACE: '0',
      CACHE_STALE_IF_ERROR: '30',
      CACHE_OUTBOX_POLL_MS: '1000',
      DATABASE_TIMEOUT_MS: '2000',
    });
    expect(config.cache).toMatchObject({
      swrTypes: ['MegaStats'],
      swrGraceSeconds: 0,
      staleIfErrorSeconds: 30,
      outboxPollMs: 1000,
    });
    expect(config.database.timeoutMs).toBe(2_000);
    expect(() => parseConfig({ CACHE_SWR_TYPES: 'Mega Stats' })).toThrow(/CACHE_SWR_TYPES/);
  });

  it('reads the persisted-query store settings: 1 day and 1,000 documents by default', () => {
    expect(parseConfig({}).cache).toMatchObject({ apqTtlSeconds: 86_400, apqMaxEntries: 1_000 });
    const config = parseConfig({ APQ_TTL: '600', APQ_MAX_ENTRIES: '50' });
    expect(config.cache).toMatchObject({ apqTtlSeconds: 600, apqMaxEntries: 50 });
    expect(() => parseConfig({ APQ_TTL: '0' })).toThrow(/APQ_TTL/);
  });

  it('reads the memory bounds: each in bytes, with its default and its floor', () => {
    const MiB = 1_048_576;
    expect(parseConfig({}).cache.bounds).toEqual({
      storeBytes: 64 * MiB,
      keyMemoBytes: 8 * MiB,
      popularBytes: 2 * MiB,
      parseCacheBytes: 16 * MiB,
      parseCacheTextBytes: 4_096,
      apqBytes: 16 * MiB,
      apqDocumentBytes: 16_384,
      apqTenantQuotaBytes: 4 * MiB,
      missReasonBytes: 1 * MiB,
      ttlSimBytes: 2 * MiB,
      dayRangeBytes: MiB,
      flightLingerBytes: 16 * MiB,
      jitBytes: 8 * MiB,
      jitAfterRuns: 2,
    });
    const config = parseConfig({
      CACHE_MAX_BYTES: '1000000',
      CACHE_KEY_MEMO_BYTES: '0',
      CACHE_WARM_MAX_BYTES: '0',
      PARSE_CACHE_MAX_BYTES: '0',
      PARSE_CACHE_MAX_TEXT_BYTES: '1024',
      APQ_MAX_BYTES: '65536',
      APQ_MAX_DOCUMENT_BYTES: '2048',
      APQ_TENANT_QUOTA_BYTES: '100000',
      CACHE_MISS_REASON_BYTES: '0',
      CACHE_TTL_SIM_BYTES: '65536',
      DAY_RANGE_MEMO_BYTES: '0',
      CACHE_FLIGHT_LINGER_BYTES: '0',
      JIT_MAX_BYTES: '0',
      JIT_AFTER_RUNS: '5',
    });
    expect(config.cache.bounds).toEqual({
      storeBytes: 1_000_000,
      keyMemoBytes: 0,
      popularBytes: 0,
      parseCacheBytes: 0,
      parseCacheTextBytes: 1_024,
      apqBytes: 65_536,
      apqDocumentBytes: 2_048,
      apqTenantQuotaBytes: 100_000,
      missReasonBytes: 0,
      ttlSimBytes: 65_536,
      dayRangeBytes: 0,
      flightLingerBytes: 0,
      jitBytes: 0,
      jitAfterRuns: 5,
    });
    // A store, an APQ store and a quota of 0 bytes would keep nothing: use CACHE_ENABLED=false.
    for (const name of ['CACHE_MAX_BYTES', 'APQ_MAX_BYTES', 'APQ_TENANT_QUOTA_BYTES']) {
      expect(() => parseConfig({ [name]: '0' })).toThrow(name);
    }
    expect(() => parseConfig({ APQ_MAX_DOCUMENT_BYTES: String(2 * MiB) })).toThrow(
      /APQ_MAX_DOCUMENT_BYTES/,
    );
    expect(() => parseConfig({ PARSE_CACHE_MAX_TEXT_BYTES: '-1' })).toThrow(
      /PARSE_CACHE_MAX_TEXT_BYTES/,
    );
  });

  it('turns tracing on by the standard OTEL_* variables only; reads the TTL sample (issue 18)', () => {
    expect(parseConfig({}).tracing).toEqual({ enabled: false, serviceName: 'hotpath' });
    expect(parseConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }).tracing).toEqual({
      enabled: true,
      serviceName: 'hotpath',
    });
    expect(parseConfig({ OTEL_TRACES_EXPORTER: 'console' }).tracing.enabled).toBe(true);
    expect(parseConfig({ OTEL_TRACES_EXPORTER: 'none' }).tracing.enabled).toBe(false);
    expect(parseConfig({ OTEL_SERVICE_NAME: 'api' }).tracing.serviceName).toBe('api');
    expect(() => parseConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'not a url' })).toThrow(
      /OTEL_EXPORTER_OTLP_ENDPOINT/,
    );
    expect(parseConfig({}).cache.ttlSimSample).toBe(0.1);
    expect(parseConfig({ CACHE_TTL_SIM_SAMPLE: '1' }).cache.ttlSimSample).toBe(1);
    expect(() => parseConfig({ CACHE_TTL_SIM_SAMPLE: '2' })).toThrow(/CACHE_TTL_SIM_SAMPLE/);
  });

  it('reads the API key settings: a 250 ms revocation poll (at most 1 s), 10,000 keys of each kind', () => {
    expect(parseConfig({}).auth).toEqual({
      revocationPollMs: 250,
      unknownKeysMax: 10_000,
      keysMax: 10_000,
    });
    const config = parseConfig({
      KEY_REVOCATION_POLL_MS: '1000',
      AUTH_UNKNOWN_KEYS_MAX: '50',
      AUTH_KEYS_MAX: '20',
    });
    expect(config.auth).toEqual({ revocationPollMs: 1_000, unknownKeysMax: 50, keysMax: 20 });
    // Revocation must reach every instance within 1 s: a slower poll can't promise it.
    expect(() => parseConfig({ KEY_REVOCATION_POLL_MS: '1001' })).toThrow(/KEY_REVOCATION_POLL_MS/);
    expect(() => parseConfig({ KEY_REVOCATION_POLL_MS: '10' })).toThrow(/KEY_REVOCATION_POLL_MS/);
    expect(() => parseConfig({ AUTH_UNKNOWN_KEYS_MAX: '0' })).toThrow(/AUTH_UNKNOWN_KEYS_MAX/);
    expect(() => parseConfig({ AUTH_KEYS_MAX: '0' })).toThrow(/AUTH_KEYS_MAX/);
  });

  it('lists every problem at once', () => {
    let error: unknown;
    try {
      parseConfig({
        NODE_ENV: 'production',
        PORT: 'eighty',
        DEFAULT_TIMEZONE: 'Mars/Base',
        CACHE_TIMEOUT_MS: '-1',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    for (const name of ['PORT', 'DEFAULT_TIMEZONE', 'CACHE_TIMEOUT_MS', 'OPS_TOKEN']) {
      expect(problems).toContain(name);
    }
  });
});

describe('parseConfig: Redis topologies', () => {
  const problemsOf = (env: Record<string, string>) => {
    try {
      parseConfig(env);
    } catch (error) {
      if (error instanceof ConfigError) return error.problems;
      throw error;
    }
    return [];
  };

  it('reads a single Redis, with ACL credentials and a TLS CA on rediss://', () => {
    const config = parseConfig({
      REDIS_URL: 'rediss://cache:6380',
      REDIS_USERNAME: 'hotpath',
      REDIS_PASSWORD: 's3cret',
      REDIS_TLS_CA: '/etc/ssl/redis-ca.pem',
    });
    expect(config.cache.backend).toBe('REDIS');
    expect(config.cache.redis).toEqual({
      topology: { kind: 'standalone', url: 'rediss://cache:6380' },
      username: 'hotpath',
      password: 's3cret',
      tlsCaPath: '/etc/ssl/redis-ca.pem',
    });
  });

  it('reads REDIS_CLUSTER_NODES as seed nodes', () => {
    const config = parseConfig({ REDIS_CLUSTER_NODES: 'r1:7000, r2:7001,10.0.0.3:7002' });
    expect(config.cache.backend).toBe('REDIS');
    expect(config.cache.redis?.topology).toEqual({
      kind: 'cluster',
      nodes: [
        { host: 'r1', port: 7000 },
        { host: 'r2', port: 7001 },
        { host: '10.0.0.3', port: 7002 },
      ],
    });
    expect(config.cache.redisUrl).toBeUndefined();
  });

  it('turns TLS on for every node of a cluster or Sentinel set with REDIS_TLS_CA', () => {
    const cluster = parseConfig({ REDIS_CLUSTER_NODES: 'r1:7000', REDIS_TLS_CA: '/ca.pem' });
    expect(cluster.cache.redis).toMatchObject({
      topology: { kind: 'cluster' },
      tlsCaPath: '/ca.pem',
    });
    const sentinel = parseConfig({
      REDIS_SENTINELS: 's1:26379',
      REDIS_SENTINEL_NAME: 'm',
      REDIS_TLS_CA: '/ca.pem',
    });
    expect(sentinel.cache.redis).toMatchObject({
      topology: { kind: 'sentinel' },
      tlsCaPath: '/ca.pem',
    });
  });

  it('reads REDIS_SENTINELS with REDIS_SENTINEL_NAME', () => {
    const config = parseConfig({
      REDIS_SENTINELS: 's1:26379,s2:26379,s3:26379',
      REDIS_SENTINEL_NAME: 'hotpath',
      REDIS_PASSWORD: 'pw',
    });
    expect(config.cache.redis).toMatchObject({
      topology: {
        kind: 'sentinel',
        name: 'hotpath',
        sentinels: [
          { host: 's1', port: 26379 },
          { host: 's2', port: 26379 },
          { host: 's3', port: 26379 },
        ],
      },
      password: 'pw',
    });
  });

  it('points a comma-separated REDIS_URL to REDIS_CLUSTER_NODES', () => {
    const problems = problemsOf({ REDIS_URL: 'redis://a:7000,redis://b:7001' });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^REDIS_URL: .*REDIS_CLUSTER_NODES=host:port,host:port/);
  });

  it('refuses two topologies at once, naming both', () => {
    const problems = problemsOf({
      REDIS_URL: 'redis://a:6379',
      REDIS_CLUSTER_NODES: 'a:7000',
      REDIS_SENTINELS: 's:26379',
      REDIS_SENTINEL_NAME: 'm',
    });
    expect(problems).toEqual([
      'Redis: set exactly one of REDIS_URL, REDIS_CLUSTER_NODES, REDIS_SENTINELS (found REDIS_URL and REDIS_CLUSTER_NODES and REDIS_SENTINELS)',
    ]);
  });

  it('lists every Redis mistake at once', () => {
    const problems = problemsOf({
      REDIS_SENTINELS: 's1:26379,s2',
      REDIS_CLUSTER_NODES: 'x:99999',
    }).join('\n');
    expect(problems).toContain('REDIS_SENTINELS.1: each node is host:port');
    expect(problems).toContain('REDIS_CLUSTER_NODES.0: port must be 1..65535');
    expect(problems).toContain('REDIS_SENTINEL_NAME: required with REDIS_SENTINELS');
    expect(problems).toContain('found REDIS_CLUSTER_NODES and REDIS_SENTINELS');
  });

  it('wants rediss:// for a CA, one place for credentials, and a Redis for them at all', () => {
    expect(problemsOf({ REDIS_URL: 'redis://a:6379', REDIS_TLS_CA: '/ca.pem' })).toEqual([
      'REDIS_TLS_CA: needs a rediss:// REDIS_URL (TLS)',
    ]);
    expect(
      problemsOf({ REDIS_URL: 'redis://u:p@a:6379', REDIS_USERNAME: 'v', REDIS_PASSWORD: 'q' }),
    ).toEqual([
      'REDIS_USERNAME: REDIS_URL carries a user already; set it in one place',
      'REDIS_PASSWORD: REDIS_URL carries a password already; set it in one place',
    ]);
    expect(problemsOf({ REDIS_PASSWORD: 'q', REDIS_SENTINEL_NAME: 'm' })).toEqual([
      'REDIS_SENTINEL_NAME: only means something with REDIS_SENTINELS',
      'REDIS_PASSWORD: needs a Redis (REDIS_URL, REDIS_CLUSTER_NODES, REDIS_SENTINELS)',
    ]);
    expect(problemsOf({ REDIS_URL: 'http://a:6379' })).toEqual([
      'REDIS_URL: must start with redis:// or rediss://',
    ]);
  });
});

describe('parseConfig: production hardening (issue 14)', () => {
  const production = { NODE_ENV: 'production', OPS_TOKEN: 'ops-token-0123456789' };

  it('listens on 127.0.0.1 unless HOST says otherwise', () => {
    expect(parseConfig({}).host).toBe('127.0.0.1');
    expect(parseConfig(production).host).toBe('127.0.0.1');
    expect(parseConfig({ HOST: '0.0.0.0' }).host).toBe('0.0.0.0');
  });

  it('turns introspection and suggestions off in production, unless INTROSPECTION=true', () => {
    expect(parseConfig({}).introspection).toBe(true);
    expect(parseConfig({ NODE_ENV: 'test' }).introspection).toBe(true);
    expect(parseConfig(production).introspection).toBe(false);
    expect(parseConfig({ ...production, INTROSPECTION: 'true' }).introspection).toBe(true);
    expect(parseConfig({ INTROSPECTION: 'false' }).introspection).toBe(false);
    expect(() => parseConfig({ INTROSPECTION: 'sometimes' })).toThrow(/INTROSPECTION/);
  });

  it('stops validation after 5 errors by default (LIMIT_VALIDATION_ERRORS, 0: off)', () => {
    expect(parseConfig({}).limits.validationErrors).toBe(5);
    expect(parseConfig({ LIMIT_VALIDATION_ERRORS: '3' }).limits.validationErrors).toBe(3);
    expect(parseConfig({ LIMIT_VALIDATION_ERRORS: '0' }).limits.validationErrors).toBe(
      Number.POSITIVE_INFINITY,
    );
    expect(() => parseConfig({ LIMIT_VALIDATION_ERRORS: '-1' })).toThrow(/LIMIT_VALIDATION_ERRORS/);
  });

  it('reads METRICS_TOKEN (16+ characters) and METRICS_PORT (not PORT)', () => {
    expect(parseConfig({}).metrics).toEqual({ token: undefined, port: undefined });
    const config = parseConfig({ METRICS_TOKEN: 'metrics-token-0123456', METRICS_PORT: '9464' });
    expect(config.metrics).toEqual({ token: 'metrics-token-0123456', port: 9464 });
    expect(() => parseConfig({ METRICS_TOKEN: 'short' })).toThrow(/METRICS_TOKEN/);
    expect(() => parseConfig({ METRICS_PORT: '70000' })).toThrow(/METRICS_PORT/);
    expect(() => parseConfig({ PORT: '4000', METRICS_PORT: '4000' })).toThrow(
      /METRICS_PORT: must differ from PORT/,
    );
  });

  it('bounds slow clients: headers 20 s, request 30 s, keep-alive 5 s, checked every second', () => {
    expect(parseConfig({}).http).toEqual({
      headersTimeoutMs: 20_000,
      requestTimeoutMs: 30_000,
      keepAliveTimeoutMs: 5_000,
      checkIntervalMs: 1_000,
    });
    const config = parseConfig({
      HTTP_HEADERS_TIMEOUT_MS: '2000',
      HTTP_REQUEST_TIMEOUT_MS: '4000',
      HTTP_KEEP_ALIVE_TIMEOUT_MS: '65000',
      HTTP_CHECK_INTERVAL_MS: '250',
    });
    expect(config.http).toEqual({
      headersTimeoutMs: 2_000,
      requestTimeoutMs: 4_000,
      keepAliveTimeoutMs: 65_000,
      checkIntervalMs: 250,
    });
    // node refuses a header timeout above the request timeout.
    expect(() => parseConfig({ HTTP_HEADERS_TIMEOUT_MS: '40000' })).toThrow(
      /HTTP_HEADERS_TIMEOUT_MS: must not be above HTTP_REQUEST_TIMEOUT_MS/,
    );
    expect(() => parseConfig({ HTTP_CHECK_INTERVAL_MS: '0' })).toThrow(/HTTP_CHECK_INTERVAL_MS/);
    expect(() => parseConfig({ HTTP_HEADERS_TIMEOUT_MS: 'soon' })).toThrow(
      /HTTP_HEADERS_TIMEOUT_MS/,
    );
  });
});

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

  it('reads how often cluster stats are flushed: 1 s by default, 100 ms to 60 s', () => {
    expect(parseConfig({}).cache.statsFlushMs).toBe(1_000);
    expect(parseConfig({ CACHE_STATS_FLUSH_MS: '250' }).cache.statsFlushMs).toBe(250);
    expect(() => parseConfig({ CACHE_STATS_FLUSH_MS: '10' })).toThrow(/CACHE_STATS_FLUSH_MS/);
  });

  it('reads TTL overrides in seconds', () => {
    const config = parseConfig({ CACHE_TTL_STATS: '10', CACHE_TTL_TEMPLATES: '0' });
    expect(config.cache.ttlOverrides).toMatchObject({
      CACHE_TTL_STATS: 10,
      CACHE_TTL_TEMPLATES: 0,
    });
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

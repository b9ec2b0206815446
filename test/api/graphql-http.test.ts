import { serverAudits } from 'graphql-http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, sharedRedisCache, type TestApp } from '../support/app.js';

/**
 * GraphQL over HTTP conformance (graphql-http's server audits), through the cache on memory and
 * on Redis, as a tenant: every MUST and SHOULD passes, and no audit gets a 5xx.
 */
describe.each([
  ['memory', { backend: 'MEMORY' as const }],
  ['Redis', sharedRedisCache()],
])('graphql-http audits, cache on %s', (_name, cache) => {
  let app: TestApp;
  let key: string;
  beforeAll(async () => {
    app = await buildTestApp('sqlite', { cache });
    key = (await app.createTenant()).key;
  });
  afterAll(() => app.close());

  const audits = serverAudits({
    url: 'http://hotpath.test/graphql',
    fetchFn: (input: RequestInfo, init: RequestInit = {}) => {
      const headers = new Headers(init.headers);
      headers.set('authorization', `Bearer ${key}`);
      return app.yoga.fetch(input as string, { ...init, headers });
    },
  });

  it.each(audits.map((audit) => [audit.name, audit] as const))('%s', async (name, audit) => {
    const result = await audit.fn();
    if (result.status !== 'ok') {
      const status = result.response.status;
      expect(status, `${name}: ${result.reason}`).toBeLessThan(500);
      if (/^(MUST|SHOULD)\b/.test(name)) expect.fail(`${name}: ${result.reason}`);
    }
  });
});

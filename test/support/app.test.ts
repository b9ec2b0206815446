import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, OPS_TOKEN, type TestApp } from './app.js';

// The test app's `execute` calls as an ordinary caller unless told otherwise: a cache test that
// forgets to choose a key still goes through the cache (an operator would bypass it).
describe('the test app', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await buildTestApp('sqlite', { cache: { backend: 'MEMORY' } });
  });
  afterAll(() => app?.close());

  const SERVICES = 'query DefaultCallerServices($u: ID!) { services(userId: $u) { id } }';

  it('executes as its own tenant by default, so reads are cached', async () => {
    const { tenant } = await app.defaultTenant();
    expect(await app.defaultTenant()).toMatchObject({ tenant: { id: tenant.id } });
    const user = await app.createUser(tenant.id, 'Default');
    const first = await app.execute(SERVICES, { u: user.id });
    expect(first.body.errors).toBeUndefined();
    expect(first.headers.get('x-cache')).toBe('MISS');
    expect((await app.execute(SERVICES, { u: user.id })).headers.get('x-cache')).toBe('HIT');
    // The operator has to be asked for, and bypasses the cache.
    const asOperator = await app.execute(SERVICES, { u: user.id }, OPS_TOKEN);
    expect(asOperator.headers.get('x-cache')).toBe('BYPASS');
  });

  it('sends no key at all when given null', async () => {
    const res = await app.execute('{ stores { id } }', {}, null);
    expect(res.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });
});

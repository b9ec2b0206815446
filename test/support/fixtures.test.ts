import { describe, expect } from 'vitest';
import { dialects } from './app.js';
import { SERVICES_WITH_PRICES } from './documents.js';
import { test, useTestApp } from './fixtures.js';

// The fixtures the suites build on: each describe block's own app on its dialect, a tenant per
// test, and providers in that tenant.
describe.each(dialects)('fixtures on %s', (dialect) => {
  useTestApp(dialect);
  const tenants = new Set<string>();

  test('give the block its app, a tenant and its providers', async ({ app, tenant, provider }) => {
    expect(app.db.options.type).toBe(dialect === 'postgres' ? 'postgres' : 'better-sqlite3');
    tenants.add(tenant.tenantId);
    const made = await provider('Fixture', {
      services: [
        ['Fixture cut', 3000],
        ['Fixture wash', 1500],
      ],
    });
    expect(made.user).toMatchObject({ tenantId: tenant.tenantId, name: 'Fixture' });
    const res = await app.execute(SERVICES_WITH_PRICES, { u: made.user.id }, tenant.key);
    expect(res.body.errors).toBeUndefined();
    expect(res.data.services).toEqual(made.services);
  });

  test('a new tenant for each test, and providers written straight to the database', async ({
    app,
    tenant,
    provider,
  }) => {
    expect(tenants.has(tenant.tenantId)).toBe(false);
    const made = await provider('Direct', { via: 'db', services: [['Direct cut', 1000]] });
    const res = await app.execute(SERVICES_WITH_PRICES, { u: made.user.id }, tenant.key);
    expect(res.data.services).toEqual(made.services);
  });
});

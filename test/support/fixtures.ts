import { randomUUID } from 'node:crypto';
import { afterAll, test as base, beforeAll, expect } from 'vitest';
import { Service } from '../../src/db/entities/service.entity.js';
import type { Plan, User } from '../../src/db/entities/user.entity.js';
import { buildTestApp, type TestApp, type TestAppOptions, type TestDialect } from './app.js';
import { CREATE_SERVICE } from './documents.js';

/** A tenant and its API key (already known to the app's authenticator). */
export interface TestTenant {
  tenantId: string;
  key: string;
}

export interface ProviderOptions {
  /** The services it offers, in order: name and price. Default: one `<name> cut` at 3000. */
  services?: readonly (readonly [name: string, priceCents: number])[];
  /**
   * `api` (default): through createService with the tenant's key, as a caller would, so the
   * write invalidates what it touches. `db`: written straight to the database, which touches
   * neither the cache nor the store (a test about the store failing chooses when it fails).
   */
  via?: 'api' | 'db';
  plan?: Plan;
  /** The user's name when it isn't the provider's `name`. */
  userName?: string;
}

/** A provider (a user of the tenant) and the services it offers, as SERVICES answers them. */
export interface TestProvider {
  user: User;
  services: { id: string; name: string; priceCents: number }[];
}

/** The `provider` fixture: makes a provider with services in the test's tenant. */
export type MakeProvider = (name: string, options?: ProviderOptions) => Promise<TestProvider>;

/** Makes a provider with its services in `owner`'s tenant (its key is needed for `api`). */
export async function createProvider(
  app: TestApp,
  owner: { tenantId: string; key?: string },
  name: string,
  options: ProviderOptions = {},
): Promise<TestProvider> {
  const user = await app.createUser(owner.tenantId, options.userName ?? name, options.plan);
  const services: TestProvider['services'] = [];
  for (const [service, priceCents] of options.services ?? [[`${name} cut`, 3000]]) {
    if (options.via === 'db') {
      const row = await app.db.getRepository(Service).save({
        id: randomUUID(),
        tenantId: owner.tenantId,
        userId: user.id,
        name: service,
        durationMinutes: 30,
        priceCents,
        active: true,
        createdAt: new Date(),
        deletedAt: null,
      });
      services.push({ id: row.id, name: service, priceCents });
      continue;
    }
    if (!owner.key) throw new Error('a provider made through the API needs the tenant key');
    const created = await app.execute(
      CREATE_SERVICE,
      { i: { userId: user.id, name: service, durationMinutes: 30, priceCents } },
      owner.key,
    );
    expect(created.body.errors).toBeUndefined();
    services.push({ id: created.data.createService.id, name: service, priceCents });
  }
  return { user, services };
}

/** A new tenant with its key. */
export async function createTestTenant(app: TestApp, name = 'Tenant', timezone?: string) {
  const { tenant, key } = await app.createTenant(name, timezone);
  return { tenantId: tenant.id, key } satisfies TestTenant;
}

/**
 * The suites' fixtures (Hive's way): `app` is the app of the enclosing describe block (given
 * by `useTestApp`), `tenant` a new tenant of it for each test, and `provider(name, options)`
 * makes a provider with services in that tenant.
 */
export const test = base.extend<{
  app: TestApp;
  tenant: TestTenant;
  provider: MakeProvider;
}>({
  app: async ({ task }, _use) => {
    throw new Error(`"${task.name}" uses the app fixture outside a describe with useTestApp()`);
  },
  tenant: async ({ app, task }, use) => {
    await use(await createTestTenant(app, task.name.slice(0, 100)));
  },
  provider: async ({ app, tenant }, use) => {
    await use((name, options) => createProvider(app, tenant, name, options));
  },
});

/**
 * Builds one app, on its own database, for the enclosing describe block (one per dialect when
 * the block runs under describe.each(dialects)), closed after it; its tests receive it as the
 * `app` fixture. Returns a getter for hooks, which don't receive test fixtures.
 */
export function useTestApp(dialect: TestDialect, options: TestAppOptions = {}): () => TestApp {
  let app: TestApp | undefined;
  beforeAll(async () => {
    app = await buildTestApp(dialect, options);
  });
  afterAll(() => app?.close());
  const current = () => {
    if (!app) throw new Error('the app is built in beforeAll');
    return app;
  };
  test.override('app', () => current());
  return current;
}

import { describe, expect } from 'vitest';
import { Service } from '../../src/db/entities/service.entity.js';
import type { CreateServiceInput } from '../gql/graphql.js';
import { graphql } from '../gql/index.js';
import { codes, dialects, type TestApp } from '../support/app.js';
import { type MakeProvider, type TestTenant, test, useTestApp } from '../support/fixtures.js';

const CREATE = graphql(`
  mutation ServicesCreate($i: CreateServiceInput!) {
    createService(input: $i) { id name durationMinutes priceCents active user { id name } }
  }
`);
const LIST = graphql(`
  query ServicesList($u: ID!) {
    services(userId: $u) { id name active }
    user(id: $u) { services { id } }
  }
`);
const UPDATE = graphql(`
  mutation ServicesUpdate($id: ID!, $i: UpdateServiceInput!) {
    updateService(id: $id, input: $i) { id name priceCents active }
  }
`);
const DELETE = graphql(`
  mutation ServicesDelete($id: ID!) { deleteService(id: $id) { id active } }
`);

describe.each(dialects)('services on %s', (dialect) => {
  useTestApp(dialect);

  /** Joana, a provider of the test's tenant with no service yet, and how to add one for her. */
  async function joana(app: TestApp, tenant: TestTenant, provider: MakeProvider) {
    const { user } = await provider('Joana', { services: [] });
    const create = (i: Partial<CreateServiceInput>) =>
      app.execute(
        CREATE,
        { i: { userId: user.id, name: 'Cut', durationMinutes: 30, priceCents: 5000, ...i } },
        tenant.key,
      );
    return { userId: user.id, key: tenant.key, create };
  }

  test('creates, lists by name, updates and deletes', async ({ app, tenant, provider }) => {
    const { userId, key, create } = await joana(app, tenant, provider);
    const massage = await create({ name: 'Massage', durationMinutes: 60, priceCents: 12000 });
    expect(massage.data.createService).toMatchObject({
      name: 'Massage',
      durationMinutes: 60,
      priceCents: 12000,
      active: true,
      user: { id: userId, name: 'Joana' },
    });
    const id = massage.data.createService.id;
    await create({ name: 'Brows' });

    const listed = await app.execute(LIST, { u: userId }, key);
    expect(listed.data.services.map((s) => s.name)).toEqual(['Brows', 'Massage']);
    expect(listed.data.user?.services).toHaveLength(2);

    const updated = await app.execute(UPDATE, { id, i: { priceCents: 13000, active: false } }, key);
    expect(updated.data.updateService).toEqual({
      id,
      name: 'Massage',
      priceCents: 13000,
      active: false,
    });

    const deleted = await app.execute(DELETE, { id }, key);
    expect(deleted.data.deleteService).toEqual({ id, active: false });
    const after = await app.execute(LIST, { u: userId }, key);
    expect(after.data.services.map((s) => s.name)).toEqual(['Brows']);
    expect(await app.db.getRepository(Service).existsBy({ id })).toBe(true);

    const again = await app.execute(DELETE, { id }, key);
    expect(codes(again.body)).toEqual(['NOT_FOUND']);
  });

  test('validates with BAD_USER_INPUT naming the field, writing nothing', async ({
    app,
    tenant,
    provider,
  }) => {
    const { key, create } = await joana(app, tenant, provider);
    const before = await app.db.getRepository(Service).count();
    const cases: [Record<string, unknown>, string][] = [
      [{ priceCents: -1 }, 'input.priceCents: must not be negative'],
      [{ durationMinutes: 4 }, 'input.durationMinutes: must be between 5 and 600 minutes'],
      [{ durationMinutes: 601 }, 'input.durationMinutes: must be between 5 and 600 minutes'],
      [{ name: '   ' }, 'input.name: must not be empty'],
      [{ name: 'n'.repeat(201) }, 'input.name: must be at most 200 characters'],
    ];
    for (const [input, message] of cases) {
      const res = await create(input);
      expect(codes(res.body)).toEqual(['BAD_USER_INPUT']);
      expect(res.body.errors?.[0].message).toBe(message);
    }
    const { id } = (await create({ name: 'Valid' })).data.createService;
    const bad = await app.execute(UPDATE, { id, i: { durationMinutes: 1000 } }, key);
    expect(bad.body.errors?.[0].message).toBe(
      'input.durationMinutes: must be between 5 and 600 minutes',
    );
    expect(await app.db.getRepository(Service).count()).toBe(before + 1);
    expect((await app.db.getRepository(Service).findOneByOrFail({ id })).durationMinutes).toBe(30);
  });

  test("keeps other tenants' services out of reach", async ({ app, tenant, provider }) => {
    const { userId, create } = await joana(app, tenant, provider);
    const other = await app.createTenant('Other');
    const { id } = (await create({ name: 'Private' })).data.createService;
    const update = await app.execute(UPDATE, { id, i: { name: 'Mine now' } }, other.key);
    expect(codes(update.body)).toEqual(['NOT_FOUND']);
    const createForeign = await app.execute(
      CREATE,
      { i: { userId, name: 'X', durationMinutes: 30, priceCents: 1 } },
      other.key,
    );
    expect(codes(createForeign.body)).toEqual(['NOT_FOUND']);
    expect((await app.db.getRepository(Service).findOneByOrFail({ id })).name).toBe('Private');
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Service } from '../../src/db/entities/service.entity.js';
import { buildTestApp, codes, dialects, type TestApp } from '../support/app.js';

const CREATE = `mutation($i: CreateServiceInput!) {
  createService(input: $i) { id name durationMinutes priceCents active user { id name } }
}`;
const LIST = `query($u: ID!) { services(userId: $u) { id name active } user(id: $u) { services { id } } }`;

describe.each(dialects)('services on %s', (dialect) => {
  let app: TestApp;
  let key: string;
  let userId: string;

  beforeAll(async () => {
    app = await buildTestApp(dialect);
    const { tenant, key: k } = await app.createTenant();
    key = k;
    userId = (await app.createUser(tenant.id, 'Joana')).id;
  });
  afterAll(() => app.close());

  const create = (i: Record<string, unknown>) =>
    app.execute(
      CREATE,
      { i: { userId, name: 'Cut', durationMinutes: 30, priceCents: 5000, ...i } },
      key,
    );

  it('creates, lists by name, updates and deletes', async () => {
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
    expect(listed.data.services.map((s: any) => s.name)).toEqual(['Brows', 'Massage']);
    expect(listed.data.user.services).toHaveLength(2);

    const updated = await app.execute(
      `mutation($id: ID!) { updateService(id: $id, input: { priceCents: 13000, active: false }) { name priceCents active } }`,
      { id },
      key,
    );
    expect(updated.data.updateService).toEqual({
      name: 'Massage',
      priceCents: 13000,
      active: false,
    });

    const deleted = await app.execute(
      `mutation($id: ID!) { deleteService(id: $id) { id active } }`,
      { id },
      key,
    );
    expect(deleted.data.deleteService).toEqual({ id, active: false });
    const after = await app.execute(LIST, { u: userId }, key);
    expect(after.data.services.map((s: any) => s.name)).toEqual(['Brows']);
    expect(await app.db.getRepository(Service).existsBy({ id })).toBe(true);

    const again = await app.execute(
      `mutation($id: ID!) { deleteService(id: $id) { id } }`,
      { id },
      key,
    );
    expect(codes(again.body)).toEqual(['NOT_FOUND']);
  });

  it('validates with BAD_USER_INPUT naming the field, writing nothing', async () => {
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
    const bad = await app.execute(
      `mutation($id: ID!) { updateService(id: $id, input: { durationMinutes: 1000 }) { id } }`,
      { id },
      key,
    );
    expect(bad.body.errors?.[0].message).toBe(
      'input.durationMinutes: must be between 5 and 600 minutes',
    );
    expect(await app.db.getRepository(Service).count()).toBe(before + 1);
    expect((await app.db.getRepository(Service).findOneByOrFail({ id })).durationMinutes).toBe(30);
  });

  it("keeps other tenants' services out of reach", async () => {
    const other = await app.createTenant('Other');
    const { id } = (await create({ name: 'Private' })).data.createService;
    const update = await app.execute(
      `mutation($id: ID!) { updateService(id: $id, input: { name: "Mine now" }) { id } }`,
      { id },
      other.key,
    );
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

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, dialects, type TestApp } from '../support/app.js';

describe.each(dialects)('smoke on %s', (dialect) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await buildTestApp(dialect);
  });
  afterAll(() => app.close());

  it('serves an agenda', async () => {
    const { tenant, key } = await app.createTenant();
    const user = await app.createUser(tenant.id);
    const svc = await app.execute(
      `mutation($input: CreateServiceInput!) { createService(input: $input) { id name } }`,
      { input: { userId: user.id, name: 'Cut', durationMinutes: 30, priceCents: 5000 } },
      key,
    );
    expect(svc.body.errors).toBeUndefined();
    const appt = await app.execute(
      `mutation($input: CreateAppointmentInput!) { createAppointment(input: $input) { id endsAt status } }`,
      {
        input: {
          userId: user.id,
          serviceId: svc.data.createService.id,
          clientName: 'Ana',
          startsAt: '2026-11-22T14:00:00Z',
        },
      },
      key,
    );
    expect(appt.body.errors).toBeUndefined();
    const res = await app.execute(
      `query($u: ID!) { agenda(userId: $u, date: "2026-11-22") { id date appointments { clientName provider { name } service { name priceCents } } } }`,
      { u: user.id },
      key,
    );
    expect(res.body).toMatchObject({ data: { agenda: { appointments: [{ clientName: 'Ana' }] } } });
  });
});

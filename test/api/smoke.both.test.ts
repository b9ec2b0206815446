import { describe, expect } from 'vitest';
import { dialects } from '../support/app.js';
import { test, useTestApp } from '../support/fixtures.js';

describe.each(dialects)('smoke on %s', (dialect) => {
  useTestApp(dialect);

  test('serves an agenda', async ({ app, tenant, provider }) => {
    const { key } = tenant;
    const { user, services } = await provider('Provider', { services: [['Cut', 5000]] });
    const appt = await app.execute(
      `mutation($input: CreateAppointmentInput!) { createAppointment(input: $input) { id endsAt status } }`,
      {
        input: {
          userId: user.id,
          serviceId: services[0].id,
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

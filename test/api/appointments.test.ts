import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Appointment } from '../../src/db/entities/appointment.entity.js';
import { graphql } from '../gql/index.js';
import { buildTestApp, codes, dialects, type TestApp } from '../support/app.js';
import { CREATE_SERVICE } from '../support/documents.js';

// Plain text: the validation cases send values its input type refuses (status: 'DONE').
const CREATE = `mutation($input: CreateAppointmentInput!) {
  createAppointment(input: $input) { id startsAt endsAt status clientName service { id } provider { id } }
}`;
const UPDATE = graphql(`
  mutation AppointmentsUpdate($id: ID!, $input: UpdateAppointmentInput!) {
    updateAppointment(id: $id, input: $input) {
      id startsAt endsAt status clientName service { id }
    }
  }
`);
const AGENDA = graphql(`
  query AppointmentsAgenda($u: ID!, $d: Date!) {
    agenda(userId: $u, date: $d) {
      id date user { id } appointments { id clientName status startsAt }
    }
  }
`);
const CANCEL = graphql(`
  mutation AppointmentsCancel($id: ID!) { cancelAppointment(id: $id) { id status } }
`);
const SET_SERVICE_ACTIVE = graphql(`
  mutation AppointmentsSetServiceActive($id: ID!, $active: Boolean!) {
    updateService(id: $id, input: { active: $active }) { id }
  }
`);

describe.each(dialects)('agenda and appointments on %s', (dialect) => {
  let app: TestApp;
  let key: string;
  let userId: string;
  let tenantId: string;
  let cut: string; // 30 min
  let color: string; // 90 min

  beforeAll(async () => {
    app = await buildTestApp(dialect);
    const { tenant, key: k } = await app.createTenant('Salon', 'America/Sao_Paulo');
    key = k;
    tenantId = tenant.id;
    userId = (await app.createUser(tenant.id, 'Lia')).id;
    const svc = (name: string, durationMinutes: number) =>
      app.execute(CREATE_SERVICE, { i: { userId, name, durationMinutes, priceCents: 4000 } }, key);
    cut = (await svc('Cut', 30)).data.createService.id;
    color = (await svc('Color', 90)).data.createService.id;
  });
  afterAll(() => app.close());

  const create = (input: Record<string, unknown>) =>
    app.execute(CREATE, { input: { userId, serviceId: cut, clientName: 'Ana', ...input } }, key);
  const agenda = (date: string) => app.execute(AGENDA, { u: userId, d: date }, key);

  it("reads the agenda date in the tenant's time zone", async () => {
    // 02:30Z on the 11th is 23:30 on the 10th in São Paulo (UTC-3).
    const late = await create({ clientName: 'Late', startsAt: '2026-06-11T02:30:00Z' });
    const early = await create({ clientName: 'Early', startsAt: '2026-06-11T03:30:00Z' });
    expect(late.body.errors).toBeUndefined();
    const tenth = await agenda('2026-06-10');
    const eleventh = await agenda('2026-06-11');
    expect(tenth.data.agenda.id).toBe(`${userId}:2026-06-10`);
    expect(tenth.data.agenda.appointments.map((a) => a.clientName)).toEqual(['Late']);
    expect(eleventh.data.agenda.appointments.map((a) => a.clientName)).toEqual(['Early']);
    expect(early.data.createAppointment.id).toBe(eleventh.data.agenda.appointments[0].id);
  });

  it("creates a PENDING appointment ending after the service's duration", async () => {
    const res = await create({ startsAt: '2026-06-12T13:00:00Z' });
    expect(res.data.createAppointment).toMatchObject({
      status: 'PENDING',
      startsAt: '2026-06-12T13:00:00.000Z',
      endsAt: '2026-06-12T13:30:00.000Z',
      provider: { id: userId },
    });
  });

  it('moves an appointment between days and recomputes its end when the service changes', async () => {
    const { id } = (await create({ clientName: 'Mover', startsAt: '2026-06-15T13:00:00Z' })).data
      .createAppointment;
    const moved = await app.execute(
      UPDATE,
      { id, input: { startsAt: '2026-06-16T14:00:00Z', serviceId: color, status: 'CONFIRMED' } },
      key,
    );
    expect(moved.data.updateAppointment).toMatchObject({
      startsAt: '2026-06-16T14:00:00.000Z',
      endsAt: '2026-06-16T15:30:00.000Z',
      status: 'CONFIRMED',
      clientName: 'Mover',
      service: { id: color },
    });
    expect((await agenda('2026-06-15')).data.agenda.appointments).toEqual([]);
    expect((await agenda('2026-06-16')).data.agenda.appointments.map((a) => a.clientName)).toEqual([
      'Mover',
    ]);
  });

  it('cancels, and the agenda keeps the cancelled appointment with its status', async () => {
    const { id } = (await create({ clientName: 'Gone', startsAt: '2026-06-17T13:00:00Z' })).data
      .createAppointment;
    const res = await app.execute(CANCEL, { id }, key);
    expect(res.data.cancelAppointment.status).toBe('CANCELLED');
    expect((await agenda('2026-06-17')).data.agenda.appointments).toMatchObject([
      { id, status: 'CANCELLED' },
    ]);
  });

  it('rejects bad input with BAD_USER_INPUT naming the field, and writes nothing', async () => {
    const before = await app.db.getRepository(Appointment).count();
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ clientName: '', startsAt: '2026-06-20T13:00:00Z' }, /^input\.clientName: /],
      [{ clientName: 'x'.repeat(201), startsAt: '2026-06-20T13:00:00Z' }, /^input\.clientName: /],
      [{ startsAt: '1999-12-31T13:00:00Z' }, /^input\.startsAt: /],
      [{ startsAt: 'tomorrow' }, /startsAt/],
      [{ startsAt: '2026-06-20T13:00:00Z', status: 'DONE' }, /status/],
    ];
    for (const [input, message] of cases) {
      const res = await create(input);
      expect(codes(res.body), JSON.stringify(input)).toEqual(['BAD_USER_INPUT']);
      expect(res.body.errors?.[0].message).toMatch(message);
    }
    expect(await app.db.getRepository(Appointment).count()).toBe(before);
  });

  it("refuses another provider's service and an inactive one", async () => {
    const other = await app.createUser(tenantId, 'Other provider');
    const theirs = await app.execute(
      CREATE_SERVICE,
      { i: { userId: other.id, name: 'Theirs', durationMinutes: 30, priceCents: 1 } },
      key,
    );
    const wrong = await create({
      serviceId: theirs.data.createService.id,
      startsAt: '2026-06-21T13:00:00Z',
    });
    expect(codes(wrong.body)).toEqual(['BAD_USER_INPUT']);
    expect(wrong.body.errors?.[0].message).toMatch(/^input\.serviceId: /);

    const deactivated = await app.execute(SET_SERVICE_ACTIVE, { id: color, active: false }, key);
    expect(deactivated.body.errors).toBeUndefined();
    const inactive = await create({ serviceId: color, startsAt: '2026-06-21T13:00:00Z' });
    expect(inactive.body.errors?.[0].message).toBe('input.serviceId: is not active');
    const reactivated = await app.execute(SET_SERVICE_ACTIVE, { id: color, active: true }, key);
    expect(reactivated.body.errors).toBeUndefined();
  });

  it("answers NOT_FOUND for another tenant's appointment and leaves it alone", async () => {
    const { id } = (await create({ clientName: 'Mine', startsAt: '2026-06-22T13:00:00Z' })).data
      .createAppointment;
    const stranger = await app.createTenant('Stranger');
    const res = await app.execute(CANCEL, { id }, stranger.key);
    expect(codes(res.body)).toEqual(['NOT_FOUND']);
    expect((await app.db.getRepository(Appointment).findOneByOrFail({ id })).status).toBe(
      'PENDING',
    );
  });
});

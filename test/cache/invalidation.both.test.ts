import { DateTime } from 'luxon';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Appointment } from '../../src/db/entities/appointment.entity.js';
import { MessageTemplate } from '../../src/db/entities/message-template.entity.js';
import { Sale } from '../../src/db/entities/sale.entity.js';
import { Service } from '../../src/db/entities/service.entity.js';
import { WhatsAppSession } from '../../src/db/entities/whatsapp-session.entity.js';
import { localDate } from '../../src/time.js';
import { graphql } from '../gql/index.js';
import {
  buildTestApp,
  dialects,
  type GraphQLDocument,
  sharedRedisCache,
  type TestApp,
} from '../support/app.js';
import { CREATE_SERVICE } from '../support/documents.js';
import { cacheAll, expectedStates, ok as okAs, type Read, readOf } from '../support/reads.js';

/**
 * DESIGN §4, one test per row: a write empties exactly the cached responses it made stale
 * (MISS, then the new data, then HIT again) and leaves the neighbours cached (HIT): the other
 * day, the other user, the other tenant, the other month, the other session.
 * Each write also shows it invalidates after its commit: at that moment the database, read from
 * outside the write, already holds the new data.
 */

const AGENDA = `query Agenda($u: ID!, $d: Date!) {
  agenda(userId: $u, date: $d) { id date appointments { id clientName status startsAt service { id name } } }
}`;
const MEGA_STATS = `query MegaStats($tz: String) {
  megaStats(timezone: $tz) {
    id timezone
    today { pending confirmed cancelled total }
    month { pending confirmed cancelled total }
    nextMonth { pending confirmed cancelled total }
  }
}`;
const SERVICES = graphql(`
  query InvalidationServices($u: ID!) {
    services(userId: $u) { id name active }
  }
`);
const USER_SERVICES = `query UserServices($u: ID!) { user(id: $u) { id name services { id name } } }`;
const TEMPLATE_BY_TYPE = `query TemplateByType($u: ID!, $t: TemplateType!) {
  templateByType(userId: $u, type: $t) { id name body }
}`;
const RENDER_TEMPLATE = `query RenderTemplate($u: ID!, $t: TemplateType!, $v: JSON!) {
  renderTemplate(userId: $u, type: $t, variables: $v) { text template { id } }
}`;
const ANALYTICS = `query Analytics($input: AnalyticsQueryInput!) {
  analytics(input: $input) { id rows { keys values } }
}`;
const SESSION = `query Session($id: ID!) {
  session(id: $id) { id name status { id state } qrCode { id code } credential { id deviceJid } }
}`;
const SESSION_STATUS = `query SessionStatus($id: ID!) { sessionStatus(id: $id) { id state } }`;

const UPDATE_SERVICE = `mutation UpdateService($id: ID!, $i: UpdateServiceInput!) {
  updateService(id: $id, input: $i) { id name }
}`;
const DELETE_SERVICE = `mutation DeleteService($id: ID!) { deleteService(id: $id) { id active } }`;
const CREATE_APPOINTMENT = `mutation CreateAppointment($i: CreateAppointmentInput!) {
  createAppointment(input: $i) { id startsAt }
}`;
const UPDATE_APPOINTMENT = `mutation UpdateAppointment($id: ID!, $i: UpdateAppointmentInput!) {
  updateAppointment(id: $id, input: $i) { id startsAt status }
}`;
const CANCEL_APPOINTMENT = `mutation CancelAppointment($id: ID!) { cancelAppointment(id: $id) { id status } }`;
const UPSERT_TEMPLATE = `mutation UpsertTemplate($i: UpsertTemplateInput!) { upsertTemplate(input: $i) { id body } }`;
const CREATE_STORE = `mutation CreateStore($name: String!) { createStore(name: $name) { id } }`;
const RECORD_SALE = `mutation RecordSale($i: RecordSaleInput!) { recordSale(input: $i) { id } }`;
const CREATE_SESSION = `mutation CreateSession($name: String!) { createSession(name: $name) { id } }`;

const TZ = 'America/Sao_Paulo';
const DAY_MS = 24 * 60 * 60 * 1000;

describe.each(dialects)('DESIGN §4 invalidation on %s with Redis', (dialect) => {
  let app: TestApp;

  beforeAll(async () => {
    app = await buildTestApp(dialect, {
      // A slow Redis (the suite runs files in parallel) must not turn a lookup into a BYPASS
      // here: failing open is test/cache/failure.both.test.ts's subject.
      cache: sharedRedisCache({ debug: true }),
    });
  });
  afterAll(() => app.close());
  beforeEach(() => {
    app.clock.now = () => new Date();
  });

  const ok = (query: GraphQLDocument, variables: Record<string, unknown>, key: string) =>
    okAs(app, query, variables, key);

  /**
   * Runs `write` and, each time it invalidates, reads `probe` from the database (outside the
   * write's transaction): what had been committed when the tags were invalidated.
   */
  async function committedAtInvalidation<T, R>(
    probe: () => Promise<T>,
    write: () => Promise<R>,
  ): Promise<{ result: R; committed: T[] }> {
    const store = app.app.cache.store;
    if (!store) throw new Error('this test needs a cache store');
    const invalidate = store.invalidate;
    const committed: T[] = [];
    store.invalidate = async (tenantId, tags) => {
      committed.push(await probe());
      return invalidate.call(store, tenantId, tags);
    };
    try {
      return { result: await write(), committed };
    } finally {
      store.invalidate = invalidate;
    }
  }

  const read = (
    name: string,
    query: GraphQLDocument,
    variables: Record<string, unknown>,
    key: string,
  ) => readOf(app, name, query, variables, key);

  /**
   * Sends every read once and returns its X-Cache by name, with the data. Each stale read is
   * sent a second time too, to show its fresh result was stored again.
   */
  async function readAgain(reads: Read[]) {
    const states: Record<string, string | null> = {};
    const data: Record<string, any> = {};
    for (const r of reads) {
      const res = await r.run();
      expect(res.body.errors, r.name).toBeUndefined();
      states[r.name] = res.headers.get('x-cache');
      data[r.name] = res.data;
      if (states[r.name] === 'MISS') {
        const again = await r.run();
        expect(again.headers.get('x-cache'), `${r.name} once refreshed`).toBe('HIT');
        expect(again.data, `${r.name} once refreshed`).toEqual(res.data);
      }
    }
    return { states, data };
  }

  /**
   * Tenant A (São Paulo) with providers Ana and Bia, tenant B (Tokyo) with Carl; each provider
   * has one service.
   */
  async function world() {
    const a = await app.createTenant('A', TZ);
    const b = await app.createTenant('B', 'Asia/Tokyo');
    const ana = (await app.createUser(a.tenant.id, 'Ana')).id;
    const bia = (await app.createUser(a.tenant.id, 'Bia')).id;
    const carl = (await app.createUser(b.tenant.id, 'Carl')).id;
    const service = async (key: string, userId: string, name: string) =>
      (
        await ok(
          CREATE_SERVICE,
          { i: { userId, name, durationMinutes: 30, priceCents: 5000 } },
          key,
        )
      ).createService.id as string;
    return {
      a: { key: a.key, tenantId: a.tenant.id },
      b: { key: b.key, tenantId: b.tenant.id },
      ana,
      bia,
      carl,
      anaService: await service(a.key, ana, 'Cut'),
      biaService: await service(a.key, bia, 'Nails'),
      carlService: await service(b.key, carl, 'Massage'),
    };
  }

  type World = Awaited<ReturnType<typeof world>>;

  async function book(w: World, who: 'ana' | 'bia', startsAt: Date, clientName = 'Client') {
    const serviceId = who === 'ana' ? w.anaService : w.biaService;
    const i = { userId: w[who], serviceId, clientName, startsAt: startsAt.toISOString() };
    return (await ok(CREATE_APPOINTMENT, { i }, w.a.key)).createAppointment.id as string;
  }

  const day = (instant: Date, tz = TZ) => localDate(instant, tz);
  const clientNames = (agenda: any) => agenda.agenda.appointments.map((x: any) => x.clientName);

  /** The tenant's megaStats in its own zone and two others, plus tenant B's. */
  const megaStatsReads = (w: World) => [
    read('A megaStats (tenant zone)', MEGA_STATS, {}, w.a.key),
    read('A megaStats UTC', MEGA_STATS, { tz: 'UTC' }, w.a.key),
    read('A megaStats Tokyo', MEGA_STATS, { tz: 'Asia/Tokyo' }, w.a.key),
    read('B megaStats', MEGA_STATS, {}, w.b.key),
  ];
  const STALE_MEGA_STATS = ['A megaStats (tenant zone)', 'A megaStats UTC', 'A megaStats Tokyo'];

  it("createAppointment empties that provider's day and the tenant's megaStats in every zone", async () => {
    const now = new Date();
    app.clock.now = () => now;
    const w = await world();
    const today = day(now);
    const tomorrow = day(new Date(now.getTime() + DAY_MS));
    await book(w, 'ana', new Date(now.getTime() + DAY_MS), 'Tomorrow');
    const reads = [
      read('Ana today', AGENDA, { u: w.ana, d: today }, w.a.key),
      read('Ana tomorrow', AGENDA, { u: w.ana, d: tomorrow }, w.a.key),
      read('Bia today', AGENDA, { u: w.bia, d: today }, w.a.key),
      read('Carl today (B)', AGENDA, { u: w.carl, d: day(now, 'Asia/Tokyo') }, w.b.key),
      ...megaStatsReads(w),
    ];
    const before = await cacheAll(reads);
    expect(clientNames(before['Ana today'])).toEqual([]);
    for (const name of STALE_MEGA_STATS) expect(before[name].megaStats.today.total).toBe(0);

    const { committed } = await committedAtInvalidation(
      () => app.db.getRepository(Appointment).countBy({ userId: w.ana }),
      () => book(w, 'ana', now, 'New'),
    );
    expect(committed).toEqual([2]);

    const { states, data } = await readAgain(reads);
    expect(states).toEqual(expectedStates(reads, ['Ana today', ...STALE_MEGA_STATS]));
    expect(clientNames(data['Ana today'])).toEqual(['New']);
    expect(clientNames(data['Ana tomorrow'])).toEqual(['Tomorrow']);
    for (const name of STALE_MEGA_STATS) {
      expect(data[name].megaStats.today, name).toEqual({
        pending: 1,
        confirmed: 0,
        cancelled: 0,
        total: 1,
      });
    }
  });

  it('updateAppointment empties the old day and the new day, and megaStats', async () => {
    const now = new Date();
    app.clock.now = () => now;
    const w = await world();
    const at = (days: number) => new Date(now.getTime() + days * DAY_MS);
    const id = await book(w, 'ana', at(2), 'Mover');
    await book(w, 'bia', at(2), 'Stays');
    const reads = [
      read('Ana old day', AGENDA, { u: w.ana, d: day(at(2)) }, w.a.key),
      read('Ana new day', AGENDA, { u: w.ana, d: day(at(3)) }, w.a.key),
      read('Ana other day', AGENDA, { u: w.ana, d: day(at(4)) }, w.a.key),
      read('Bia old day', AGENDA, { u: w.bia, d: day(at(2)) }, w.a.key),
      read('Carl old day (B)', AGENDA, { u: w.carl, d: day(at(2), 'Asia/Tokyo') }, w.b.key),
      ...megaStatsReads(w),
    ];
    const before = await cacheAll(reads);
    expect(clientNames(before['Ana old day'])).toEqual(['Mover']);
    expect(clientNames(before['Ana new day'])).toEqual([]);

    const { committed } = await committedAtInvalidation(
      () => app.db.getRepository(Appointment).findOneByOrFail({ id }),
      () =>
        ok(
          UPDATE_APPOINTMENT,
          { id, i: { startsAt: at(3).toISOString(), status: 'CONFIRMED' } },
          w.a.key,
        ),
    );
    expect(committed).toMatchObject([{ status: 'CONFIRMED', startsAt: at(3) }]);

    const { states, data } = await readAgain(reads);
    expect(states).toEqual(
      expectedStates(reads, ['Ana old day', 'Ana new day', ...STALE_MEGA_STATS]),
    );
    expect(clientNames(data['Ana old day'])).toEqual([]);
    expect(data['Ana new day'].agenda.appointments).toMatchObject([
      { id, clientName: 'Mover', status: 'CONFIRMED', startsAt: at(3).toISOString() },
    ]);
    expect(clientNames(data['Bia old day'])).toEqual(['Stays']);
    // Two appointments in the next two months: Bia's still pending, Ana's now confirmed.
    for (const name of STALE_MEGA_STATS) {
      const { month, nextMonth } = data[name].megaStats;
      expect(month.confirmed + nextMonth.confirmed, name).toBe(1);
      expect(month.pending + nextMonth.pending, name).toBe(1);
    }
  });

  it("cancelAppointment empties that provider's day and megaStats", async () => {
    const now = new Date();
    app.clock.now = () => now;
    const w = await world();
    const id = await book(w, 'ana', now, 'Cancelled');
    await book(w, 'ana', new Date(now.getTime() - DAY_MS), 'Yesterday');
    await book(w, 'bia', now, 'Bia client');
    const reads = [
      read('Ana today', AGENDA, { u: w.ana, d: day(now) }, w.a.key),
      read(
        'Ana yesterday',
        AGENDA,
        { u: w.ana, d: day(new Date(now.getTime() - DAY_MS)) },
        w.a.key,
      ),
      read('Bia today', AGENDA, { u: w.bia, d: day(now) }, w.a.key),
      read('Carl today (B)', AGENDA, { u: w.carl, d: day(now, 'Asia/Tokyo') }, w.b.key),
      ...megaStatsReads(w),
    ];
    const before = await cacheAll(reads);
    expect(before['Ana today'].agenda.appointments[0].status).toBe('PENDING');

    const { committed } = await committedAtInvalidation(
      () => app.db.getRepository(Appointment).findOneByOrFail({ id }),
      () => ok(CANCEL_APPOINTMENT, { id }, w.a.key),
    );
    expect(committed).toMatchObject([{ status: 'CANCELLED' }]);

    const { states, data } = await readAgain(reads);
    expect(states).toEqual(expectedStates(reads, ['Ana today', ...STALE_MEGA_STATS]));
    expect(data['Ana today'].agenda.appointments).toMatchObject([{ id, status: 'CANCELLED' }]);
    expect(data['Bia today'].agenda.appointments[0].status).toBe('PENDING');
    for (const name of STALE_MEGA_STATS) {
      expect(data[name].megaStats.today, name).toEqual({
        pending: 1,
        confirmed: 0,
        cancelled: 1,
        total: 2,
      });
    }
  });

  const serviceReads = (w: World) => [
    read('Ana services', SERVICES, { u: w.ana }, w.a.key),
    read('Ana User.services', USER_SERVICES, { u: w.ana }, w.a.key),
    read('Bia services', SERVICES, { u: w.bia }, w.a.key),
    read('Bia User.services', USER_SERVICES, { u: w.bia }, w.a.key),
    read('Carl services (B)', SERVICES, { u: w.carl }, w.b.key),
  ];
  const names = (list: { name: string }[]) => list.map((s) => s.name);

  it("createService empties that provider's services and User.services only", async () => {
    const w = await world();
    const reads = serviceReads(w);
    await cacheAll(reads);

    const { committed } = await committedAtInvalidation(
      () => app.db.getRepository(Service).countBy({ userId: w.ana }),
      () =>
        ok(
          CREATE_SERVICE,
          { i: { userId: w.ana, name: 'Beard', durationMinutes: 15, priceCents: 2000 } },
          w.a.key,
        ),
    );
    expect(committed).toEqual([2]);

    const { states, data } = await readAgain(reads);
    expect(states).toEqual(expectedStates(reads, ['Ana services', 'Ana User.services']));
    expect(names(data['Ana services'].services)).toEqual(['Beard', 'Cut']);
    expect(names(data['Ana User.services'].user.services)).toEqual(['Beard', 'Cut']);
    expect(names(data['Bia services'].services)).toEqual(['Nails']);
  });

  it('updateService empties the lists and every agenda that shows the service', async () => {
    const now = new Date();
    const w = await world();
    await book(w, 'ana', now, 'Ana client');
    await book(w, 'bia', now, 'Bia client');
    const reads = [
      ...serviceReads(w),
      read('Ana agenda (shows Cut)', AGENDA, { u: w.ana, d: day(now) }, w.a.key),
      read('Bia agenda (shows Nails)', AGENDA, { u: w.bia, d: day(now) }, w.a.key),
    ];
    const before = await cacheAll(reads);
    expect(before['Ana agenda (shows Cut)'].agenda.appointments[0].service.name).toBe('Cut');

    const { committed } = await committedAtInvalidation(
      () => app.db.getRepository(Service).findOneByOrFail({ id: w.anaService }),
      () => ok(UPDATE_SERVICE, { id: w.anaService, i: { name: 'Haircut' } }, w.a.key),
    );
    expect(committed).toMatchObject([{ name: 'Haircut' }]);

    const { states, data } = await readAgain(reads);
    expect(states).toEqual(
      expectedStates(reads, ['Ana services', 'Ana User.services', 'Ana agenda (shows Cut)']),
    );
    expect(names(data['Ana services'].services)).toEqual(['Haircut']);
    expect(names(data['Ana User.services'].user.services)).toEqual(['Haircut']);
    expect(data['Ana agenda (shows Cut)'].agenda.appointments[0].service).toEqual({
      id: w.anaService,
      name: 'Haircut',
    });
    expect(data['Bia agenda (shows Nails)'].agenda.appointments[0].service.name).toBe('Nails');
  });

  it("deleteService empties that provider's services and User.services only", async () => {
    const w = await world();
    const reads = serviceReads(w);
    const before = await cacheAll(reads);
    expect(names(before['Ana services'].services)).toEqual(['Cut']);

    const { committed } = await committedAtInvalidation(
      () => app.db.getRepository(Service).findOneByOrFail({ id: w.anaService }),
      () => ok(DELETE_SERVICE, { id: w.anaService }, w.a.key),
    );
    expect(committed).toMatchObject([{ active: false, deletedAt: expect.any(Date) }]);

    const { states, data } = await readAgain(reads);
    expect(states).toEqual(expectedStates(reads, ['Ana services', 'Ana User.services']));
    expect(data['Ana services'].services).toEqual([]);
    expect(data['Ana User.services'].user.services).toEqual([]);
    expect(names(data['Bia services'].services)).toEqual(['Nails']);
  });

  it('upsertTemplate empties templateByType and renderTemplate of that tenant only', async () => {
    const w = await world();
    const vars = { client_name: 'Zé', provider_name: 'Ana', date: '2026-12-01', time: '10:00' };
    const reads = [
      read('A Ana reminder', TEMPLATE_BY_TYPE, { u: w.ana, t: 'APPOINTMENT_REMINDER' }, w.a.key),
      read('A Bia welcome', TEMPLATE_BY_TYPE, { u: w.bia, t: 'WELCOME' }, w.a.key),
      read(
        'A Ana rendered reminder',
        RENDER_TEMPLATE,
        { u: w.ana, t: 'APPOINTMENT_REMINDER', v: vars },
        w.a.key,
      ),
      read('B Carl reminder', TEMPLATE_BY_TYPE, { u: w.carl, t: 'APPOINTMENT_REMINDER' }, w.b.key),
      read(
        'B Carl rendered reminder',
        RENDER_TEMPLATE,
        { u: w.carl, t: 'APPOINTMENT_REMINDER', v: vars },
        w.b.key,
      ),
    ];
    const before = await cacheAll(reads);
    expect(before['A Ana reminder'].templateByType.id).toBe('builtin:APPOINTMENT_REMINDER');

    const body = 'See you on {{date}} at {{time}}, {{client_name}}!';
    const { result: saved, committed } = await committedAtInvalidation(
      () => app.db.getRepository(MessageTemplate).findBy({ tenantId: w.a.tenantId }),
      () =>
        ok(
          UPSERT_TEMPLATE,
          { i: { type: 'APPOINTMENT_REMINDER', name: 'Short reminder', body } },
          w.a.key,
        ),
    );
    expect(committed).toMatchObject([[{ body }]]);

    const { states, data } = await readAgain(reads);
    expect(states).toEqual(
      expectedStates(reads, ['A Ana reminder', 'A Bia welcome', 'A Ana rendered reminder']),
    );
    expect(data['A Ana reminder'].templateByType).toEqual({
      id: saved.upsertTemplate.id,
      name: 'Short reminder',
      body,
    });
    expect(data['A Ana rendered reminder'].renderTemplate.text).toBe(
      'See you on 2026-12-01 at 10:00, Zé!',
    );
    expect(data['B Carl reminder'].templateByType.id).toBe('builtin:APPOINTMENT_REMINDER');
    expect(data['B Carl rendered reminder'].renderTemplate.text).toMatch(/^Hi Zé, a reminder/);
  });

  it('recordSale empties the reports covering its month (in the tenant zone) and no others', async () => {
    const w = await world();
    const storeA = (await ok(CREATE_STORE, { name: 'Downtown' }, w.a.key)).createStore.id;
    const storeB = (await ok(CREATE_STORE, { name: 'Shibuya' }, w.b.key)).createStore.id;
    // Past months relative to today: their reports are long-lived, which is what makes a
    // wrong or missing invalidation visible.
    const month = (offset: number) =>
      DateTime.now().setZone(TZ).startOf('month').plus({ months: offset });
    const sept = month(-4);
    const sale = async (key: string, storeId: string, soldAt: DateTime, amountCents: number) =>
      ok(RECORD_SALE, { i: { storeId, channel: 'web', amountCents, soldAt: soldAt.toISO() } }, key);
    await sale(w.a.key, storeA, sept.plus({ days: 14, hours: 12 }), 1000);
    await sale(w.a.key, storeA, month(-8).plus({ days: 9, hours: 12 }), 700);
    await sale(w.b.key, storeB, sept.plus({ days: 14, hours: 12 }), 3000);

    const report = (name: string, key: string, from: DateTime, to: DateTime) =>
      read(
        name,
        ANALYTICS,
        {
          input: {
            metrics: ['REVENUE', 'ORDER_COUNT'],
            dateRange: { start: from.toISODate(), end: to.endOf('month').toISODate() },
          },
        },
        key,
      );
    const reads = [
      report('A sale month', w.a.key, sept, sept),
      report('A quarter around it', w.a.key, sept.minus({ months: 1 }), sept.plus({ months: 1 })),
      report('A next month', w.a.key, sept.plus({ months: 1 }), sept.plus({ months: 1 })),
      report('A earlier month', w.a.key, month(-8), month(-8)),
      report('B sale month', w.b.key, sept, sept),
    ];
    const before = await cacheAll(reads);
    const totals = (d: any) => d.analytics.rows[0]?.values ?? [0, 0];
    expect(totals(before['A sale month'])).toEqual([1000, 1]);

    // 01:00 UTC on the 1st of the next month is still the last evening of the sale month
    // in São Paulo (UTC-3): the sale belongs to that month, not the next.
    const lastEvening = sept.plus({ months: 1 }).setZone('UTC').set({ hour: 1 });
    expect(lastEvening.setZone(TZ).month).toBe(sept.month);
    const { committed } = await committedAtInvalidation(
      () => app.db.getRepository(Sale).countBy({ tenantId: w.a.tenantId }),
      () => sale(w.a.key, storeA, lastEvening, 500),
    );
    expect(committed).toEqual([3]);

    const { states, data } = await readAgain(reads);
    expect(states).toEqual(expectedStates(reads, ['A sale month', 'A quarter around it']));
    expect(totals(data['A sale month'])).toEqual([1500, 2]);
    expect(totals(data['A quarter around it'])).toEqual([1500, 2]);
    expect(totals(data['A next month'])).toEqual([0, 0]);
    expect(totals(data['A earlier month'])).toEqual([700, 1]);
    expect(totals(data['B sale month'])).toEqual([3000, 1]);
  });

  describe('session mutations empty that session only', () => {
    async function sessions() {
      const w = await world();
      const create = async (key: string, name: string) =>
        (await ok(CREATE_SESSION, { name }, key)).createSession.id as string;
      const s = {
        mine: await create(w.a.key, 'Front desk'),
        other: await create(w.a.key, 'Back office'),
        foreign: await create(w.b.key, 'Tokyo desk'),
      };
      const reads = [
        read('session', SESSION, { id: s.mine }, w.a.key),
        read('sessionStatus', SESSION_STATUS, { id: s.mine }, w.a.key),
        read('other session', SESSION, { id: s.other }, w.a.key),
        read('other sessionStatus', SESSION_STATUS, { id: s.other }, w.a.key),
        read('session of B', SESSION, { id: s.foreign }, w.b.key),
      ];
      const before = await cacheAll(reads);
      expect(before.session.session).toMatchObject({
        status: { state: 'DISCONNECTED' },
        qrCode: null,
        credential: null,
      });
      /** The write, and the session's row as committed when it invalidated. */
      const write = (query: GraphQLDocument, variables: Record<string, unknown>) =>
        committedAtInvalidation(
          () => app.db.getRepository(WhatsAppSession).findOneByOrFail({ id: s.mine }),
          () => ok(query, variables, w.a.key),
        );
      return { s, reads, write };
    }
    const STALE = ['session', 'sessionStatus'];

    it('updateSessionStatus', async () => {
      const { s, reads, write } = await sessions();
      const { committed } = await write(
        `mutation UpdateSessionStatus($id: ID!) { updateSessionStatus(id: $id, state: QR_PENDING) { id } }`,
        { id: s.mine },
      );
      expect(committed).toMatchObject([{ state: 'QR_PENDING' }]);
      const { states, data } = await readAgain(reads);
      expect(states).toEqual(expectedStates(reads, STALE));
      expect(data.session.session.status.state).toBe('QR_PENDING');
      expect(data.sessionStatus.sessionStatus.state).toBe('QR_PENDING');
      expect(data['other sessionStatus'].sessionStatus.state).toBe('DISCONNECTED');
    });

    it('refreshQrCode', async () => {
      const { s, reads, write } = await sessions();
      const { result: qr, committed } = await write(
        `mutation RefreshQrCode($id: ID!) { refreshQrCode(sessionId: $id) { id code } }`,
        { id: s.mine },
      );
      expect(committed).toMatchObject([{ state: 'QR_PENDING', qrCode: qr.refreshQrCode.code }]);
      const { states, data } = await readAgain(reads);
      expect(states).toEqual(expectedStates(reads, STALE));
      expect(data.session.session.qrCode).toEqual({ id: s.mine, code: qr.refreshQrCode.code });
      expect(data.sessionStatus.sessionStatus.state).toBe('QR_PENDING');
      expect(data['other session'].session.qrCode).toBeNull();
    });

    it('setDeviceCredential', async () => {
      const { s, reads, write } = await sessions();
      const jid = '5511999999999@s.whatsapp.net';
      const { committed } = await write(
        `mutation SetDeviceCredential($id: ID!, $jid: String!) {
          setDeviceCredential(sessionId: $id, deviceJid: $jid) { id }
        }`,
        { id: s.mine, jid },
      );
      expect(committed).toMatchObject([{ state: 'CONNECTED', deviceJid: jid }]);
      const { states, data } = await readAgain(reads);
      expect(states).toEqual(expectedStates(reads, STALE));
      expect(data.session.session.credential).toEqual({ id: s.mine, deviceJid: jid });
      expect(data.sessionStatus.sessionStatus.state).toBe('CONNECTED');
      expect(data['other session'].session.credential).toBeNull();
    });
  });
});

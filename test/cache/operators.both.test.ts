import { DateTime } from 'luxon';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CacheConfig } from '../../src/config.js';
import type { Plan } from '../../src/db/entities/user.entity.js';
import { WARM_DOCUMENTS } from '../../src/warming/warming.js';
import { graphql } from '../gql/index.js';
import {
  buildTestApp,
  codes,
  dialects,
  type GraphQLDocument,
  OPS_TOKEN,
  sharedRedisCache,
  type TestApp,
  type TypedDocument,
} from '../support/app.js';
import { SERVICES } from '../support/documents.js';
import { createProvider, createTestTenant, type TestTenant } from '../support/fixtures.js';
import { cacheAll, cacheStates, expectedStates, ok, readOf } from '../support/reads.js';

/**
 * DESIGN §4 operator mutations and §8 warming: each removes exactly what it names, says how
 * many responses it removed, and is for operators only.
 */

const AGENDA = graphql(`
  query Agenda($u: ID!, $d: Date!) {
    agenda(userId: $u, date: $d) { id appointments { id service { id name } } }
  }
`);
const USER_SERVICES = graphql(`
  query UserServices($u: ID!) { user(id: $u) { id services { id } } }
`);
const CREATE_APPOINTMENT = graphql(`
  mutation CreateAppointment($i: CreateAppointmentInput!) { createAppointment(input: $i) { id } }
`);
const INVALIDATE_AGENDA = graphql(`
  mutation InvalidateAgenda($u: ID!, $d: Date) {
    invalidateAgenda(userId: $u, date: $d) { invalidatedEntities epoch }
  }
`);
const INVALIDATE_SERVICES = graphql(`
  mutation InvalidateServices($u: ID!) {
    invalidateServices(userId: $u) { invalidatedEntities epoch }
  }
`);
const INVALIDATE_TYPE = graphql(`
  mutation InvalidateType($t: String!) { invalidateType(typename: $t) { invalidatedEntities epoch } }
`);
const INVALIDATE_ENTITIES = graphql(`
  mutation InvalidateEntities($e: [EntityRefInput!]!) {
    invalidateEntities(entities: $e) { invalidatedEntities epoch }
  }
`);
const PURGE = graphql(`
  mutation Purge { purgeCache { invalidatedEntities epoch } }
`);
const WARM = graphql(`
  mutation Warm($ids: [ID!]) { warmCache(userIds: $ids) { usersWarmed operations durationMs } }
`);

const SP = 'America/Sao_Paulo';
const TOKYO = 'Asia/Tokyo';
const DAY_MS = 24 * 60 * 60 * 1000;
const todayIn = (tz: string) => DateTime.now().setZone(tz).toISODate() as string;

const redisCache = (overrides: Partial<CacheConfig> = {}) =>
  sharedRedisCache({ debug: true, ...overrides });

/** Helpers over one app; each test builds its own, so every count starts from an empty cache. */
function helpers(app: TestApp) {
  const read = (
    name: string,
    query: GraphQLDocument,
    variables: Record<string, unknown>,
    key: string,
  ) => readOf(app, name, query, variables, key);

  /** Tenant A (São Paulo): Ana and Bia; tenant B (Tokyo): Carl. One service and booking each. */
  async function world() {
    const a = await createTestTenant(app, 'A', SP);
    const b = await createTestTenant(app, 'B', TOKYO);
    const now = new Date();
    const provider = async (tenant: TestTenant, name: string, service: string) => {
      const { user, services } = await createProvider(app, tenant, name, {
        services: [[service, 1000]],
      });
      const serviceId = services[0].id;
      const booking = {
        userId: user.id,
        serviceId,
        clientName: 'Client',
        startsAt: now.toISOString(),
      };
      await ok(app, CREATE_APPOINTMENT, { i: booking }, tenant.key);
      return { id: user.id, serviceId };
    };
    const ana = await provider(a, 'Ana', 'Cut');
    const bia = await provider(a, 'Bia', 'Nails');
    const carl = await provider(b, 'Carl', 'Massage');
    return {
      a: a.key,
      b: b.key,
      ana: ana.id,
      bia: bia.id,
      carl: carl.id,
      anaService: ana.serviceId,
      biaService: bia.serviceId,
      carlService: carl.serviceId,
      today: todayIn(SP),
      tomorrow: DateTime.fromJSDate(new Date(now.getTime() + DAY_MS))
        .setZone(SP)
        .toISODate()!,
      todayInB: todayIn(TOKYO),
    };
  }

  return {
    ok: <T, V>(query: TypedDocument<T, V>, variables: V, key: string) =>
      ok(app, query, variables, key),
    read,
    cacheAll,
    states: cacheStates,
    expected: expectedStates,
    world,
  };
}

describe('operator cache mutations on sqlite with Redis', () => {
  let app: TestApp;
  let h: ReturnType<typeof helpers>;

  beforeEach(async () => {
    app = await buildTestApp('sqlite', { cache: redisCache() });
    h = helpers(app);
  });
  afterEach(() => app.close());

  it('invalidateAgenda with a date empties that day of that user only', async () => {
    const w = await h.world();
    const reads = [
      h.read('Ana today', AGENDA, { u: w.ana, d: w.today }, w.a),
      h.read('Ana tomorrow', AGENDA, { u: w.ana, d: w.tomorrow }, w.a),
      h.read('Bia today', AGENDA, { u: w.bia, d: w.today }, w.a),
      h.read('Carl today (B)', AGENDA, { u: w.carl, d: w.todayInB }, w.b),
    ];
    await h.cacheAll(reads);
    const res = await h.ok(INVALIDATE_AGENDA, { u: w.ana, d: w.today }, OPS_TOKEN);
    expect(res.invalidateAgenda).toEqual({ invalidatedEntities: 1, epoch: null });
    expect(await h.states(reads)).toEqual(h.expected(reads, ['Ana today']));
  });

  it('invalidateAgenda without a date empties every day of that user', async () => {
    const w = await h.world();
    const reads = [
      h.read('Ana today', AGENDA, { u: w.ana, d: w.today }, w.a),
      h.read('Ana tomorrow', AGENDA, { u: w.ana, d: w.tomorrow }, w.a),
      h.read('Ana services', SERVICES, { u: w.ana }, w.a),
      h.read('Bia today', AGENDA, { u: w.bia, d: w.today }, w.a),
      h.read('Carl today (B)', AGENDA, { u: w.carl, d: w.todayInB }, w.b),
    ];
    await h.cacheAll(reads);
    const res = await h.ok(INVALIDATE_AGENDA, { u: w.ana }, OPS_TOKEN);
    expect(res.invalidateAgenda.invalidatedEntities).toBe(2);
    expect(await h.states(reads)).toEqual(h.expected(reads, ['Ana today', 'Ana tomorrow']));
  });

  it("invalidateServices empties that user's services and User.services only", async () => {
    const w = await h.world();
    const reads = [
      h.read('Ana services', SERVICES, { u: w.ana }, w.a),
      h.read('Ana User.services', USER_SERVICES, { u: w.ana }, w.a),
      h.read('Ana today', AGENDA, { u: w.ana, d: w.today }, w.a),
      h.read('Bia services', SERVICES, { u: w.bia }, w.a),
      h.read('Carl services (B)', SERVICES, { u: w.carl }, w.b),
    ];
    await h.cacheAll(reads);
    const res = await h.ok(INVALIDATE_SERVICES, { u: w.ana }, OPS_TOKEN);
    expect(res.invalidateServices.invalidatedEntities).toBe(2);
    expect(await h.states(reads)).toEqual(h.expected(reads, ['Ana services', 'Ana User.services']));
  });

  it("invalidateType('Agenda') empties every tenant's agendas and nothing else", async () => {
    const w = await h.world();
    const reads = [
      h.read('Ana today', AGENDA, { u: w.ana, d: w.today }, w.a),
      h.read('Ana tomorrow', AGENDA, { u: w.ana, d: w.tomorrow }, w.a),
      h.read('Bia today', AGENDA, { u: w.bia, d: w.today }, w.a),
      h.read('Carl today (B)', AGENDA, { u: w.carl, d: w.todayInB }, w.b),
      h.read('Ana services', SERVICES, { u: w.ana }, w.a),
      h.read('Carl services (B)', SERVICES, { u: w.carl }, w.b),
    ];
    await h.cacheAll(reads);
    const res = await h.ok(INVALIDATE_TYPE, { t: 'Agenda' }, OPS_TOKEN);
    expect(res.invalidateType).toEqual({ invalidatedEntities: 4, epoch: null });
    // Nothing left to remove.
    const again = await h.ok(INVALIDATE_TYPE, { t: 'Agenda' }, OPS_TOKEN);
    expect(again.invalidateType.invalidatedEntities).toBe(0);
    expect(await h.states(reads)).toEqual(
      h.expected(reads, ['Ana today', 'Ana tomorrow', 'Bia today', 'Carl today (B)']),
    );
  });

  it('refuses unknown typenames with BAD_USER_INPUT and removes nothing', async () => {
    const w = await h.world();
    const reads = [h.read('Ana today', AGENDA, { u: w.ana, d: w.today }, w.a)];
    await h.cacheAll(reads);
    const refused: [GraphQLDocument, Record<string, unknown>][] = [
      [INVALIDATE_TYPE, { t: 'Nope' }],
      [INVALIDATE_TYPE, { t: '' }],
      [INVALIDATE_ENTITIES, { e: [{ typename: 'Nope', id: '1' }] }],
      [INVALIDATE_ENTITIES, { e: [] }],
    ];
    for (const [query, variables] of refused) {
      const res = await app.execute(query, variables, OPS_TOKEN);
      expect(codes(res.body), JSON.stringify(variables)).toEqual(['BAD_USER_INPUT']);
    }
    expect(await h.states(reads)).toEqual({ 'Ana today': 'HIT' });
  });

  it('invalidateEntities empties the responses holding one entity, or a whole type', async () => {
    const w = await h.world();
    const reads = [
      h.read('Ana services', SERVICES, { u: w.ana }, w.a),
      h.read('Ana today (shows Cut)', AGENDA, { u: w.ana, d: w.today }, w.a),
      h.read('Ana tomorrow (empty)', AGENDA, { u: w.ana, d: w.tomorrow }, w.a),
      h.read('Bia services', SERVICES, { u: w.bia }, w.a),
      h.read('Bia today (shows Nails)', AGENDA, { u: w.bia, d: w.today }, w.a),
      h.read('Carl services (B)', SERVICES, { u: w.carl }, w.b),
    ];
    await h.cacheAll(reads);

    const one = await h.ok(
      INVALIDATE_ENTITIES,
      { e: [{ typename: 'Service', id: w.anaService }] },
      OPS_TOKEN,
    );
    expect(one.invalidateEntities).toEqual({ invalidatedEntities: 2, epoch: null });
    expect(await h.states(reads)).toEqual(
      h.expected(reads, ['Ana services', 'Ana today (shows Cut)']),
    );

    // Every response holding any Service, in every tenant; the empty agenda holds none.
    const all = await h.ok(INVALIDATE_ENTITIES, { e: [{ typename: 'Service' }] }, OPS_TOKEN);
    expect(all.invalidateEntities.invalidatedEntities).toBe(5);
    expect(await h.states(reads)).toEqual(
      h.expected(
        reads,
        reads.map((r) => r.name).filter((name) => name !== 'Ana tomorrow (empty)'),
      ),
    );
  });

  it('purgeCache empties everything at once and returns the new epoch', async () => {
    const w = await h.world();
    const reads = [
      h.read('Ana today', AGENDA, { u: w.ana, d: w.today }, w.a),
      h.read('Ana services', SERVICES, { u: w.ana }, w.a),
      h.read('Carl services (B)', SERVICES, { u: w.carl }, w.b),
    ];
    await h.cacheAll(reads);
    const first = (await h.ok(PURGE, {}, OPS_TOKEN)).purgeCache;
    expect(first.epoch).toEqual(expect.any(Number));
    // Redis leaves the old epoch to expire, uncounted.
    expect(first.invalidatedEntities).toBe(0);
    expect(await h.states(reads)).toEqual(
      h.expected(
        reads,
        reads.map((r) => r.name),
      ),
    );
    expect(await h.states(reads)).toEqual(h.expected(reads, []));

    const second = (await h.ok(PURGE, {}, OPS_TOKEN)).purgeCache;
    expect(second.epoch).toBe(Number(first.epoch) + 1);
    expect(await h.states(reads)).toEqual(
      h.expected(
        reads,
        reads.map((r) => r.name),
      ),
    );
  });

  it('refuses every operator field to a tenant key with FORBIDDEN, and removes nothing', async () => {
    const w = await h.world();
    const reads = [
      h.read('Ana today', AGENDA, { u: w.ana, d: w.today }, w.a),
      h.read('Ana services', SERVICES, { u: w.ana }, w.a),
    ];
    await h.cacheAll(reads);
    const attempts: [GraphQLDocument, Record<string, unknown>][] = [
      [INVALIDATE_AGENDA, { u: w.ana }],
      [INVALIDATE_SERVICES, { u: w.ana }],
      [INVALIDATE_TYPE, { t: 'Agenda' }],
      [INVALIDATE_ENTITIES, { e: [{ typename: 'Service' }] }],
      [PURGE, {}],
      [WARM, { ids: [w.ana] }],
      ['query CacheStats { cacheStats { hits } }', {}],
    ];
    for (const [query, variables] of attempts) {
      const res = await app.execute(query, variables, w.a);
      expect(codes(res.body), String(query)).toEqual(['FORBIDDEN']);
      expect(res.data, String(query)).toBeNull();
    }
    expect(await h.states(reads)).toEqual(h.expected(reads, []));
  });

  it('warmCache(userIds) leaves the warm documents of those users cached in their tenant', async () => {
    const w = await h.world();
    const agenda = (userId: string, date: string) => ({ userId, date });
    const res = await h.ok(WARM, { ids: [w.ana, w.carl] }, OPS_TOKEN);
    expect(res.warmCache).toMatchObject({ usersWarmed: 2, operations: 4 });
    expect(res.warmCache.durationMs).toBeGreaterThan(0);

    const reads = [
      h.read('Ana agenda', WARM_DOCUMENTS.agenda, agenda(w.ana, w.today), w.a),
      h.read('Ana services', WARM_DOCUMENTS.services, { userId: w.ana }, w.a),
      h.read('Carl agenda (B)', WARM_DOCUMENTS.agenda, agenda(w.carl, w.todayInB), w.b),
      h.read('Carl services (B)', WARM_DOCUMENTS.services, { userId: w.carl }, w.b),
      h.read('Bia agenda', WARM_DOCUMENTS.agenda, agenda(w.bia, w.today), w.a),
      h.read('Bia services', WARM_DOCUMENTS.services, { userId: w.bia }, w.a),
    ];
    expect(await h.states(reads)).toEqual(h.expected(reads, ['Bia agenda', 'Bia services']));
    // What was warmed is the tenant's own data.
    const warmed = await app.execute(WARM_DOCUMENTS.agenda, agenda(w.ana, w.today), w.a);
    expect(warmed.data.agenda.appointments).toHaveLength(1);
    expect(warmed.data.agenda.appointments[0].service.id).toBe(w.anaService);

    // Ids that name no user are skipped.
    const unknown = await h.ok(WARM, { ids: ['00000000-0000-4000-8000-000000000000'] }, OPS_TOKEN);
    expect(unknown.warmCache).toMatchObject({ usersWarmed: 0, operations: 0 });
  });
});

describe.each(dialects)('warming every active user on %s', (dialect) => {
  let app: TestApp;
  let h: ReturnType<typeof helpers>;
  /** The userId of every request the warmer sent, in the order it sent them. */
  let sent: Promise<string>[];
  let inFlight: number;
  let maxInFlight: number;

  async function build(warmConcurrency: number) {
    app = await buildTestApp(dialect, { cache: redisCache({ warmConcurrency }) });
    h = helpers(app);
    sent = [];
    inFlight = 0;
    maxInFlight = 0;
    // Every warming request is made to act as its tenant (start) and is counted in the stats
    // when its response is ready (end): watch both.
    const { auth, cache } = app.app;
    const actAs = auth.actAs.bind(auth);
    auth.actAs = (request, viewer) => {
      sent.push(
        request
          .clone()
          .json()
          .then((body) => body.variables.userId),
      );
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      return actAs(request, viewer);
    };
    const record = cache.stats.record.bind(cache.stats);
    cache.stats.record = (outcome, operationName, seconds) => {
      if (operationName === 'WarmAgenda' || operationName === 'WarmServices') inFlight--;
      record(outcome, operationName, seconds);
    };
  }
  afterEach(() => app.close());

  /** Providers in two tenants, with appointments `daysAgo` (one each). */
  async function providers() {
    const a = await app.createTenant('A', SP);
    const b = await app.createTenant('B', TOKYO);
    const make = async (
      key: string,
      tenantId: string,
      name: string,
      plan: Plan,
      days: number[],
    ) => {
      const { user, services } = await createProvider(app, { tenantId, key }, name, {
        plan,
        services: [['Service', 1000]],
      });
      const userId = user.id;
      const serviceId = services[0].id;
      for (const daysAgo of days) {
        const startsAt = new Date(Date.now() - daysAgo * DAY_MS).toISOString();
        await h.ok(
          CREATE_APPOINTMENT,
          { i: { userId, serviceId, clientName: 'C', startsAt } },
          key,
        );
      }
      return { userId, key, tz: key === a.key ? SP : TOKYO, plan };
    };
    return {
      // Active (appointments in the last 30 days, future ones included).
      freeBusy: await make(a.key, a.tenant.id, 'Free, busy', 'FREE', [1, 2, -3]),
      pro: await make(a.key, a.tenant.id, 'Pro', 'PRO', [10]),
      enterprise: await make(a.key, a.tenant.id, 'Enterprise', 'ENTERPRISE', [29]),
      freeQuiet: await make(b.key, b.tenant.id, 'Free, quiet (B)', 'FREE', [5]),
      enterpriseB: await make(b.key, b.tenant.id, 'Enterprise (B)', 'ENTERPRISE', [3, 4]),
      // Inactive.
      idle: await make(a.key, a.tenant.id, 'Idle', 'ENTERPRISE', [31, 60]),
      never: await make(b.key, b.tenant.id, 'Never booked', 'PRO', []),
    };
  }

  it('warms active users only, paid plans first, one at a time with concurrency 1', async () => {
    await build(1);
    const p = await providers();
    const res = await h.ok(WARM, {}, OPS_TOKEN);
    expect(res.warmCache).toMatchObject({ usersWarmed: 5, operations: 10 });

    const names = new Map<string, string>(Object.entries(p).map(([name, u]) => [u.userId, name]));
    const order = (await Promise.all(sent)).map((id) => names.get(id));
    // Agenda then services per user; paid plans first, then the busiest within a plan.
    expect(order).toEqual(
      ['enterpriseB', 'enterprise', 'pro', 'freeBusy', 'freeQuiet'].flatMap((n) => [n, n]),
    );
    expect(maxInFlight).toBe(1);

    for (const [name, u] of Object.entries(p)) {
      const active = name !== 'idle' && name !== 'never';
      const agenda = await app.execute(
        WARM_DOCUMENTS.agenda,
        { userId: u.userId, date: todayIn(u.tz) },
        u.key,
      );
      const services = await app.execute(WARM_DOCUMENTS.services, { userId: u.userId }, u.key);
      const expected = active ? 'HIT' : 'MISS';
      expect([agenda.headers.get('x-cache'), services.headers.get('x-cache')], name).toEqual([
        expected,
        expected,
      ]);
      expect(services.data.services, name).toHaveLength(1);
    }
  });

  it('runs at most CACHE_WARM_CONCURRENCY requests at once, the periodic run too', async () => {
    await build(2);
    await providers();
    // What main.ts runs every CACHE_WARM_INTERVAL.
    const result = await app.app.warmer.warm();
    expect(result).toMatchObject({ usersWarmed: 5, operations: 10 });
    expect(sent).toHaveLength(10);
    expect(maxInFlight).toBe(2);
  });
});

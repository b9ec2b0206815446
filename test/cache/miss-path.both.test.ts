import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { BUDGET_DEFAULTS } from '../../src/budget/budgets.js';
import { etagOf } from '../../src/cache/store/body.js';
import { Appointment } from '../../src/db/entities/appointment.entity.js';
import { Service } from '../../src/db/entities/service.entity.js';
import { dayRange } from '../../src/time.js';
import { WARM_DOCUMENTS } from '../../src/warming/warming.js';
import {
  buildTestApp,
  sharedRedisCache,
  type TestApp,
  type TestAppOptions,
} from '../support/app.js';

/**
 * A miss serializes its result once: the JSON it stores is the JSON it answers with
 * (src/cache/response-save.ts, servedAs). What must not change: the MISS's bytes are the
 * HIT's, its ETag is theirs, and whatever builds another answer (debug extensions, a cost)
 * still gets it.
 */
describe.each([
  ['memory', { backend: 'MEMORY' as const }],
  ['Redis', sharedRedisCache()],
])('the miss path on %s', (_name, cache) => {
  const apps: TestApp[] = [];
  afterAll(() => Promise.all(apps.map((app) => app.close())));
  afterEach(() => vi.restoreAllMocks());

  async function setup(options: TestAppOptions = {}) {
    const app = await buildTestApp('sqlite', { cache, ...options });
    apps.push(app);
    const { tenant, key } = await app.createTenant('Miss', 'America/Sao_Paulo');
    const user = await app.createUser(tenant.id, 'Ana "quoted" ção');
    const service = await app.db.getRepository(Service).save({
      id: randomUUID(),
      tenantId: tenant.id,
      userId: user.id,
      name: 'Cut',
      durationMinutes: 30,
      priceCents: 3_000,
      active: true,
      createdAt: new Date(),
      deletedAt: null,
    });
    const { start } = dayRange('2026-03-02', 'America/Sao_Paulo');
    await app.db.getRepository(Appointment).save(
      [0, 1].map((i) => ({
        id: randomUUID(),
        tenantId: tenant.id,
        userId: user.id,
        serviceId: service.id,
        clientName: `Client ${i} \u2028 "x"`,
        startsAt: new Date(start.getTime() + i * 3_600_000),
        endsAt: new Date(start.getTime() + i * 3_600_000 + 1_800_000),
        status: 'PENDING' as const,
        createdAt: new Date(),
        updatedAt: new Date(),
      })),
    );
    const post = () =>
      app.request('/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify({
          query: WARM_DOCUMENTS.agenda,
          variables: { userId: user.id, date: '2026-03-02' },
        }),
      });
    return { app, post, userId: user.id };
  }

  it("answers a miss with the bytes it stored: the HIT's bytes and ETag", async () => {
    const { post, userId } = await setup();
    const miss = await post();
    expect(miss.headers.get('x-cache')).toBe('MISS');
    const missBytes = Buffer.from(await miss.arrayBuffer());
    const hit = await post();
    expect(hit.headers.get('x-cache')).toBe('HIT');
    const hitBytes = Buffer.from(await hit.arrayBuffer());
    expect(missBytes.equals(hitBytes)).toBe(true);
    expect(miss.headers.get('etag')).toBe(etagOf(missBytes));
    expect(hit.headers.get('etag')).toBe(miss.headers.get('etag'));
    const body = JSON.parse(missBytes.toString('utf8'));
    expect(body.data.agenda.user).toEqual({ id: userId, name: 'Ana "quoted" ção' });
    expect(body.data.agenda.appointments).toHaveLength(2);
  });

  it('serializes the result of a miss once', async () => {
    const { post } = await setup();
    const stringify = vi.spyOn(JSON, 'stringify');
    const miss = await post();
    expect(miss.headers.get('x-cache')).toBe('MISS');
    await miss.text();
    const ofTheResult = stringify.mock.calls.filter(
      ([value]) => typeof value === 'object' && value !== null && 'data' in value,
    );
    expect(ofTheResult).toHaveLength(1);
  });

  it('still answers the debug extensions on a miss, and stores the result without them', async () => {
    const { post } = await setup({ cache: { ...cache, debug: true } });
    const miss = await post();
    expect(miss.headers.get('x-cache')).toBe('MISS');
    const body = (await miss.json()) as {
      data: unknown;
      extensions?: { cache?: { hit: boolean } };
    };
    expect(body.extensions?.cache?.hit).toBe(false);
    const hit = (await (await post()).json()) as typeof body;
    expect(hit.data).toEqual(body.data);
    expect(hit.extensions?.cache?.hit).toBe(true);
  });

  it("still answers a miss's cost when budgets are on", async () => {
    const { post } = await setup({ budget: { ...BUDGET_DEFAULTS } });
    const miss = await post();
    expect(miss.headers.get('x-cache')).toBe('MISS');
    const body = (await miss.json()) as {
      data?: { agenda?: unknown };
      extensions?: { cost?: { actualQueryCost?: number } };
    };
    expect(body.data?.agenda).toBeTruthy();
    expect(body.extensions?.cost?.actualQueryCost).toBeGreaterThan(0);
  });
});

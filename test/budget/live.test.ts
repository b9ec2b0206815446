import { describe, expect } from 'vitest';
import type { TenantViewer } from '../../src/auth/viewer.js';
import { BUDGET_DEFAULTS } from '../../src/budget/budgets.js';
import { Service } from '../../src/db/entities/service.entity.js';
import { graphql } from '../gql/index.js';
import { LIVE_SERVICES, openLive } from '../live/sse.js';
import { OPS_TOKEN, type TestApp } from '../support/app.js';
import { test, useTestApp } from '../support/fixtures.js';
import { waitUntil } from '../support/wait.js';

/**
 * Live queries pay (issue 17; src/live/budget.ts): at open, their requested cost settled to the
 * actual one; for each re-execution, its cost split between the streams that receive it;
 * joining a group that has a result, COST_HIT. A stream that can't pay gets THROTTLED and ends.
 */

// services(userId) declares 30 items of 3 fields: 1 + 30 × 3. One service comes back: 1 + 3.
const REQUESTED = 91;
const ACTUAL = 4;

const INVALIDATE = graphql(`
  mutation BudgetLiveInvalidate($u: ID!) { invalidateServices(userId: $u) { invalidatedEntities } }
`);
const MINT = graphql(`
  mutation BudgetLiveMint($t: ID!) { createApiKey(tenantId: $t) }
`);

/** The key's viewer (its id names its bucket) and what its bucket holds, as this process sees it. */
async function bucketOf(app: TestApp, key: string) {
  const payer = (await app.app.auth.authenticate(`Bearer ${key}`)) as TenantViewer;
  return () => app.app.budgets?.peek(payer).currentlyAvailable;
}

/** A change the live group must re-execute for: the price, then the operator's invalidation. */
async function change(app: TestApp, userId: string, serviceId: string, priceCents: number) {
  await app.db.getRepository(Service).update({ id: serviceId }, { priceCents });
  const invalidated = await app.execute(INVALIDATE, { u: userId }, OPS_TOKEN);
  expect(invalidated.body.errors).toBeUndefined();
}

describe('live queries pay from their key’s bucket', () => {
  // Budgets on, explicitly; a bucket that barely refills during a test.
  useTestApp('sqlite', {
    via: 'http',
    cache: { backend: 'MEMORY' },
    budget: { ...BUDGET_DEFAULTS, maximumAvailable: 1_000, restoreRate: 0.001, hitCost: 1 },
  });

  test('pays at open (settled to the actual cost) and for each re-execution', async ({
    app,
    tenant,
    provider,
  }) => {
    const { user, services } = await provider('Lia', { via: 'db' });
    const available = await bucketOf(app, tenant.key);
    const stream = await openLive(app.baseUrl, tenant.key, LIVE_SERVICES, { u: user.id });
    expect(stream.status).toBe(200);
    await stream.nexts(1);
    await waitUntil(() => available() === 1_000 - ACTUAL, 5_000);
    const executions = app.app.live.counts().executions;
    await change(app, user.id, services[0].id, 4_200);
    const [, pushed] = await stream.nexts(2);
    expect(pushed.data.services[0].priceCents).toBe(4_200);
    expect(app.app.live.counts().executions).toBe(executions + 1);
    await waitUntil(() => available() === 1_000 - 2 * ACTUAL, 5_000);
    // Points are counted per tenant, as for plain requests.
    const stats = app.app.budgets?.tenants().find((t) => t.tenant === tenant.tenantId);
    expect(stats?.pointsUsed).toBe(2 * ACTUAL);
    stream.close();
  });

  test('a group shared by two keys: the joiner pays COST_HIT, a re-execution is split', async ({
    app,
    tenant,
    provider,
  }) => {
    const { user, services } = await provider('Noa', { via: 'db' });
    const minted = await app.execute(MINT, { t: tenant.tenantId }, OPS_TOKEN);
    const other = minted.data.createApiKey;
    const first = await bucketOf(app, tenant.key);
    const second = await bucketOf(app, other);
    const a = await openLive(app.baseUrl, tenant.key, LIVE_SERVICES, { u: user.id });
    await a.nexts(1);
    const b = await openLive(app.baseUrl, other, LIVE_SERVICES, { u: user.id });
    await b.nexts(1);
    await waitUntil(() => first() === 1_000 - ACTUAL && second() === 1_000 - 1, 5_000);
    await change(app, user.id, services[0].id, 5_100);
    await Promise.all([a.nexts(2), b.nexts(2)]);
    // One execution for both: each key pays half of its actual cost.
    await waitUntil(
      () => first() === 1_000 - ACTUAL - ACTUAL / 2 && second() === 1_000 - 1 - ACTUAL / 2,
      5_000,
    );
    a.close();
    b.close();
  });
});

describe('a live query over budget', () => {
  // A bucket that holds one open exactly (what is refunded after it is less than a re-run).
  useTestApp('sqlite', {
    via: 'http',
    cache: { backend: 'MEMORY' },
    budget: { ...BUDGET_DEFAULTS, maximumAvailable: REQUESTED, restoreRate: 0.01, hitCost: 1 },
  });

  test('gets THROTTLED with a retry hint and ends, never hangs; a new one gets 429', async ({
    app,
    tenant,
    provider,
  }) => {
    const { user, services } = await provider('Ivo', { via: 'db' });
    const stream = await openLive(app.baseUrl, tenant.key, LIVE_SERVICES, { u: user.id });
    await stream.nexts(1);
    const available = await bucketOf(app, tenant.key);
    await waitUntil(() => available() === REQUESTED - ACTUAL, 5_000);
    // The re-execution asks for 91 points again; 87 are left.
    await change(app, user.id, services[0].id, 3_300);
    const events = await stream.ended;
    const [, refused] = events.filter((e) => e.event === 'next').map((e) => JSON.parse(e.data));
    expect(refused.errors[0].extensions).toEqual({
      code: 'THROTTLED',
      retryAfter: Math.ceil((REQUESTED - (REQUESTED - ACTUAL)) / 0.01),
    });
    expect(events.at(-1)?.event).toBe('complete');
    // Another live query, dearer than what is left (121 asked, the whole bucket of 91 taken,
    // 87 there): refused before it streams.
    const dearer = LIVE_SERVICES.replace('priceCents', 'priceCents durationMinutes');
    const other = await openLive(app.baseUrl, tenant.key, dearer, { u: user.id });
    expect(other.status).toBe(429);
    expect(Number(other.headers['retry-after'])).toBeGreaterThan(0);
    const [answer] = await other.nexts(1);
    expect(answer.errors[0].extensions.code).toBe('THROTTLED');
    await other.ended;
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUDGET_DEFAULTS, type BudgetConfig } from '../../src/budget/budgets.js';
import { graphql } from '../gql/index.js';
import { buildTestApp, OPS_TOKEN, sharedRedisCache, type TestApp } from '../support/app.js';
import { waitUntil } from '../support/wait.js';

/**
 * Cost budgets end to end (DESIGN §15), through Yoga and (the `hit-path` project) through the
 * node:http hit path: extensions.cost on misses, hits and refusals, hits at COST_HIT, 304s
 * free, 429 THROTTLED with Retry-After, and one bucket for two instances on Redis.
 */

const QUERY = 'query Profile($u: ID!) { user(id: $u) { id name plan services { name } } }';

interface Cost {
  requestedQueryCost: number;
  actualQueryCost: number | null;
  throttleStatus: { maximumAvailable: number; currentlyAvailable: number; restoreRate: number };
}
interface Body {
  data?: { user: { name: string } };
  errors?: { message: string; extensions?: { code?: string } }[];
  extensions?: { cost?: Cost };
}

const CREATE_KEY = graphql(`
  mutation BudgetCreateKey($t: ID!) { createApiKey(tenantId: $t) }
`);
const KEYS = graphql(`
  query BudgetKeys($t: ID!) { apiKeys(tenantId: $t) { id prefix } }
`);
const REVOKE_KEY = graphql(`
  mutation BudgetRevokeKey($id: ID!) { revokeApiKey(id: $id) { id revokedAt } }
`);

const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

function budget(overrides: Partial<BudgetConfig>): BudgetConfig {
  return { ...BUDGET_DEFAULTS, ...overrides };
}

describe.each([
  ['memory', { backend: 'MEMORY' as const }],
  ['Redis', sharedRedisCache()],
])('budgets on %s', (_name, cache) => {
  const apps: TestApp[] = [];
  afterAll(() => Promise.all(apps.map((app) => app.close())));

  async function setup(config: Partial<BudgetConfig>, shared: Partial<typeof cache> = {}) {
    const app = await buildTestApp('sqlite', {
      cache: { ...cache, ...shared },
      budget: budget(config),
    });
    apps.push(app);
    const { tenant, key } = await app.createTenant();
    const user = await app.createUser(tenant.id, 'Rita');
    const postAs = (
      bearer: string,
      variables: object = { u: user.id },
      headers: Record<string, string> = {},
    ) =>
      app.request('/graphql', {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${bearer}`,
          ...headers,
        },
        body: JSON.stringify({ query: QUERY, variables }),
      });
    const post = (variables?: object, headers?: Record<string, string>) =>
      postAs(key, variables, headers);
    return { app, post, postAs, user, key, tenant };
  }

  it('charges a miss its actual cost, a hit COST_HIT and a 304 nothing, and says so in every answer', async () => {
    const { post } = await setup({ maximumAvailable: 1_000, restoreRate: 0.001, hitCost: 1 });
    const miss = await post();
    expect(miss.headers.get('x-cache')).toBe('MISS');
    const missBody = (await miss.json()) as Body;
    const missCost = missBody.extensions?.cost as Cost;
    // The services list is declared long and came back empty: charged far less than asked.
    expect(missCost.requestedQueryCost).toBeGreaterThan(missCost.actualQueryCost as number);
    expect(missCost.actualQueryCost).toBe(5); // user { id name plan services: [] }
    expect(missCost.throttleStatus).toEqual({
      maximumAvailable: 1_000,
      currentlyAvailable: 995,
      restoreRate: 0.001,
    });
    await settle(); // the refund is sent after the answer
    const hit = await post();
    expect(hit.headers.get('x-cache')).toBe('HIT');
    const hitBody = (await hit.json()) as Body;
    expect(hitBody.data).toEqual(missBody.data);
    expect(hitBody.extensions?.cost).toEqual({
      requestedQueryCost: 1,
      actualQueryCost: 1,
      throttleStatus: { maximumAvailable: 1_000, currentlyAvailable: 994, restoreRate: 0.001 },
    });
    await settle();
    const etag = hit.headers.get('etag') as string;
    const notModified = await post(undefined, { 'if-none-match': etag });
    if (notModified.status === 304) {
      // The hit path answers revalidations; Yoga's path answers them with the body.
      await settle();
      const after = (await (await post()).json()) as Body;
      expect(after.extensions?.cost?.throttleStatus.currentlyAvailable).toBe(993);
    }
  });

  it('refuses over budget with 429, Retry-After, THROTTLED and the same extensions', async () => {
    // A bucket smaller than the request: the miss takes all of it.
    const { app, post, user } = await setup({
      maximumAvailable: 5,
      restoreRate: 0.5,
      hitCost: 1,
    });
    const first = await post();
    expect(first.status).toBe(200);
    const etag = first.headers.get('etag') as string;
    await settle();
    // A hit needs COST_HIT (1 point at 0.5/s: 2 s); a miss its requested cost, here all 5
    // (Yoga's admission). Through the hit path an empty bucket refuses a miss before Yoga: it
    // knows only that any execution costs at least 1.
    const front = app.via === 'http';
    for (const [variables, wait] of [
      [{ u: user.id }, 2],
      [{ u: 'another' }, front ? 2 : 10],
    ] as const) {
      const refused = await post(variables);
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBe(wait);
      expect(refused.headers.get('etag')).toBeNull();
      const body = (await refused.json()) as Body;
      expect(body.errors?.[0]?.extensions?.code).toBe('THROTTLED');
      expect(body.data ?? null).toBeNull();
      expect(body.extensions?.cost?.actualQueryCost).toBeNull();
      expect(body.extensions?.cost?.throttleStatus).toEqual({
        maximumAvailable: 5,
        currentlyAvailable: 0,
        restoreRate: 0.5,
      });
    }
    // A revalidation costs nothing: the hit path still answers it 304 on an empty bucket.
    if (front) expect((await post(undefined, { 'if-none-match': etag })).status).toBe(304);
  });

  it('refuses an empty bucket from the headers, before the body is read or parsed (issue 17)', async () => {
    const { app, post, key } = await setup({ maximumAvailable: 5, restoreRate: 0.5, hitCost: 1 });
    expect((await post()).status).toBe(200);
    await settle();
    // Not even JSON: the front answers 429 without reading it (a 429 then costs the same
    // whatever the body); in process, Yoga reads the body first and refuses it as malformed.
    const malformed = await app.request('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: '{"query": not json',
    });
    const front = app.via === 'http';
    expect(malformed.status).toBe(front ? 429 : 400);
    if (front) {
      expect(malformed.headers.get('retry-after')).toBe('2');
      const body = (await malformed.json()) as Body;
      expect(body.errors?.[0]?.extensions?.code).toBe('THROTTLED');
    }
  });

  it('gives each API key of a tenant its own bucket of the plan; metrics stay per tenant', async () => {
    // A bucket the first miss empties (it takes all 5), refilling too slowly to matter.
    const { app, post, postAs, tenant, key } = await setup({
      maximumAvailable: 5,
      restoreRate: 0.01,
      hitCost: 1,
    });
    expect((await post()).status).toBe(200);
    await settle();
    expect((await post()).status).toBe(429);
    // A second key of the same tenant, minted by an operator: a full bucket of the same plan.
    const minted = await app.execute(CREATE_KEY, { t: tenant.id }, OPS_TOKEN);
    const second = minted.data.createApiKey;
    const answer = await postAs(second);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('x-cache')).toBe('HIT'); // the tenant's entry, its scope
    const cost = ((await answer.json()) as Body).extensions?.cost;
    expect(cost?.throttleStatus).toEqual({
      maximumAvailable: 5,
      currentlyAvailable: 4,
      restoreRate: 0.01,
    });
    // The first key is still throttled: the second one's spending is its own.
    expect((await post()).status).toBe(429);
    // A revoked key's bucket doesn't matter: the key gets 401, the other key is served.
    const keys = await app.execute(KEYS, { t: tenant.id }, OPS_TOKEN);
    // The test's first key was written without a prefix; the minted one has one.
    const firstId = keys.data.apiKeys.find((k) => !k.prefix || !second.startsWith(k.prefix))?.id;
    expect(firstId).toBeDefined();
    await app.execute(REVOKE_KEY, { id: firstId as string }, OPS_TOKEN);
    expect((await post()).status).toBe(401);
    await settle();
    expect((await postAs(second)).status).toBe(200);
    // Stats and metrics: per tenant, the sum over its keys; no key id in a label.
    const stats = app.app.budgets?.tenants().find((t) => t.tenant === tenant.id);
    expect(stats?.throttled).toBe(2);
    expect(stats?.pointsUsed).toBeGreaterThanOrEqual(5 + 1 + 1);
    const metrics = await app.app.cache.stats.registry.getSingleMetricAsString(
      'hotpath_budget_throttled_total',
    );
    expect(metrics).toContain(`tenant="${tenant.id}"`);
    expect(metrics).not.toContain(firstId as string);
    expect(metrics).not.toContain(key);
  });

  it('lets a client that waits Retry-After through', async () => {
    const { post } = await setup({ maximumAvailable: 5, restoreRate: 5, hitCost: 5 });
    expect((await post()).status).toBe(200);
    await settle();
    const refused = await post();
    expect(refused.status).toBe(429);
    const wait = Number(refused.headers.get('retry-after'));
    expect(wait).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, wait * 1000));
    const again = await post();
    expect(again.status).toBe(200);
  });
});

describe('budgets on Redis, two instances', () => {
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    const cache = sharedRedisCache({ prefix: `hp-test-fair-${Date.now()}` });
    const config = { ...BUDGET_DEFAULTS, maximumAvailable: 5, restoreRate: 0.01 };
    a = await buildTestApp('postgres', { cache, budget: config });
    b = await buildTestApp('postgres', { cache, budget: config, db: a.db });
  });
  afterAll(async () => {
    await b.close();
    await a.close();
  });

  it('share one bucket: what one spends, the other cannot', async () => {
    const { tenant, key } = await a.createTenant();
    const user = await a.createUser(tenant.id);
    const post = (app: TestApp, u: string) =>
      app.request('/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify({ query: QUERY, variables: { u } }),
      });
    expect((await post(a, user.id)).status).toBe(200);
    await settle();
    // A different request, on the other instance: its bucket is the same and empty.
    const refused = await post(b, 'nobody');
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as Body).errors?.[0]?.extensions?.code).toBe('THROTTLED');
  });
});

describe('the bulkhead on executions', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await buildTestApp('sqlite', {
      cache: { backend: 'MEMORY' },
      budget: { ...BUDGET_DEFAULTS, maxConcurrentMisses: 1, missQueue: 1, missQueueMs: 5_000 },
    });
  });
  afterAll(() => app.close());

  it('runs one miss of a tenant at a time, queues one, and refuses the rest with TENANT_BUSY', async () => {
    const { tenant, key } = await app.createTenant();
    const busy = await app.createTenant();
    const users = await Promise.all(
      Array.from({ length: 3 }, (_, i) => app.createUser(tenant.id, `P${i}`)),
    );
    const bulkhead = app.app.costBudget?.bulkhead;
    if (!bulkhead) throw new Error('budgets are on in this app');
    // The tenant's one slot is taken, as by a long miss.
    const held = await bulkhead.acquire(tenant.id);
    const queued = app.execute(QUERY, { u: users[0].id }, key);
    await waitUntil(() => bulkhead.load(tenant.id).waiting === 1, 5_000);
    const refused = await Promise.all(
      users.slice(1).map((u) => app.execute(QUERY, { u: u.id }, key)),
    );
    for (const answer of refused) {
      expect(answer.status).toBe(429);
      expect(answer.body.errors?.[0]?.extensions?.code).toBe('TENANT_BUSY');
      expect(answer.headers.get('retry-after')).toBe('1');
      // Refused by the bulkhead: nothing ran (what it was charged came back).
      const cost = (answer.body as { extensions?: { cost?: Cost } }).extensions?.cost;
      expect(cost?.actualQueryCost).toBeNull();
    }
    // Another tenant is not held up by the first one's queue.
    const other = await app.createUser(busy.tenant.id);
    expect((await app.execute(QUERY, { u: other.id }, busy.key)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 30));
    held.release();
    expect((await queued).status).toBe(200);
    // The time it spent queued is counted for its tenant.
    const stats = app.app.budgets?.tenants() ?? [];
    const queuedSeconds = stats.find((s) => s.tenant === tenant.id)?.queuedSeconds ?? 0;
    expect(queuedSeconds).toBeGreaterThan(0.02);
    const metrics = await app.app.cache.stats.registry.getSingleMetricAsString(
      'hotpath_budget_queued_seconds_total',
    );
    expect(metrics).toContain(`tenant="${tenant.id}"`);
  });
});

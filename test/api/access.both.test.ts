import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashApiKey } from '../../src/db/api-keys.js';
import { ApiKey } from '../../src/db/entities/api-key.entity.js';
import { graphql } from '../gql/index.js';
import { buildTestApp, codes, dialects, OPS_TOKEN, type TestApp } from '../support/app.js';

const TYPENAME = graphql(`
  query AccessTypename { __typename }
`);
const CREATE_TENANT = graphql(`
  mutation AccessCreateTenant($name: String!, $timezone: String) {
    createTenant(name: $name, timezone: $timezone) { id name timezone }
  }
`);
const CREATE_USER = graphql(`
  mutation AccessCreateUser($i: CreateUserInput!) { createUser(input: $i) { id name plan } }
`);
const CREATE_API_KEY = graphql(`
  mutation AccessCreateApiKey($t: ID!) { createApiKey(tenantId: $t) }
`);
const USER_NAME = graphql(`
  query AccessUserName($id: ID!) { user(id: $id) { name } }
`);
const AGENDA = graphql(`
  query AccessAgenda($id: ID!, $date: Date!) { agenda(userId: $id, date: $date) { id } }
`);
const SERVICE_IDS = graphql(`
  query AccessServiceIds($id: ID!) { services(userId: $id) { id } }
`);
const WELCOME_TEMPLATE = graphql(`
  query AccessWelcomeTemplate($id: ID!, $type: TemplateType!) {
    templateByType(userId: $id, type: $type) { id }
  }
`);
const MEGA_STATS = graphql(`
  query AccessMegaStats { megaStats { id } }
`);

describe.each(dialects)('authentication and tenancy on %s', (dialect) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await buildTestApp(dialect);
  });
  afterAll(() => app.close());

  it('answers 401 UNAUTHENTICATED without a key or with an unknown one', async () => {
    for (const key of [null, 'hp_not_a_key']) {
      const res = await app.execute(TYPENAME, {}, key);
      expect(res.status).toBe(401);
      expect(codes(res.body)).toEqual(['UNAUTHENTICATED']);
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
    }
  });

  it('answers a tenant key seen before from its table, one entry per key, and nothing else', async () => {
    const authenticate = app.app.auth.authenticate;
    const { tenant, key } = await app.createTenant();
    const header = `Bearer ${key}`;
    expect(authenticate.known(header)).toBeUndefined();
    expect(await authenticate(header)).toMatchObject({ kind: 'tenant', tenantId: tenant.id });
    // The hit path's case: no digest, no await.
    expect(authenticate.known(header)).toMatchObject({ kind: 'tenant', tenantId: tenant.id });
    // The table is keyed by the key: every spelling of the header shares the one entry (and
    // leaves with it on revocation).
    const before = authenticate.sizes().keys;
    for (const spelling of [`Bearer  ${key}`, `bearer ${key}`, `Bearer\t${key} `]) {
      expect(authenticate.known(spelling)).toMatchObject({ tenantId: tenant.id });
    }
    expect(authenticate.sizes().keys).toBe(before);
    // Only keys that matched get in: not unknown keys, not the operator token.
    for (const other of ['Bearer hp_not_a_key', `Bearer ${OPS_TOKEN}`]) {
      await authenticate(other);
      expect(authenticate.known(other)).toBeUndefined();
    }
    expect(authenticate.sizes().keys).toBe(before);
    // A key over 256 characters is authenticated every time, never remembered.
    expect(authenticate.known(`Bearer ${'k'.repeat(300)}`)).toBeUndefined();
  });

  it('lets operators create tenants, users and keys, and the new key works once shown', async () => {
    const tenant = await app.execute(
      CREATE_TENANT,
      { name: 'Acme', timezone: 'Europe/Lisbon' },
      OPS_TOKEN,
    );
    expect(tenant.data.createTenant).toMatchObject({ name: 'Acme', timezone: 'Europe/Lisbon' });
    const tenantId = tenant.data.createTenant.id;

    const user = await app.execute(
      CREATE_USER,
      { i: { tenantId, name: 'Rita', plan: 'ENTERPRISE' } },
      OPS_TOKEN,
    );
    expect(user.data.createUser).toMatchObject({ name: 'Rita', plan: 'ENTERPRISE' });

    const created = await app.execute(CREATE_API_KEY, { t: tenantId }, OPS_TOKEN);
    const key: string = created.data.createApiKey;
    expect(key).toMatch(/^hp_[A-Za-z0-9_-]{40,}$/);
    const stored = await app.db.getRepository(ApiKey).findOneByOrFail({ tenantId });
    expect(stored.keyHash).toBe(hashApiKey(key));
    expect(JSON.stringify(stored)).not.toContain(key);

    const me = await app.execute(USER_NAME, { id: user.data.createUser.id }, key);
    expect(me.data.user?.name).toBe('Rita');
  });

  it('refuses operator mutations to tenants with FORBIDDEN, and tenant data to the operator', async () => {
    const { tenant, key } = await app.createTenant();
    const asTenant = await app.execute(CREATE_TENANT, { name: 'Mine' }, key);
    expect(codes(asTenant.body)).toEqual(['FORBIDDEN']);
    const keyForMe = await app.execute(CREATE_API_KEY, { t: tenant.id }, key);
    expect(codes(keyForMe.body)).toEqual(['FORBIDDEN']);
    const user = await app.createUser(tenant.id);
    const asOps = await app.execute(USER_NAME, { id: user.id }, OPS_TOKEN);
    expect(codes(asOps.body)).toEqual(['FORBIDDEN']);
  });

  it("answers another tenant's ids exactly like missing ones", async () => {
    const mine = await app.createTenant('Mine');
    const theirs = await app.createTenant('Theirs');
    const theirUser = await app.createUser(theirs.tenant.id, 'Secret');
    /** Each read of a user's data, asking for `id` as the tenant Mine. */
    const reads = [
      (id: string) => app.execute(USER_NAME, { id }, mine.key),
      (id: string) => app.execute(AGENDA, { id, date: '2026-01-01' }, mine.key),
      (id: string) => app.execute(SERVICE_IDS, { id }, mine.key),
      (id: string) => app.execute(WELCOME_TEMPLATE, { id, type: 'WELCOME' }, mine.key),
    ];
    for (const read of reads) {
      const other = await read(theirUser.id);
      const missing = await read('00000000-0000-4000-8000-00000000dead');
      expect(codes(other.body)).toEqual(['NOT_FOUND']);
      expect(other.body.errors?.[0].message).toBe(
        missing.body.errors?.[0].message.replace(
          '00000000-0000-4000-8000-00000000dead',
          theirUser.id,
        ),
      );
      expect(JSON.stringify(other.body)).not.toContain('Secret');
    }
  });

  it('rejects bad operator input with BAD_USER_INPUT naming the field', async () => {
    const tz = await app.execute(CREATE_TENANT, { name: 'X', timezone: 'Mars/Base' }, OPS_TOKEN);
    expect(codes(tz.body)).toEqual(['BAD_USER_INPUT']);
    expect(tz.body.errors?.[0].message).toMatch(/^timezone: /);
    // GOLD is no Plan: the input types would refuse it, so these two are sent as text.
    const plan = await app.execute(
      `mutation { createUser(input: {tenantId: "x", name: "A", plan: GOLD}) { id } }`,
      {},
      OPS_TOKEN,
    );
    expect(codes(plan.body)).toEqual(['BAD_USER_INPUT']);
    expect(plan.body.errors?.[0].message).toMatch(/^input\.plan: /);
    const planVar = await app.execute(
      `mutation($i: CreateUserInput!) { createUser(input: $i) { id } }`,
      {
        i: { tenantId: 'x', name: 'A', plan: 'GOLD' },
      },
      OPS_TOKEN,
    );
    expect(codes(planVar.body)).toEqual(['BAD_USER_INPUT']);
    expect(planVar.body.errors?.[0].message).toContain('i.plan');
    const longName = await app.execute(CREATE_TENANT, { name: 'x'.repeat(201) }, OPS_TOKEN);
    expect(codes(longName.body)).toEqual(['BAD_USER_INPUT']);
    expect(longName.body.errors?.[0].message).toMatch(/^name: /);
    const noTenant = await app.execute(
      CREATE_USER,
      { i: { tenantId: 'nope', name: 'A', plan: 'FREE' } },
      OPS_TOKEN,
    );
    expect(codes(noTenant.body)).toEqual(['NOT_FOUND']);
  });

  it('masks unexpected errors', async () => {
    const { key } = await app.createTenant();
    const original = app.services.megaStats.compute;
    app.services.megaStats.compute = async () => {
      throw new Error('connection reset by peer at 10.0.0.7');
    };
    try {
      const res = await app.execute(MEGA_STATS, {}, key);
      expect(res.body.errors?.[0].message).toBe('Unexpected error.');
      expect(JSON.stringify(res.body)).not.toContain('10.0.0.7');
    } finally {
      app.services.megaStats.compute = original;
    }
  });

  it('reports database state on /health', async () => {
    const res = await app.request('/health');
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok', database: { status: 'ok' } });
  });
});

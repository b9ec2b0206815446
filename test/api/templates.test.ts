import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MessageTemplate } from '../../src/db/entities/message-template.entity.js';
import { graphql } from '../gql/index.js';
import { buildTestApp, codes, dialects, type TestApp } from '../support/app.js';

const BY_TYPE = graphql(`
  query TemplateByType($u: ID!, $t: TemplateType!) {
    templateByType(userId: $u, type: $t) { id name body variables }
  }
`);
const TEMPLATE_NAME = graphql(`
  query TemplateName($id: ID!) { template(id: $id) { name } }
`);
const UPSERT = graphql(`
  mutation UpsertTemplate($i: UpsertTemplateInput!) {
    upsertTemplate(input: $i) { id name body variables }
  }
`);
const RENDER = graphql(`
  query RenderTemplate($u: ID!, $t: TemplateType!, $v: JSON!) {
    renderTemplate(userId: $u, type: $t, variables: $v) { text template { id } }
  }
`);

describe.each(dialects)('message templates on %s', (dialect) => {
  let app: TestApp;
  let key: string;
  let ana: string;
  let bia: string;

  beforeAll(async () => {
    app = await buildTestApp(dialect);
    const { tenant, key: k } = await app.createTenant();
    key = k;
    ana = (await app.createUser(tenant.id, 'Ana')).id;
    bia = (await app.createUser(tenant.id, 'Bia')).id;
  });
  afterAll(() => app.close());

  it("falls back from the user's template to the tenant default to the built-in one", async () => {
    const builtIn = await app.execute(BY_TYPE, { u: ana, t: 'APPOINTMENT_REMINDER' }, key);
    expect(builtIn.data.templateByType).toMatchObject({
      id: 'builtin:APPOINTMENT_REMINDER',
      variables: ['client_name', 'provider_name', 'date', 'time'],
    });
    const byId = await app.execute(TEMPLATE_NAME, { id: 'builtin:APPOINTMENT_REMINDER' }, key);
    expect(byId.data.template?.name).toBe('Appointment reminder');

    const tenantDefault = await app.execute(
      UPSERT,
      { i: { type: 'APPOINTMENT_REMINDER', name: 'Default', body: 'Oi {{client_name}}' } },
      key,
    );
    const own = await app.execute(
      UPSERT,
      {
        i: {
          userId: ana,
          type: 'APPOINTMENT_REMINDER',
          name: 'Ana',
          body: 'Olá {{ client_name }}, até {{time}}!',
        },
      },
      key,
    );
    expect(own.data.upsertTemplate.variables).toEqual(['client_name', 'time']);

    expect(
      (await app.execute(BY_TYPE, { u: ana, t: 'APPOINTMENT_REMINDER' }, key)).data.templateByType
        ?.id,
    ).toBe(own.data.upsertTemplate.id);
    expect(
      (await app.execute(BY_TYPE, { u: bia, t: 'APPOINTMENT_REMINDER' }, key)).data.templateByType
        ?.id,
    ).toBe(tenantDefault.data.upsertTemplate.id);
    const loaded = await app.execute(TEMPLATE_NAME, { id: own.data.upsertTemplate.id }, key);
    expect(loaded.data.template?.name).toBe('Ana');
  });

  it('upserts in place: the second write of the same template updates the same row', async () => {
    const first = await app.execute(
      UPSERT,
      { i: { userId: bia, type: 'WELCOME', name: 'v1', body: 'Hi {{client_name}}' } },
      key,
    );
    const second = await app.execute(
      UPSERT,
      { i: { userId: bia, type: 'WELCOME', name: 'v2', body: 'Hello {{client_name}}' } },
      key,
    );
    expect(second.data.upsertTemplate.id).toBe(first.data.upsertTemplate.id);
    expect(
      await app.db.getRepository(MessageTemplate).countBy({ userId: bia, type: 'WELCOME' }),
    ).toBe(1);
    const [a, b] = await Promise.all(
      ['x', 'y'].map((n) =>
        app.execute(UPSERT, { i: { type: 'WELCOME', name: n, body: `Bem-vindo ${n}` } }, key),
      ),
    );
    expect(a.body.errors ?? b.body.errors).toBeUndefined();
    expect(a.data.upsertTemplate.id).toBe(b.data.upsertTemplate.id);
  });

  it('renders variables and names the missing ones', async () => {
    await app.execute(
      UPSERT,
      {
        i: {
          userId: ana,
          type: 'APPOINTMENT_CONFIRMATION',
          name: 'c',
          body: '{{client_name}} às {{time}} com {{provider_name}}',
        },
      },
      key,
    );
    const ok = await app.execute(
      RENDER,
      {
        u: ana,
        t: 'APPOINTMENT_CONFIRMATION',
        v: { client_name: 'João', time: '14:00', provider_name: 'Ana', extra: 1 },
      },
      key,
    );
    expect(ok.data.renderTemplate.text).toBe('João às 14:00 com Ana');

    const missing = await app.execute(
      RENDER,
      { u: ana, t: 'APPOINTMENT_CONFIRMATION', v: { client_name: 'João' } },
      key,
    );
    expect(codes(missing.body)).toEqual(['BAD_USER_INPUT']);
    expect(missing.body.errors?.[0].message).toBe('variables: missing time, provider_name');

    const notObject = await app.execute(
      RENDER,
      { u: ana, t: 'APPOINTMENT_CONFIRMATION', v: ['João'] },
      key,
    );
    expect(codes(notObject.body)).toEqual(['BAD_USER_INPUT']);
    const nested = await app.execute(
      RENDER,
      {
        u: ana,
        t: 'APPOINTMENT_CONFIRMATION',
        v: { client_name: { a: 1 }, time: 'x', provider_name: 'y' },
      },
      key,
    );
    expect(nested.body.errors?.[0].message).toMatch(/^variables\.client_name: /);
  });

  it('validates upserts and keeps other tenants out', async () => {
    const empty = await app.execute(UPSERT, { i: { type: 'WELCOME', name: 'n', body: ' ' } }, key);
    expect(empty.body.errors?.[0].message).toBe('input.body: must not be empty');
    const other = await app.createTenant('Other');
    const foreign = await app.execute(
      UPSERT,
      { i: { userId: ana, type: 'WELCOME', name: 'n', body: 'b' } },
      other.key,
    );
    expect(codes(foreign.body)).toEqual(['NOT_FOUND']);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql } from '../gql/index.js';
import { buildTestApp, codes, dialects, type TestApp } from '../support/app.js';

const SESSION = graphql(`
  query Session($id: ID!) {
    session(id: $id) {
      id
      name
      status { id state updatedAt }
      qrCode { id code expiresAt }
      credential { id deviceJid }
    }
  }
`);
const CREATE_SESSION = graphql(`
  mutation CreateSession($name: String!) {
    createSession(name: $name) { id status { state } qrCode { id } credential { id } }
  }
`);
const REFRESH_QR_CODE = graphql(`
  mutation RefreshQrCode($id: ID!) { refreshQrCode(sessionId: $id) { id code expiresAt } }
`);
const SET_DEVICE_CREDENTIAL = graphql(`
  mutation SetDeviceCredential($id: ID!, $jid: String!) {
    setDeviceCredential(sessionId: $id, deviceJid: $jid) { id deviceJid }
  }
`);
const SESSION_STATUS = graphql(`
  query SessionStatus($id: ID!) { sessionStatus(id: $id) { state } }
`);
const UPDATE_SESSION_STATUS = graphql(`
  mutation UpdateSessionStatus($id: ID!, $state: SessionState!) {
    updateSessionStatus(id: $id, state: $state) { state }
  }
`);
const JID = '5511987654321:3@s.whatsapp.net';

describe.each(dialects)('WhatsApp sessions on %s', (dialect) => {
  let app: TestApp;
  let key: string;
  let now = new Date('2026-11-22T12:00:00.000Z');

  beforeAll(async () => {
    app = await buildTestApp(dialect, { now: () => now });
    key = (await app.createTenant()).key;
  });
  afterAll(() => app.close());

  it('walks a session from created to paired', async () => {
    const created = await app.execute(CREATE_SESSION, { name: 'Front desk' }, key);
    const session = created.data.createSession;
    expect(session).toMatchObject({
      status: { state: 'DISCONNECTED' },
      qrCode: null,
      credential: null,
    });

    const qr = await app.execute(REFRESH_QR_CODE, { id: session.id }, key);
    expect(qr.data.refreshQrCode).toMatchObject({
      id: session.id,
      expiresAt: '2026-11-22T12:01:00.000Z',
    });
    expect(qr.data.refreshQrCode.code).toMatch(/^2@/);
    const pending = await app.execute(SESSION, { id: session.id }, key);
    expect(pending.data.session?.status.state).toBe('QR_PENDING');
    expect(pending.data.session?.qrCode?.code).toBe(qr.data.refreshQrCode.code);

    now = new Date('2026-11-22T12:01:00.001Z');
    const expired = await app.execute(SESSION, { id: session.id }, key);
    expect(expired.data.session?.qrCode).toBeNull();

    const paired = await app.execute(SET_DEVICE_CREDENTIAL, { id: session.id, jid: JID }, key);
    expect(paired.data.setDeviceCredential.deviceJid).toBe(JID);
    const connected = await app.execute(SESSION, { id: session.id }, key);
    expect(connected.data.session).toMatchObject({
      status: { state: 'CONNECTED', updatedAt: '2026-11-22T12:01:00.001Z' },
      qrCode: null,
      credential: { deviceJid: JID },
    });
    const status = await app.execute(SESSION_STATUS, { id: session.id }, key);
    expect(status.data.sessionStatus?.state).toBe('CONNECTED');

    const refused = await app.execute(REFRESH_QR_CODE, { id: session.id }, key);
    expect(codes(refused.body)).toEqual(['BAD_USER_INPUT']);

    const down = await app.execute(
      UPDATE_SESSION_STATUS,
      { id: session.id, state: 'DISCONNECTED' },
      key,
    );
    expect(down.data.updateSessionStatus.state).toBe('DISCONNECTED');
  });

  it('validates the device JID and the name, and keeps other tenants out', async () => {
    const { id } = (await app.execute(CREATE_SESSION, { name: 'Bot' }, key)).data.createSession;
    const bad = await app.execute(SET_DEVICE_CREDENTIAL, { id, jid: 'not-a-jid' }, key);
    expect(codes(bad.body)).toEqual(['BAD_USER_INPUT']);
    expect(bad.body.errors?.[0].message).toMatch(/^deviceJid: /);
    const noName = await app.execute(CREATE_SESSION, { name: '' }, key);
    expect(noName.body.errors?.[0].message).toBe('name: must not be empty');

    const other = await app.createTenant('Other');
    for (const res of [
      await app.execute(SESSION, { id }, other.key),
      await app.execute(SESSION_STATUS, { id }, other.key),
      await app.execute(REFRESH_QR_CODE, { id }, other.key),
    ]) {
      expect(codes(res.body)).toEqual(['NOT_FOUND']);
    }
  });
});

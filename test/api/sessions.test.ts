import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, codes, dialects, type TestApp } from '../support/app.js';

const SESSION = `query($id: ID!) {
  session(id: $id) { id name status { id state updatedAt } qrCode { id code expiresAt } credential { id deviceJid } }
}`;

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
    const created = await app.execute(
      `mutation { createSession(name: "Front desk") { id status { state } qrCode { id } credential { id } } }`,
      {},
      key,
    );
    const session = created.data.createSession;
    expect(session).toMatchObject({
      status: { state: 'DISCONNECTED' },
      qrCode: null,
      credential: null,
    });

    const qr = await app.execute(
      `mutation($id: ID!) { refreshQrCode(sessionId: $id) { id code expiresAt } }`,
      { id: session.id },
      key,
    );
    expect(qr.data.refreshQrCode).toMatchObject({
      id: session.id,
      expiresAt: '2026-11-22T12:01:00.000Z',
    });
    expect(qr.data.refreshQrCode.code).toMatch(/^2@/);
    const pending = await app.execute(SESSION, { id: session.id }, key);
    expect(pending.data.session.status.state).toBe('QR_PENDING');
    expect(pending.data.session.qrCode.code).toBe(qr.data.refreshQrCode.code);

    now = new Date('2026-11-22T12:01:00.001Z');
    const expired = await app.execute(SESSION, { id: session.id }, key);
    expect(expired.data.session.qrCode).toBeNull();

    const paired = await app.execute(
      `mutation($id: ID!) { setDeviceCredential(sessionId: $id, deviceJid: "5511987654321:3@s.whatsapp.net") { id deviceJid } }`,
      { id: session.id },
      key,
    );
    expect(paired.data.setDeviceCredential.deviceJid).toBe('5511987654321:3@s.whatsapp.net');
    const connected = await app.execute(SESSION, { id: session.id }, key);
    expect(connected.data.session).toMatchObject({
      status: { state: 'CONNECTED', updatedAt: '2026-11-22T12:01:00.001Z' },
      qrCode: null,
      credential: { deviceJid: '5511987654321:3@s.whatsapp.net' },
    });
    const status = await app.execute(
      `query($id: ID!) { sessionStatus(id: $id) { state } }`,
      { id: session.id },
      key,
    );
    expect(status.data.sessionStatus.state).toBe('CONNECTED');

    const refused = await app.execute(
      `mutation($id: ID!) { refreshQrCode(sessionId: $id) { id } }`,
      { id: session.id },
      key,
    );
    expect(codes(refused.body)).toEqual(['BAD_USER_INPUT']);

    const down = await app.execute(
      `mutation($id: ID!) { updateSessionStatus(id: $id, state: DISCONNECTED) { state } }`,
      { id: session.id },
      key,
    );
    expect(down.data.updateSessionStatus.state).toBe('DISCONNECTED');
  });

  it('validates the device JID and the name, and keeps other tenants out', async () => {
    const { id } = (await app.execute(`mutation { createSession(name: "Bot") { id } }`, {}, key))
      .data.createSession;
    const bad = await app.execute(
      `mutation($id: ID!) { setDeviceCredential(sessionId: $id, deviceJid: "not-a-jid") { id } }`,
      { id },
      key,
    );
    expect(codes(bad.body)).toEqual(['BAD_USER_INPUT']);
    expect(bad.body.errors?.[0].message).toMatch(/^deviceJid: /);
    const noName = await app.execute(`mutation { createSession(name: "") { id } }`, {}, key);
    expect(noName.body.errors?.[0].message).toBe('name: must not be empty');

    const other = await app.createTenant('Other');
    for (const query of [
      SESSION,
      `query($id: ID!) { sessionStatus(id: $id) { state } }`,
      `mutation($id: ID!) { refreshQrCode(sessionId: $id) { id } }`,
    ]) {
      const res = await app.execute(query, { id }, other.key);
      expect(codes(res.body)).toEqual(['NOT_FOUND']);
    }
  });
});

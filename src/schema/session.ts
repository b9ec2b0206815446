import { sessionTag } from '../cache/invalidation/tags.js';
import type { Context } from '../context.js';
import { SESSION_STATES, type WhatsAppSession } from '../db/entities/whatsapp-session.entity.js';
import { loadSessions } from '../loaders/session.loader.js';
import { builder } from './builder.js';
import { loadableRef, loadOrNotFound, tenantLoader } from './loading.js';

const SessionStateEnum = builder.enumType('SessionState', {
  description: 'Where pairing stands: new sessions start DISCONNECTED.',
  values: SESSION_STATES,
});

// Status, QR code and credential are views of the session row; each has the session's id.
const SessionStatusRef = builder.objectRef<WhatsAppSession>('SessionStatus').implement({
  description: "A session's connection state; cached 5 min, invalidated by its mutations.",
  fields: (t) => ({
    id: t.exposeID('id', { description: "The session's id." }),
    state: t.field({
      type: SessionStateEnum,
      description: 'The current state.',
      resolve: (s) => s.state,
    }),
    updatedAt: t.expose('updatedAt', {
      type: 'DateTime',
      description: "The session's last change by any of its mutations.",
    }),
  }),
});

const QrCodeRef = builder.objectRef<WhatsAppSession>('QrCode').implement({
  description: 'The code to scan with the phone; valid for 60 seconds.',
  fields: (t) => ({
    id: t.exposeID('id', { description: "The session's id." }),
    code: t.string({
      description: 'The text to render as a QR code.',
      resolve: (s) => s.qrCode ?? '',
    }),
    expiresAt: t.field({
      type: 'DateTime',
      description: 'When the code stops working: 60 s after refreshQrCode issued it.',
      resolve: (s) => s.qrExpiresAt ?? s.updatedAt,
    }),
  }),
});

const DeviceCredentialRef = builder.objectRef<WhatsAppSession>('DeviceCredential').implement({
  description: 'The paired WhatsApp device of a session; cached 6 h, invalidated on change.',
  fields: (t) => ({
    id: t.exposeID('id', { description: "The session's id." }),
    deviceJid: t.string({
      description: 'The device JID, like 5511999999999@s.whatsapp.net.',
      resolve: (s) => s.deviceJid ?? '',
    }),
  }),
});

const SessionRef = loadableRef<WhatsAppSession>('WhatsAppSession', tenantLoader(loadSessions));

builder.objectType(SessionRef, {
  description: 'A WhatsApp connection of the tenant; cached 24 h, invalidated by its mutations.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'UUID.' }),
    name: t.exposeString('name', { description: '1 to 200 characters.' }),
    status: t.field({
      type: SessionStatusRef,
      description: 'The connection state.',
      resolve: (s) => s,
    }),
    qrCode: t.field({
      type: QrCodeRef,
      nullable: true,
      description: 'The current code; null when there is none or it has expired.',
      resolve: (s, _, ctx) => {
        const lifeMs = ctx.services.sessions.qrCodeLifeMs(s);
        if (lifeMs <= 0) return null;
        // A cached code must not outlive the code itself.
        ctx.cache?.capTtl(lifeMs);
        return s;
      },
    }),
    credential: t.field({
      type: DeviceCredentialRef,
      nullable: true,
      description: 'The paired device; null until one is set.',
      resolve: (s) => (s.deviceJid ? s : null),
    }),
  }),
});

/** Status, QR code and credential responses all go when the session changes. */
function loadSession(ctx: Context, id: string) {
  ctx.cache?.tag(sessionTag(id));
  return loadOrNotFound(SessionRef, ctx, 'WhatsAppSession', id);
}

builder.queryFields((t) => ({
  session: t.field({
    type: SessionRef,
    nullable: true,
    description: "A session of the caller's tenant; null only with a NOT_FOUND error.",
    args: { id: t.arg.id({ required: true }) },
    resolve: (_, args, ctx) => loadSession(ctx, String(args.id)),
  }),
  sessionStatus: t.field({
    type: SessionStatusRef,
    nullable: true,
    description: "The session's state alone; null only with a NOT_FOUND error.",
    args: { id: t.arg.id({ required: true }) },
    resolve: (_, args, ctx) => loadSession(ctx, String(args.id)),
  }),
}));

builder.mutationFields((t) => ({
  createSession: t.field({
    type: SessionRef,
    description: 'A new session, DISCONNECTED, without QR code or credential; name 1 to 200 chars.',
    args: { name: t.arg.string({ required: true }) },
    resolve: (_, args, ctx) => ctx.services.sessions.create(ctx.viewer, args.name),
  }),
  updateSessionStatus: t.field({
    type: SessionStatusRef,
    description:
      "Sets the state only; the QR code and credential stay. Invalidates the session's cached " +
      "responses. NOT_FOUND for another tenant's session.",
    args: {
      id: t.arg.id({ required: true }),
      state: t.arg({ type: SessionStateEnum, required: true }),
    },
    resolve: (_, args, ctx) =>
      ctx.services.sessions.updateStatus(ctx.viewer, String(args.id), args.state),
  }),
  refreshQrCode: t.field({
    type: QrCodeRef,
    description: 'A new code valid for 60 s; the session moves to QR_PENDING.',
    args: { sessionId: t.arg.id({ required: true }) },
    resolve: (_, args, ctx) =>
      ctx.services.sessions.refreshQrCode(ctx.viewer, String(args.sessionId)),
  }),
  setDeviceCredential: t.field({
    type: DeviceCredentialRef,
    description: 'The paired device; the session moves to CONNECTED.',
    args: {
      sessionId: t.arg.id({ required: true }),
      deviceJid: t.arg.string({ required: true }),
    },
    resolve: (_, args, ctx) =>
      ctx.services.sessions.setDeviceCredential(ctx.viewer, String(args.sessionId), args.deviceJid),
  }),
}));

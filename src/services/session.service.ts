import { randomBytes, randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { z } from 'zod';
import type { Viewer } from '../auth/viewer.js';
import { sessionTag } from '../cache/invalidation/tags.js';
import { type SessionState, WhatsAppSession } from '../db/entities/whatsapp-session.entity.js';
import { badInput, notFound } from '../errors/errors.js';
import { name, parseInput } from '../validation.js';
import { requireTenant } from './access.js';
import type { ServiceDeps } from './deps.js';

export const QR_CODE_LIFETIME_MS = 60_000;

/** A WhatsApp device JID: digits, an optional device number, the user server. */
const deviceJid = z
  .string()
  .trim()
  .regex(/^\d{5,20}(:\d{1,3})?@s\.whatsapp\.net$/, 'must look like 5511999999999@s.whatsapp.net');

export class SessionService {
  constructor(private readonly deps: ServiceDeps) {}

  /** How long the session's QR code stays valid; 0 when there is none or it expired. */
  qrCodeLifeMs(session: WhatsAppSession): number {
    if (!session.qrCode || !session.qrExpiresAt) return 0;
    return Math.max(0, session.qrExpiresAt.getTime() - this.deps.clock().getTime());
  }

  async create(viewer: Viewer, sessionName: string) {
    const { tenantId } = requireTenant(viewer);
    const input = parseInput(z.object({ name }), { name: sessionName }, '');
    const now = this.deps.clock();
    return this.deps.db.getRepository(WhatsAppSession).save({
      id: randomUUID(),
      tenantId,
      name: input.name,
      state: 'DISCONNECTED' as const,
      qrCode: null,
      qrExpiresAt: null,
      deviceJid: null,
      createdAt: now,
      updatedAt: now,
    });
  }

  updateStatus(viewer: Viewer, sessionId: string, state: SessionState) {
    return this.change(viewer, sessionId, (session) => {
      session.state = state;
    });
  }

  /** A new code, valid for 60 s; the session waits for it to be scanned. */
  refreshQrCode(viewer: Viewer, sessionId: string) {
    return this.change(viewer, sessionId, (session, now) => {
      if (session.state === 'CONNECTED') {
        throw badInput('sessionId', 'is connected; disconnect it before pairing again');
      }
      session.qrCode = `2@${randomBytes(48).toString('base64')}`;
      session.qrExpiresAt = new Date(now.getTime() + QR_CODE_LIFETIME_MS);
      session.state = 'QR_PENDING';
    });
  }

  /** The paired device: the session is connected and its QR code is spent. */
  setDeviceCredential(viewer: Viewer, sessionId: string, jid: string) {
    const input = parseInput(z.object({ deviceJid }), { deviceJid: jid }, '');
    return this.change(viewer, sessionId, (session) => {
      session.deviceJid = input.deviceJid;
      session.state = 'CONNECTED';
      session.qrCode = null;
      session.qrExpiresAt = null;
    });
  }

  private async change(
    viewer: Viewer,
    sessionId: string,
    apply: (session: WhatsAppSession, now: Date) => void,
  ) {
    const { tenantId } = requireTenant(viewer);
    return this.deps.cache.transaction(async (em: EntityManager, invalidate) => {
      const row = await em.findOneBy(WhatsAppSession, { id: sessionId, tenantId });
      if (!row) throw notFound('WhatsAppSession', sessionId);
      const now = this.deps.clock();
      apply(row, now);
      row.updatedAt = now;
      const session = await em.save(row);
      invalidate(tenantId, [sessionTag(session.id)]);
      return session;
    });
  }
}

import { randomBytes, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { KEY_REVOCATION_CHANNEL } from '../auth/keys.js';
import type { Viewer } from '../auth/viewer.js';
import { apiKeyPrefix, hashApiKey } from '../db/api-keys.js';
import { dialectOf, inTransaction } from '../db/data-source.js';
import { ApiKey } from '../db/entities/api-key.entity.js';
import { Tenant } from '../db/entities/tenant.entity.js';
import { PLANS, User } from '../db/entities/user.entity.js';
import { badInput, notFound } from '../errors/errors.js';
import { id, name, parseInput, timeZone } from '../validation.js';
import { requireOperator } from './access.js';
import type { ServiceDeps } from './deps.js';

/** What the authenticator must hear of at once, before the mutation answers. */
export interface KeyEvents {
  created(keyHash: string): void;
  revoked(keyHash: string): void;
}

const createTenantInput = z.object({ name, timezone: timeZone.optional() });
const createUserInput = z.object({ tenantId: id, name, plan: z.enum(PLANS) });

/** Tenants, their users and API keys: the operator's side. */
export class TenantService {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly keys: KeyEvents = { created() {}, revoked() {} },
  ) {}

  async createTenant(viewer: Viewer, args: { name: string; timezone?: string | null }) {
    requireOperator(viewer);
    const input = parseInput(
      createTenantInput,
      { ...args, timezone: args.timezone ?? undefined },
      '',
    );
    const tenant = this.deps.db.getRepository(Tenant).create({
      id: randomUUID(),
      name: input.name,
      timezone: input.timezone ?? this.deps.defaultTimezone,
      createdAt: this.deps.clock(),
    });
    return this.deps.db.getRepository(Tenant).save(tenant);
  }

  async createUser(viewer: Viewer, args: { tenantId: string; name: string; plan: string }) {
    requireOperator(viewer);
    const input = parseInput(createUserInput, args);
    return inTransaction(this.deps.db, async (em) => {
      if (!(await em.existsBy(Tenant, { id: input.tenantId }))) {
        throw notFound('Tenant', input.tenantId);
      }
      return em.save(em.create(User, { id: randomUUID(), ...input, createdAt: this.deps.clock() }));
    });
  }

  /** The key is returned once; only its SHA-256 and its first characters are stored. */
  async createApiKey(viewer: Viewer, tenantId: string, expiresAt?: Date | null) {
    requireOperator(viewer);
    const now = this.deps.clock();
    if (expiresAt && expiresAt.getTime() <= now.getTime()) {
      throw badInput('expiresAt', 'must be in the future.');
    }
    const key = `hp_${randomBytes(32).toString('base64url')}`;
    const keyHash = hashApiKey(key);
    await inTransaction(this.deps.db, async (em) => {
      if (!(await em.existsBy(Tenant, { id: tenantId }))) throw notFound('Tenant', tenantId);
      await em.insert(ApiKey, {
        id: randomUUID(),
        tenantId,
        keyHash,
        prefix: apiKeyPrefix(key),
        createdAt: now,
        expiresAt: expiresAt ?? null,
      });
    });
    this.keys.created(keyHash);
    return key;
  }

  /** A tenant's keys, newest first: prefixes and dates, never a secret or a hash. */
  async apiKeys(viewer: Viewer, tenantId: string) {
    requireOperator(viewer);
    if (!(await this.deps.db.getRepository(Tenant).existsBy({ id: tenantId }))) {
      throw notFound('Tenant', tenantId);
    }
    return this.deps.db
      .getRepository(ApiKey)
      .find({ where: { tenantId }, order: { createdAt: 'DESC', id: 'ASC' } });
  }

  /**
   * Refused on this instance before it answers, on the others within a poll of the database
   * (KEY_REVOCATION_POLL_MS). Revoking a revoked key changes nothing and answers the same.
   */
  async revokeApiKey(viewer: Viewer, keyId: string) {
    requireOperator(viewer);
    const key = await inTransaction(this.deps.db, async (em) => {
      const found = await em.findOneBy(ApiKey, { id: keyId });
      if (!found) throw notFound('ApiKey', keyId);
      if (!found.revokedAt) {
        // The wall clock, not the app's: other instances poll for revocations by this time.
        found.revokedAt = new Date();
        await em.update(ApiKey, { id: keyId }, { revokedAt: found.revokedAt });
        // Delivered at commit: the other instances drop it at once instead of at their next poll.
        if (dialectOf(this.deps.db) === 'postgres') {
          await em.query('SELECT pg_notify($1, $2)', [KEY_REVOCATION_CHANNEL, found.keyHash]);
        }
      }
      return found;
    });
    this.keys.revoked(key.keyHash);
    return key;
  }
}

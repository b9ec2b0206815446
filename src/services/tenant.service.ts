import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Viewer } from '../context.js';
import { inTransaction } from '../db/data-source.js';
import { ApiKey } from '../db/entities/api-key.entity.js';
import { Tenant } from '../db/entities/tenant.entity.js';
import { PLANS, User } from '../db/entities/user.entity.js';
import { notFound } from '../errors.js';
import { id, name, parseInput, timeZone } from '../validation.js';
import { requireOperator } from './access.js';
import type { ServiceDeps } from './deps.js';

export const hashApiKey = (key: string) => createHash('sha256').update(key).digest('hex');

const createTenantInput = z.object({ name, timezone: timeZone.optional() });
const createUserInput = z.object({ tenantId: id, name, plan: z.enum(PLANS) });

/** Tenants, their users and API keys: the operator's side. */
export class TenantService {
  constructor(private readonly deps: ServiceDeps) {}

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

  /** The key is returned once; only its SHA-256 is stored. */
  async createApiKey(viewer: Viewer, tenantId: string) {
    requireOperator(viewer);
    return inTransaction(this.deps.db, async (em) => {
      if (!(await em.existsBy(Tenant, { id: tenantId }))) throw notFound('Tenant', tenantId);
      const key = `hp_${randomBytes(32).toString('base64url')}`;
      await em.insert(ApiKey, {
        id: randomUUID(),
        tenantId,
        keyHash: hashApiKey(key),
        createdAt: this.deps.clock(),
      });
      return key;
    });
  }
}

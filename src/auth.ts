import { hash, timingSafeEqual } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { DataSource } from 'typeorm';
import type { Viewer } from './context.js';
import { ApiKey } from './db/entities/api-key.entity.js';
import { Tenant } from './db/entities/tenant.entity.js';

export interface AuthenticatorOptions {
  db: DataSource;
  opsToken: string;
  /** How long a resolved key is trusted without asking the database again. */
  keyTtlMs?: number;
}

export type Authenticate = ((
  authorization: string | null | undefined,
) => Promise<Viewer | null>) & {
  /** A tenant key answered before and still trusted, without waiting: the hit path's case. */
  known(authorization: string | undefined): Viewer | undefined;
};

/** Longer headers are authenticated every time: the table stays small whatever is sent. */
const MAX_REMEMBERED_HEADER = 256;

const OPERATOR: Viewer = Object.freeze({ kind: 'operator' });

/**
 * Resolves `Authorization: Bearer <key>` to a viewer. Known keys are answered from memory, so
 * the cache's hit path costs no database round trip; unknown keys always ask the database.
 */
export function createAuthenticator(options: AuthenticatorOptions): Authenticate {
  const opsHash = hash('sha256', options.opsToken, 'buffer');
  const known = new LRUCache<string, Viewer>({ max: 10_000, ttl: options.keyTtlMs ?? 300_000 });
  // Tenant keys that matched, by the exact header that carried them: a repeat needs neither
  // the parse nor the digest. Only headers that matched a key get in, so a client can't grow it.
  const byHeader = new LRUCache<string, Viewer>({
    max: 10_000,
    ttl: options.keyTtlMs ?? 300_000,
  });

  const authenticate = async (authorization: string | null | undefined) => {
    const remembered = authorization ? byHeader.get(authorization) : undefined;
    if (remembered) return remembered;
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    if (!match) return null;
    // One digest serves both checks: the operator token, then the stored key hashes.
    const digest = hash('sha256', match[1], 'buffer');
    if (timingSafeEqual(digest, opsHash)) return OPERATOR;

    const keyHash = digest.toString('hex');
    const remember = (viewer: Viewer) => {
      if (authorization && authorization.length <= MAX_REMEMBERED_HEADER) {
        byHeader.set(authorization, viewer);
      }
      return viewer;
    };
    const cached = known.get(keyHash);
    if (cached) return remember(cached);
    const row = await options.db
      .getRepository(ApiKey)
      .createQueryBuilder('k')
      .innerJoin(Tenant, 't', 't.id = k.tenant_id')
      .select(['k.tenant_id AS "tenantId"', 't.timezone AS "timezone"'])
      .where('k.key_hash = :keyHash', { keyHash })
      .getRawOne<{ tenantId: string; timezone: string }>();
    if (!row) return null;
    const viewer: Viewer = Object.freeze({ kind: 'tenant', ...row });
    known.set(keyHash, viewer);
    return remember(viewer);
  };
  return Object.assign(authenticate, {
    known: (authorization: string | undefined) =>
      authorization ? byHeader.get(authorization) : undefined,
  });
}

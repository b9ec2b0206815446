import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createAuthenticator } from '../../src/auth/authenticator.js';
import { hashApiKey } from '../../src/db/api-keys.js';
import { ApiKey } from '../../src/db/entities/api-key.entity.js';
import { Tenant } from '../../src/db/entities/tenant.entity.js';
import { dialects, OPS_TOKEN, openTestDatabase } from '../support/app.js';

// The migration that gives keys a life, on a database that already has keys: they keep working,
// with no prefix (only their hash was ever stored), no expiry, not revoked. And it comes undone.

describe.each(dialects)('the API key lifecycle migration on %s', (dialect) => {
  it('keeps existing keys working, without a prefix; down and up again', async () => {
    const { db, close } = await openTestDatabase(dialect);
    try {
      // Back to before the lifecycle migration: the ones after it first, then it.
      const names = db.migrations.map((m) => m.name ?? m.constructor.name);
      const undo = names.length - names.indexOf('ApiKeyLifecycle1765000000000');
      expect(undo).toBeGreaterThan(0);
      expect(undo).toBeLessThanOrEqual(names.length);
      for (let i = 0; i < undo; i++) await db.undoLastMigration({ transaction: 'each' });
      const columns = async () =>
        dialect === 'sqlite'
          ? ((await db.query(`PRAGMA table_info(api_keys)`)) as { name: string }[]).map(
              (c) => c.name,
            )
          : (
              (await db.query(
                `SELECT column_name AS name FROM information_schema.columns
                 WHERE table_name = 'api_keys' AND table_schema = $1`,
                [(db.options as { schema?: string }).schema],
              )) as { name: string }[]
            ).map((c) => c.name);
      expect(await columns()).not.toContain('revoked_at');

      const tenantId = randomUUID();
      await db.getRepository(Tenant).insert({
        id: tenantId,
        name: 'Old',
        timezone: 'UTC',
        createdAt: new Date(),
      });
      const key = 'hp_made_before_the_migration_0000';
      // As the old entity wrote it: four columns (the schema's table, not public's).
      const schema = (db.options as { schema?: string }).schema;
      await db.query(
        dialect === 'sqlite'
          ? 'INSERT INTO api_keys (id, tenant_id, key_hash, created_at) VALUES (?, ?, ?, ?)'
          : `INSERT INTO "${schema}".api_keys (id, tenant_id, key_hash, created_at) VALUES ($1, $2, $3, $4)`,
        [randomUUID(), tenantId, hashApiKey(key), Date.now()],
      );

      await db.runMigrations({ transaction: 'each' });
      expect(await columns()).toEqual(
        expect.arrayContaining(['prefix', 'expires_at', 'revoked_at', 'last_used_at']),
      );
      const row = await db.getRepository(ApiKey).findOneByOrFail({ tenantId });
      expect(row).toMatchObject({ prefix: null, expiresAt: null, revokedAt: null });
      const authenticate = createAuthenticator({ db, opsToken: OPS_TOKEN });
      expect(await authenticate(`Bearer ${key}`)).toMatchObject({ kind: 'tenant', tenantId });
    } finally {
      await close();
    }
  });
});

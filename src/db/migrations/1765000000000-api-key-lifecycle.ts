import { type MigrationInterface, type QueryRunner, TableColumn, TableIndex } from 'typeorm';

/**
 * Keys get a life (issue 14): a prefix to recognise them by, an expiry, a revocation and a coarse
 * last use. Every column is nullable: a key made before this migration has no known prefix (only
 * its hash was ever stored), never expires and is not revoked.
 */
export class ApiKeyLifecycle1765000000000 implements MigrationInterface {
  name = 'ApiKeyLifecycle1765000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.addColumns('api_keys', [
      new TableColumn({ name: 'prefix', type: 'varchar', length: '16', isNullable: true }),
      new TableColumn({ name: 'expires_at', type: 'bigint', isNullable: true }),
      new TableColumn({ name: 'revoked_at', type: 'bigint', isNullable: true }),
      new TableColumn({ name: 'last_used_at', type: 'bigint', isNullable: true }),
    ]);
    // Every instance asks for the keys revoked in the last seconds, several times a second.
    await q.createIndex(
      'api_keys',
      new TableIndex({ name: 'idx_api_keys_revoked', columnNames: ['revoked_at'] }),
    );
    await q.createIndex(
      'api_keys',
      new TableIndex({ name: 'idx_api_keys_tenant', columnNames: ['tenant_id'] }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropIndex('api_keys', 'idx_api_keys_tenant');
    await q.dropIndex('api_keys', 'idx_api_keys_revoked');
    for (const column of ['last_used_at', 'revoked_at', 'expires_at', 'prefix']) {
      await q.dropColumn('api_keys', column);
    }
  }
}

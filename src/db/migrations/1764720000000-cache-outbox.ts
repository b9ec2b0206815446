import { type MigrationInterface, type QueryRunner, Table, TableIndex } from 'typeorm';

export class CacheOutbox1764720000000 implements MigrationInterface {
  name = 'CacheOutbox1764720000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'cache_outbox',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'tenant_id', type: 'varchar', length: '36' },
          { name: 'tags', type: 'text' },
          { name: 'created_at', type: 'bigint' },
        ],
        indices: [
          new TableIndex({ name: 'idx_cache_outbox_created', columnNames: ['created_at'] }),
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('cache_outbox');
  }
}

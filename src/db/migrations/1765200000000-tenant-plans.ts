import {
  type MigrationInterface,
  type QueryRunner,
  Table,
  TableForeignKey,
  TableIndex,
} from 'typeorm';

/**
 * Plans per tenant (issue 17): the budget and bulkhead operators set, one row per tenant, with a
 * version every instance polls. Explicit types, the same on SQLite and PostgreSQL.
 */
export class TenantPlans1765200000000 implements MigrationInterface {
  name = 'TenantPlans1765200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'tenant_plans',
        columns: [
          { name: 'tenant_id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'maximum_available', type: 'integer', isNullable: true },
          { name: 'restore_rate', type: 'integer', isNullable: true },
          { name: 'max_concurrent_misses', type: 'integer', isNullable: true },
          { name: 'version', type: 'bigint' },
        ],
        foreignKeys: [
          new TableForeignKey({
            columnNames: ['tenant_id'],
            referencedTableName: 'tenants',
            referencedColumnNames: ['id'],
          }),
        ],
        indices: [new TableIndex({ name: 'idx_tenant_plans_version', columnNames: ['version'] })],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('tenant_plans');
  }
}

import {
  type MigrationInterface,
  type QueryRunner,
  Table,
  type TableColumnOptions,
  TableForeignKey,
  TableIndex,
} from 'typeorm';

// Written with TypeORM's schema builder rather than SQL so that one migration runs on SQLite
// and PostgreSQL alike.
const id: TableColumnOptions = { name: 'id', type: 'varchar', length: '36', isPrimary: true };
const ref = (name: string, isNullable = false): TableColumnOptions => ({
  name,
  type: 'varchar',
  length: '36',
  isNullable,
});
const text = (name: string, length: number, isNullable = false): TableColumnOptions => ({
  name,
  type: 'varchar',
  length: String(length),
  isNullable,
});
const instant = (name: string, isNullable = false): TableColumnOptions => ({
  name,
  type: 'bigint',
  isNullable,
});
const integer = (name: string): TableColumnOptions => ({ name, type: 'integer' });
const fk = (column: string, table: string) =>
  new TableForeignKey({
    columnNames: [column],
    referencedTableName: table,
    referencedColumnNames: ['id'],
  });

export class Initial1763769600000 implements MigrationInterface {
  name = 'Initial1763769600000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'tenants',
        columns: [id, text('name', 200), text('timezone', 64), instant('created_at')],
      }),
    );
    await q.createTable(
      new Table({
        name: 'users',
        columns: [id, ref('tenant_id'), text('name', 200), text('plan', 16), instant('created_at')],
        foreignKeys: [fk('tenant_id', 'tenants')],
        indices: [new TableIndex({ name: 'idx_users_tenant', columnNames: ['tenant_id'] })],
      }),
    );
    await q.createTable(
      new Table({
        name: 'api_keys',
        columns: [id, ref('tenant_id'), text('key_hash', 64), instant('created_at')],
        foreignKeys: [fk('tenant_id', 'tenants')],
        indices: [
          new TableIndex({ name: 'idx_api_keys_hash', columnNames: ['key_hash'], isUnique: true }),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'services',
        columns: [
          id,
          ref('tenant_id'),
          ref('user_id'),
          text('name', 200),
          integer('duration_minutes'),
          integer('price_cents'),
          { name: 'active', type: 'boolean' },
          instant('created_at'),
          instant('deleted_at', true),
        ],
        foreignKeys: [fk('tenant_id', 'tenants'), fk('user_id', 'users')],
        indices: [new TableIndex({ name: 'idx_services_user', columnNames: ['user_id'] })],
      }),
    );
    await q.createTable(
      new Table({
        name: 'appointments',
        columns: [
          id,
          ref('tenant_id'),
          ref('user_id'),
          ref('service_id'),
          text('client_name', 200),
          instant('starts_at'),
          instant('ends_at'),
          text('status', 16),
          instant('created_at'),
          instant('updated_at'),
        ],
        foreignKeys: [
          fk('tenant_id', 'tenants'),
          fk('user_id', 'users'),
          fk('service_id', 'services'),
        ],
        indices: [
          new TableIndex({
            name: 'idx_appointments_user_starts',
            columnNames: ['user_id', 'starts_at'],
          }),
          new TableIndex({
            name: 'idx_appointments_tenant_starts',
            columnNames: ['tenant_id', 'starts_at'],
          }),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'message_templates',
        columns: [
          id,
          ref('tenant_id'),
          ref('user_id', true),
          text('type', 40),
          text('name', 200),
          { name: 'body', type: 'text' },
          instant('updated_at'),
        ],
        foreignKeys: [fk('tenant_id', 'tenants'), fk('user_id', 'users')],
        indices: [
          new TableIndex({
            name: 'idx_templates_owner_type',
            columnNames: ['tenant_id', 'user_id', 'type'],
            isUnique: true,
            where: 'user_id IS NOT NULL',
          }),
          new TableIndex({
            name: 'idx_templates_default_type',
            columnNames: ['tenant_id', 'type'],
            isUnique: true,
            where: 'user_id IS NULL',
          }),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'stores',
        columns: [id, ref('tenant_id'), text('name', 200), instant('created_at')],
        foreignKeys: [fk('tenant_id', 'tenants')],
        indices: [new TableIndex({ name: 'idx_stores_tenant', columnNames: ['tenant_id'] })],
      }),
    );
    await q.createTable(
      new Table({
        name: 'sales',
        columns: [
          id,
          ref('tenant_id'),
          ref('store_id'),
          text('channel', 50),
          integer('amount_cents'),
          instant('sold_at'),
        ],
        foreignKeys: [fk('tenant_id', 'tenants'), fk('store_id', 'stores')],
        indices: [
          new TableIndex({ name: 'idx_sales_tenant_sold', columnNames: ['tenant_id', 'sold_at'] }),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'whatsapp_sessions',
        columns: [
          id,
          ref('tenant_id'),
          text('name', 200),
          text('state', 16),
          text('qr_code', 512, true),
          instant('qr_expires_at', true),
          text('device_jid', 128, true),
          instant('created_at'),
          instant('updated_at'),
        ],
        foreignKeys: [fk('tenant_id', 'tenants')],
        indices: [new TableIndex({ name: 'idx_sessions_tenant', columnNames: ['tenant_id'] })],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of [
      'whatsapp_sessions',
      'sales',
      'stores',
      'message_templates',
      'appointments',
      'services',
      'api_keys',
      'users',
      'tenants',
    ]) {
      await q.dropTable(table);
    }
  }
}

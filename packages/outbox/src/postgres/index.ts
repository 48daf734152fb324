export { PostgresOutboxStore, type PostgresOutboxStoreOptions } from './postgres-outbox.store';
export {
  SqlOutboxStore,
  type PgClientLike,
  type PgPoolLike,
  type SqlOutboxStoreOptions,
  type SqlQueryable,
} from './sql-outbox.store';
export { postgresOutboxSchema, type PostgresOutboxTables } from './postgres.schema';

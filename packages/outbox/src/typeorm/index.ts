export { TypeOrmOutboxStore, type TypeOrmOutboxStoreOptions } from './typeorm-outbox.store';
export { postgresOutboxSchema, type PostgresOutboxTables } from '../postgres/postgres.schema';

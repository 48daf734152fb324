export { DynamoDbOutboxStore, type DynamoDbOutboxStoreOptions } from './dynamodb-outbox.store';
export { DynamoDbOutboxTransaction, MAX_TRANSACTION_ITEMS } from './dynamodb-outbox.transaction';
export { createOutboxTable, OUTBOX_TABLE_KEYS } from './create-outbox-table';

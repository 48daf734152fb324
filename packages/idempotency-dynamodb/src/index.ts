export {
  DynamoDbIdempotencyStore,
  type DynamoDbIdempotencyStoreOptions,
} from './dynamodb-idempotency.store';
export {
  createIdempotencyTable,
  type CreateIdempotencyTableOptions,
} from './create-idempotency-table';

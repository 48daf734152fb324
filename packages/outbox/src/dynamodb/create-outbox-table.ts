import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { loadDynamoDbSdk } from './dynamodb-sdk.loader';

/** The key and index names `DynamoDbOutboxStore` expects its table to have. */
export const OUTBOX_TABLE_KEYS = {
  partitionKey: 'pk',
  sortKey: 'sk',
  pendingIndex: 'pending-index',
  parkedIndex: 'parked-index',
} as const;

/**
 * Creates a table for `DynamoDbOutboxStore`, on-demand, with a string partition key `pk`, a string
 * sort key `sk`, and two sparse indexes (`pending-index` on `pending`/`sk`, `parked-index` on
 * `parked`/`sk`), then waits until it is active. For local development and tests; production
 * tables belong in infrastructure code. An existing table is left as it is.
 */
export async function createOutboxTable(
  client: DynamoDBClient,
  tableName: string,
  options: { maxWaitSeconds?: number } = {},
): Promise<void> {
  const sdk = loadDynamoDbSdk(createOutboxTable.name);
  const index = (name: string, attribute: string) => ({
    IndexName: name,
    KeySchema: [
      { AttributeName: attribute, KeyType: 'HASH' as const },
      { AttributeName: 'sk', KeyType: 'RANGE' as const },
    ],
    Projection: { ProjectionType: 'ALL' as const },
  });
  try {
    await client.send(
      new sdk.CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: ['pk', 'sk', 'pending', 'parked'].map((name) => ({
          AttributeName: name,
          AttributeType: 'S' as const,
        })),
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: [
          index(OUTBOX_TABLE_KEYS.pendingIndex, 'pending'),
          index(OUTBOX_TABLE_KEYS.parkedIndex, 'parked'),
        ],
      }),
    );
  } catch (error) {
    if ((error as Error).name !== 'ResourceInUseException') throw error;
  }
  await sdk.waitUntilTableExists(
    { client, minDelay: 1, maxDelay: 5, maxWaitTime: options.maxWaitSeconds ?? 120 },
    { TableName: tableName },
  );
}

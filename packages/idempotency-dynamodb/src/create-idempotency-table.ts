import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { loadDynamoDbSdk } from './dynamodb-sdk.loader';

export interface CreateIdempotencyTableOptions {
  /** Must match the store's `keyAttribute`. @default 'pk' */
  keyAttribute?: string;
  /** Must match the store's `ttlAttribute`. @default 'ttl' */
  ttlAttribute?: string;
  /** How long to wait for the table to become active, in seconds. @default 120 */
  maxWaitSeconds?: number;
}

/**
 * Creates a table for `DynamoDbIdempotencyStore`, on-demand (PAY_PER_REQUEST) with a string
 * partition key, waits until it is active and turns on TTL on the TTL attribute. Meant for local
 * development and tests; production tables belong in infrastructure code. Safe to call again: an
 * existing table is left as it is, and TTL is only turned on if it is off.
 */
export async function createIdempotencyTable(
  client: DynamoDBClient,
  tableName: string,
  options: CreateIdempotencyTableOptions = {},
): Promise<void> {
  const sdk = loadDynamoDbSdk(createIdempotencyTable.name);
  const keyAttribute = options.keyAttribute ?? 'pk';
  const ttlAttribute = options.ttlAttribute ?? 'ttl';
  try {
    await client.send(
      new sdk.CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: keyAttribute, AttributeType: 'S' }],
        KeySchema: [{ AttributeName: keyAttribute, KeyType: 'HASH' }],
      }),
    );
  } catch (error) {
    if ((error as Error).name !== 'ResourceInUseException') throw error;
  }
  // The waiter's default first pause is 20 s; tables usually take a few seconds.
  await sdk.waitUntilTableExists(
    { client, minDelay: 1, maxDelay: 5, maxWaitTime: options.maxWaitSeconds ?? 120 },
    { TableName: tableName },
  );
  const { TimeToLiveDescription } = await client.send(
    new sdk.DescribeTimeToLiveCommand({ TableName: tableName }),
  );
  const ttlStatus = TimeToLiveDescription?.TimeToLiveStatus;
  if (ttlStatus === 'ENABLED' || ttlStatus === 'ENABLING') return;
  await client.send(
    new sdk.UpdateTimeToLiveCommand({
      TableName: tableName,
      TimeToLiveSpecification: { AttributeName: ttlAttribute, Enabled: true },
    }),
  );
}

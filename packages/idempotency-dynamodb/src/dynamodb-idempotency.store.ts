import type {
  AttributeValue,
  DynamoDBClient,
  DynamoDBClientConfig,
} from '@aws-sdk/client-dynamodb';
import { randomBytes } from 'node:crypto';
import type { ClaimOptions, ClaimResult, IdempotencyStore } from '@nestjs-events/core';
import { loadDynamoDbSdk, type DynamoDbSdkModule } from './dynamodb-sdk.loader';

export interface DynamoDbIdempotencyStoreOptions {
  /** The client to use. The store never destroys a client it was given. */
  client?: DynamoDBClient;
  /**
   * Configuration of a client the store creates when `client` is absent; that client is
   * destroyed by `close()`, which Nest calls at application shutdown.
   * @default {}
   */
  clientConfig?: DynamoDBClientConfig;
  /** Table with a string partition key named `keyAttribute`, e.g. from `createIdempotencyTable`. */
  tableName: string;
  /** Name of the table's partition key attribute. @default 'pk' */
  keyAttribute?: string;
  /** Attribute holding the expiry in epoch seconds, for the table's TTL setting. @default 'ttl' */
  ttlAttribute?: string;
  /** Clock, for tests. @default Date.now */
  now?: () => number;
}

type Item = Record<string, AttributeValue>;
type Status = 'in-progress' | 'completed';

const STATUS = 'status';
const EXPIRES_AT = 'expiresAt';
const TOKEN = 'token';
const FINGERPRINT = 'fingerprint';
const IN_PROGRESS: Status = 'in-progress';
const COMPLETED: Status = 'completed';
/** Claim attempts when the holder of a key vanishes between our write and our read. */
const CLAIM_ATTEMPTS = 3;

/**
 * An idempotency store in a DynamoDB table, shared by every instance that uses the table. One item
 * per key: `status` (`in-progress` or `completed`), `expiresAt` (epoch milliseconds, what the store
 * decides by) and a TTL attribute (epoch seconds) so that DynamoDB deletes expired items. DynamoDB
 * deletes them up to days late, so expiry is always checked against `expiresAt` too.
 *
 * `claim` is one conditional `PutItem`: it succeeds when the key is absent or its item has expired,
 * and writes a new random `token` (and the payload's `fingerprint`). `complete`, `extend` and
 * `release` are conditional on that token, so a holder whose lock expired cannot touch the claim
 * of the one that took over.
 */
export class DynamoDbIdempotencyStore implements IdempotencyStore {
  private readonly sdk: DynamoDbSdkModule;
  private readonly client: DynamoDBClient;
  private readonly ownsClient: boolean;
  private readonly tableName: string;
  private readonly keyAttribute: string;
  private readonly ttlAttribute: string;
  private readonly now: () => number;

  constructor(options: DynamoDbIdempotencyStoreOptions) {
    this.sdk = loadDynamoDbSdk(DynamoDbIdempotencyStore.name);
    if (!options.tableName) {
      throw new TypeError('DynamoDbIdempotencyStore: tableName is required.');
    }
    this.tableName = options.tableName;
    this.keyAttribute = options.keyAttribute ?? 'pk';
    this.ttlAttribute = options.ttlAttribute ?? 'ttl';
    const names = [this.keyAttribute, this.ttlAttribute, STATUS, EXPIRES_AT, TOKEN, FINGERPRINT];
    if (new Set(names).size !== names.length) {
      throw new TypeError(
        `DynamoDbIdempotencyStore: keyAttribute (${this.keyAttribute}) and ttlAttribute ` +
          `(${this.ttlAttribute}) must differ from each other and from "${STATUS}", ` +
          `"${EXPIRES_AT}", "${TOKEN}" and "${FINGERPRINT}".`,
      );
    }
    this.now = options.now ?? Date.now;
    this.ownsClient = !options.client;
    this.client = options.client ?? new this.sdk.DynamoDBClient(options.clientConfig ?? {});
  }

  /**
   * The table this store writes: its name, partition key and TTL attribute, as
   * `createIdempotencyTable` creates it (on-demand, string key, TTL on). For infrastructure code:
   * the `nestjs-events cloudformation` command reads it.
   */
  describeTable(): { tableName: string; keyAttribute: string; ttlAttribute: string } {
    return {
      tableName: this.tableName,
      keyAttribute: this.keyAttribute,
      ttlAttribute: this.ttlAttribute,
    };
  }

  async claim(key: string, { lockTtlMs, fingerprint }: ClaimOptions): Promise<ClaimResult> {
    const token = randomBytes(16).toString('base64url');
    for (let attempt = 1; ; attempt++) {
      const now = this.now();
      const item = this.item(key, IN_PROGRESS, now + lockTtlMs);
      item[TOKEN] = { S: token };
      if (fingerprint !== undefined) item[FINGERPRINT] = { S: fingerprint };
      try {
        await this.client.send(
          new this.sdk.PutItemCommand({
            TableName: this.tableName,
            Item: item,
            ConditionExpression: 'attribute_not_exists(#key) OR #expiresAt <= :now',
            ExpressionAttributeNames: { '#key': this.keyAttribute, '#expiresAt': EXPIRES_AT },
            ExpressionAttributeValues: { ':now': { N: String(now) } },
            // The item that won, in the same round trip, instead of a second read that races.
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
        return { status: 'acquired', token };
      } catch (error) {
        if (!isConditionalCheckFailure(error)) throw error;
        const holder = error.Item ?? (await this.read(key));
        const status = holder && this.liveStatus(holder, this.now());
        if (status) {
          const held = holder[FINGERPRINT]?.S;
          return held === undefined ? { status } : { status, fingerprint: held };
        }
        // Only without `Item` (an older DynamoDB-compatible server): the holder was released or
        // expired before our read, so the key is free again. Claim again, a few times at most;
        // after that "in-progress" is safe, as the runner then polls.
        if (attempt >= CLAIM_ATTEMPTS) return { status: 'in-progress' };
      }
    }
  }

  complete(key: string, token: string, { ttlMs }: { ttlMs: number }): Promise<boolean> {
    return this.updateHeld(key, token, ttlMs, {
      UpdateExpression: 'SET #status = :completed, #expiresAt = :expiresAt, #ttl = :ttl',
      // Our live lock, or our own completion again; never a lock that took over after ours.
      ConditionExpression:
        '#token = :token AND (#status = :completed OR (#status = :inProgress AND #expiresAt > :now))',
      values: { ':completed': { S: COMPLETED } },
    });
  }

  release(key: string, token: string): Promise<boolean> {
    // Completed, gone or someone else's: nothing to release.
    return this.applied(
      new this.sdk.DeleteItemCommand({
        TableName: this.tableName,
        Key: { [this.keyAttribute]: { S: key } },
        // A completed key stays completed, and another holder's lock stays locked.
        ConditionExpression: '#status = :inProgress AND #token = :token',
        ExpressionAttributeNames: { '#status': STATUS, '#token': TOKEN },
        ExpressionAttributeValues: { ':inProgress': { S: IN_PROGRESS }, ':token': { S: token } },
      }),
    );
  }

  extend(key: string, token: string, { lockTtlMs }: { lockTtlMs: number }): Promise<boolean> {
    return this.updateHeld(key, token, lockTtlMs, {
      UpdateExpression: 'SET #expiresAt = :expiresAt, #ttl = :ttl',
      ConditionExpression: '#status = :inProgress AND #token = :token AND #expiresAt > :now',
    });
  }

  /**
   * An UpdateItem of the record `token` holds, moving its expiry `ttlMs` ahead; the expressions
   * say what else changes and when the holder still holds it.
   */
  private updateHeld(
    key: string,
    token: string,
    ttlMs: number,
    {
      values,
      ...expressions
    }: {
      UpdateExpression: string;
      ConditionExpression: string;
      // DynamoDB refuses values that no expression uses: each update brings its own extras.
      values?: Record<string, { S: string }>;
    },
  ): Promise<boolean> {
    const now = this.now();
    const expiresAt = now + ttlMs;
    return this.applied(
      new this.sdk.UpdateItemCommand({
        TableName: this.tableName,
        Key: { [this.keyAttribute]: { S: key } },
        ...expressions,
        ExpressionAttributeNames: {
          '#status': STATUS,
          '#expiresAt': EXPIRES_AT,
          '#ttl': this.ttlAttribute,
          '#token': TOKEN,
        },
        ExpressionAttributeValues: {
          ...values,
          ':inProgress': { S: IN_PROGRESS },
          ':expiresAt': { N: String(expiresAt) },
          ':ttl': { N: String(epochSeconds(expiresAt)) },
          ':token': { S: token },
          ':now': { N: String(now) },
        },
      }),
    );
  }

  /** Sends a conditional write: true when it applied, false when its condition did not hold. */
  private async applied(
    command: InstanceType<DynamoDbSdkModule['UpdateItemCommand' | 'DeleteItemCommand']>,
  ): Promise<boolean> {
    try {
      await this.client.send(command);
      return true;
    } catch (error) {
      if (isConditionalCheckFailure(error)) return false;
      throw error;
    }
  }

  /** Destroys the client if the store created it. */
  close(): Promise<void> {
    if (this.ownsClient) this.client.destroy();
    return Promise.resolve();
  }

  /** Nest calls this at shutdown, after transports have drained, when the store is a provider. */
  onApplicationShutdown(): Promise<void> {
    return this.close();
  }

  private item(key: string, status: Status, expiresAt: number): Item {
    return {
      [this.keyAttribute]: { S: key },
      [STATUS]: { S: status },
      [EXPIRES_AT]: { N: String(expiresAt) },
      [this.ttlAttribute]: { N: String(epochSeconds(expiresAt)) },
    };
  }

  private async read(key: string): Promise<Item | undefined> {
    const { Item } = await this.client.send(
      new this.sdk.GetItemCommand({
        TableName: this.tableName,
        Key: { [this.keyAttribute]: { S: key } },
        ConsistentRead: true,
      }),
    );
    return Item;
  }

  /** The status of an unexpired item; undefined once it has expired. */
  private liveStatus(item: Item, now: number): Status | undefined {
    const expiresAt = item[EXPIRES_AT]?.N;
    // An item without a readable expiry was not written by this store: treat it as never expiring,
    // as the claim condition does.
    if (expiresAt !== undefined && Number(expiresAt) <= now) return undefined;
    return item[STATUS]?.S === COMPLETED ? COMPLETED : IN_PROGRESS;
  }
}

/** Rounded up, so that DynamoDB never deletes an item the store still counts as live. */
function epochSeconds(epochMs: number): number {
  return Math.ceil(epochMs / 1000);
}

/** By name, not `instanceof`: the client may come from another copy of the SDK than ours. */
function isConditionalCheckFailure(error: unknown): error is Error & { Item?: Item } {
  return (error as Error | undefined)?.name === 'ConditionalCheckFailedException';
}

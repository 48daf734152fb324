import type {
  AttributeValue,
  DynamoDBClient,
  DynamoDBClientConfig,
  TransactWriteItem,
} from '@aws-sdk/client-dynamodb';
import { randomBytes } from 'node:crypto';
import { Logger } from '@nestjs/common';
import type { EventEnvelope } from '@nestjs-events/core';
import { mapLimited } from '@nestjs-events/core/transport';
import { currentOutboxScope, runInOutboxScope } from '../context/outbox.scope';
import type { InboxResult, InboxStore } from '../inbox/inbox-store.interface';
import { OutboxError } from '../outbox.errors';
import type {
  OutboxCounts,
  OutboxRecord,
  OutboxRow,
  OutboxRowOutcome,
  OutboxStore,
  ParkedOutboxRow,
} from '../outbox-store.interface';
import { OUTBOX_TABLE_KEYS } from './create-outbox-table';
import { DynamoDbOutboxTransaction } from './dynamodb-outbox.transaction';
import { loadDynamoDbSdk, type DynamoDbSdkModule } from './dynamodb-sdk.loader';

export interface DynamoDbOutboxStoreOptions {
  /** The client to use; the store never destroys a client it was given. */
  client?: DynamoDBClient;
  /**
   * Configuration of a client the store creates when `client` is absent (with bounded
   * connection and request timeouts unless given).
   * @default {}
   */
  clientConfig?: DynamoDBClientConfig;
  /** The outbox table, as `createOutboxTable` makes it (`pk`, `sk`, `pending-index`, `parked-index`). */
  tableName: string;
  /**
   * How long a relay holds the rows it claimed before another relay may take them. Keep it above
   * the relay's `sendTimeoutMs`: a relay that outlives its lease may send a row twice.
   * @default 120000
   */
  leaseMs?: number;
  /** How long inbox records are kept (DynamoDB TTL on the `ttl` attribute). @default 604800000 (7 days) */
  inboxTtlMs?: number;
  /** Clock, for tests. @default Date.now */
  now?: () => number;
}

type Item = Record<string, AttributeValue>;

const CALLS_IN_FLIGHT = 8;
const CANDIDATE_PAGES = 5;
const CONNECTION_TIMEOUT_MS = 3000;
const REQUEST_TIMEOUT_MS = 10_000;

/**
 * The outbox (and inbox) in a DynamoDB table. Entity writes and outbox items commit in one
 * `TransactWriteItems`. Items are keyed by destination and order key (`pk`) and by a sequence
 * (`sk`: the writer's clock in ms, a counter and the event id), so one `Query` reads an
 * aggregate's unsent events in order; the sparse `pending-index` finds due ones. Relays claim
 * items with conditional updates (a lease) and delete them once sent: a relay only claims the
 * first unsent items of an aggregate, in order, so per-key order holds across relays. Sent items
 * are deleted at once (there is no retention period in this store).
 *
 * The order of two writers' events for one aggregate follows their clocks: serialize them with a
 * condition on the aggregate's item (a version), as any DynamoDB aggregate should be.
 */
export class DynamoDbOutboxStore implements OutboxStore, InboxStore {
  readonly description: string;
  private readonly sdk: DynamoDbSdkModule;
  private readonly client: DynamoDBClient;
  private readonly ownsClient: boolean;
  private readonly tableName: string;
  private readonly leaseMs: number;
  private readonly inboxTtlMs: number;
  private readonly now: () => number;
  private counter = 0;
  private readonly logger = new Logger('DynamoDbOutbox');

  constructor(options: DynamoDbOutboxStoreOptions) {
    if (!options?.tableName) throw new TypeError('DynamoDbOutboxStore: tableName is required.');
    this.sdk = loadDynamoDbSdk(DynamoDbOutboxStore.name);
    this.tableName = options.tableName;
    this.description = `DynamoDB table ${options.tableName}`;
    this.leaseMs = options.leaseMs ?? 120_000;
    this.inboxTtlMs = options.inboxTtlMs ?? 7 * 86_400_000;
    this.now = options.now ?? Date.now;
    this.ownsClient = !options.client;
    this.client =
      options.client ??
      new this.sdk.DynamoDBClient({
        requestHandler: {
          connectionTimeout: CONNECTION_TIMEOUT_MS,
          requestTimeout: REQUEST_TIMEOUT_MS,
        },
        ...options.clientConfig,
      });
  }

  /**
   * Runs `fn` with a new write set as the outbox transaction of its async context, then sends the
   * set (`fn`'s writes and the outbox items of what it published) in one `TransactWriteItems`.
   * Nothing is written when `fn` throws or the transaction is cancelled (the error is rethrown).
   */
  async transaction<T>(fn: (transaction: DynamoDbOutboxTransaction) => Promise<T>): Promise<T> {
    const transaction = new DynamoDbOutboxTransaction();
    const result = await runInOutboxScope({ store: this, transaction }, () => fn(transaction));
    await this.commit(transaction);
    return result;
  }

  /** The write set of the current async context (inside `transaction` or an `@Inbox()` handler). */
  current(): DynamoDbOutboxTransaction {
    const scope = currentOutboxScope();
    if (!scope || scope.store !== this) {
      throw new OutboxError(
        `No transaction of ${this.description} is in progress here: call current() inside ` +
          'store.transaction(...) or an @Inbox() handler.',
      );
    }
    return scope.transaction as DynamoDbOutboxTransaction;
  }

  append(
    transaction: unknown,
    destination: string,
    records: readonly OutboxRecord[],
  ): Promise<void> {
    const writes = transaction as DynamoDbOutboxTransaction;
    const now = this.now();
    for (const record of records) {
      writes.add({
        Put: {
          TableName: this.tableName,
          Item: this.outboxItem(destination, record, now),
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      });
    }
    return Promise.resolve();
  }

  async appendCommitted(destination: string, records: readonly OutboxRecord[]): Promise<void> {
    const transaction = new DynamoDbOutboxTransaction();
    await this.append(transaction, destination, records);
    await this.commit(transaction);
  }

  async relay(
    destination: string,
    limit: number,
    send: (rows: readonly OutboxRow[]) => Promise<readonly OutboxRowOutcome[]>,
  ): Promise<number> {
    const now = this.now();
    // Due, unclaimed items, oldest first; a few pages at most, so that rows waiting for a retry
    // at the head of the index do not hide the due rows behind them.
    const candidates: Item[] = [];
    let start: Item | undefined;
    for (let page = 0; page < CANDIDATE_PAGES && candidates.length < limit; page++) {
      const { Items = [], LastEvaluatedKey } = await this.client.send(
        new this.sdk.QueryCommand({
          TableName: this.tableName,
          IndexName: OUTBOX_TABLE_KEYS.pendingIndex,
          KeyConditionExpression: 'pending = :destination',
          FilterExpression:
            'availableAt <= :now AND (attribute_not_exists(leaseUntil) OR leaseUntil < :now)',
          ExpressionAttributeValues: {
            ':destination': { S: destination },
            ':now': { N: String(now) },
          },
          Limit: limit,
          ExclusiveStartKey: start,
        }),
      );
      candidates.push(...Items);
      start = LastEvaluatedKey;
      if (!start) break;
    }
    // The index is eventually consistent: it only says which aggregates may have work. Each
    // aggregate's first unsent items are read from the table itself, consistently, in order.
    const partitions = [...new Set(candidates.map((item) => item.pk.S!))];
    const heads = await mapLimited(partitions, CALLS_IN_FLIGHT, (pk) =>
      this.sendableHead(pk, now, limit),
    );
    // The oldest `limit` of all heads: still a prefix of each partition's head.
    const chosen = heads.flat().sort(bySequence).slice(0, limit);
    const byPartition = new Map<string, Item[]>();
    for (const item of chosen) {
      const list = byPartition.get(item.pk.S!);
      if (list) list.push(item);
      else byPartition.set(item.pk.S!, [item]);
    }
    const token = randomBytes(12).toString('base64url');
    const claimedByPartition = await mapLimited(
      [...byPartition.values()],
      CALLS_IN_FLIGHT,
      async (head) => {
        const claimed: Item[] = [];
        // In order; stop at the first item another relay took meanwhile.
        for (const item of head) {
          if (!(await this.claim(item, token, now))) break;
          claimed.push(item);
        }
        return claimed;
      },
    );
    const rows = claimedByPartition.flat().sort(bySequence);
    if (rows.length === 0) return 0;
    const byId = new Map(rows.map((item) => [rowId(item), item]));
    const outcomes = await send(rows.map((item) => this.toRow(item)));
    await mapLimited(outcomes, CALLS_IN_FLIGHT, (outcome) =>
      this.settle(byId.get(outcome.id)!, token, outcome),
    );
    return rows.length;
  }

  /** The leading due, unclaimed, unparked items of one partition, in order. */
  private async sendableHead(pk: string, now: number, limit: number): Promise<Item[]> {
    const { Items = [] } = await this.client.send(
      new this.sdk.QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk',
        FilterExpression: 'attribute_not_exists(parked)',
        ExpressionAttributeValues: { ':pk': { S: pk } },
        ConsistentRead: true,
        Limit: limit,
      }),
    );
    const head: Item[] = [];
    for (const item of Items) {
      const due = Number(item.availableAt?.N ?? 0) <= now;
      const free = Number(item.leaseUntil?.N ?? 0) < now;
      if (!due || !free || item.pending === undefined) break;
      head.push(item);
    }
    return head;
  }

  private async claim(item: Item, token: string, now: number): Promise<boolean> {
    try {
      await this.client.send(
        new this.sdk.UpdateItemCommand({
          TableName: this.tableName,
          Key: { pk: item.pk, sk: item.sk },
          UpdateExpression: 'SET leaseUntil = :until, leaseToken = :token',
          ConditionExpression:
            'attribute_exists(pending) AND (attribute_not_exists(leaseUntil) OR leaseUntil < :now)',
          ExpressionAttributeValues: {
            ':until': { N: String(now + this.leaseMs) },
            ':token': { S: token },
            ':now': { N: String(now) },
          },
        }),
      );
      return true;
    } catch (error) {
      if ((error as Error).name === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }

  /** Records one outcome, if our lease still holds the item (else another relay has it). */
  private async settle(item: Item, token: string, outcome: OutboxRowOutcome): Promise<void> {
    const key = { pk: item.pk, sk: item.sk };
    const held = { ConditionExpression: 'leaseToken = :token' };
    const values: Item = { ':token': { S: token } };
    try {
      if (outcome.status === 'sent') {
        await this.client.send(
          new this.sdk.DeleteItemCommand({
            TableName: this.tableName,
            Key: key,
            ...held,
            ExpressionAttributeValues: values,
          }),
        );
      } else if (outcome.status === 'retry') {
        await this.client.send(
          new this.sdk.UpdateItemCommand({
            TableName: this.tableName,
            Key: key,
            UpdateExpression:
              'SET attempts = attempts + :one, availableAt = :at, lastError = :error REMOVE leaseUntil, leaseToken',
            ...held,
            ExpressionAttributeValues: {
              ...values,
              ':one': { N: '1' },
              ':at': { N: String(this.now() + Math.round(outcome.delayMs)) },
              ':error': { S: outcome.error },
            },
          }),
        );
      } else if (outcome.status === 'parked') {
        await this.client.send(
          new this.sdk.UpdateItemCommand({
            TableName: this.tableName,
            Key: key,
            UpdateExpression:
              'SET attempts = attempts + :one, parked = pending, parkedAt = :at, lastError = :error REMOVE pending, leaseUntil, leaseToken',
            ...held,
            ExpressionAttributeValues: {
              ...values,
              ':one': { N: '1' },
              ':at': { N: String(this.now()) },
              ':error': { S: outcome.error },
            },
          }),
        );
      } else {
        await this.client.send(
          new this.sdk.UpdateItemCommand({
            TableName: this.tableName,
            Key: key,
            UpdateExpression: 'REMOVE leaseUntil, leaseToken',
            ...held,
            ExpressionAttributeValues: values,
          }),
        );
      }
    } catch (error) {
      // The lease ran out and another relay claimed the item: its outcome is that relay's.
      if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
      if (outcome.status === 'sent') {
        this.logger.warn(
          `Outbox item of event ${item.eventId?.S ?? '?'} was claimed by another relay while this ` +
            `one sent it (the ${this.leaseMs} ms lease ran out, or the table let two claims through): ` +
            'it may have been sent twice. Keep leaseMs above the relay’s sendTimeoutMs.',
        );
      }
    }
  }

  /** Sent items are deleted as they are sent: nothing is left to purge. */
  purgeSent(): Promise<number> {
    return Promise.resolve(0);
  }

  async counts(destination: string): Promise<OutboxCounts> {
    const count = async (index: string, attribute: string) => {
      let total = 0;
      let start: Item | undefined;
      do {
        const page = await this.client.send(
          new this.sdk.QueryCommand({
            TableName: this.tableName,
            IndexName: index,
            KeyConditionExpression: '#attribute = :destination',
            ExpressionAttributeNames: { '#attribute': attribute },
            ExpressionAttributeValues: { ':destination': { S: destination } },
            Select: 'COUNT',
            ExclusiveStartKey: start,
          }),
        );
        total += page.Count ?? 0;
        start = page.LastEvaluatedKey;
      } while (start);
      return total;
    };
    const [pending, parked] = await Promise.all([
      count(OUTBOX_TABLE_KEYS.pendingIndex, 'pending'),
      count(OUTBOX_TABLE_KEYS.parkedIndex, 'parked'),
    ]);
    return { pending, parked };
  }

  async parked(destination: string, limit = 100): Promise<readonly ParkedOutboxRow[]> {
    const { Items = [] } = await this.client.send(
      new this.sdk.QueryCommand({
        TableName: this.tableName,
        IndexName: OUTBOX_TABLE_KEYS.parkedIndex,
        KeyConditionExpression: 'parked = :destination',
        ExpressionAttributeValues: { ':destination': { S: destination } },
        Limit: limit,
      }),
    );
    return Items.map((item) => ({
      id: rowId(item),
      eventId: item.eventId.S!,
      eventType: item.eventType.S!,
      ...(item.orderKey?.S === undefined ? {} : { orderKey: item.orderKey.S }),
      attempts: Number(item.attempts.N),
      error: item.lastError?.S ?? '',
      parkedAt: new Date(Number(item.parkedAt?.N ?? 0)),
    }));
  }

  async requeueParked(destination: string, ids?: readonly string[]): Promise<number> {
    const parked = await this.parked(destination, 1000);
    const chosen = ids ? parked.filter((row) => ids.includes(row.id)) : parked;
    await mapLimited(chosen, CALLS_IN_FLIGHT, async (row) => {
      const [pk, sk] = splitRowId(row.id);
      await this.client.send(
        new this.sdk.UpdateItemCommand({
          TableName: this.tableName,
          Key: { pk: { S: pk }, sk: { S: sk } },
          UpdateExpression:
            'SET pending = parked, attempts = :zero, availableAt = :now REMOVE parked, parkedAt',
          ConditionExpression: 'attribute_exists(parked)',
          ExpressionAttributeValues: { ':zero': { N: '0' }, ':now': { N: String(this.now()) } },
        }),
      );
    });
    return chosen.length;
  }

  async runOnce<T>(
    handler: string,
    eventId: string,
    fn: () => Promise<T>,
  ): Promise<InboxResult<T>> {
    const key = { pk: { S: `inbox#${handler}#${eventId}` }, sk: { S: 'inbox' } };
    const { Item } = await this.client.send(
      new this.sdk.GetItemCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }),
    );
    if (Item) return { ran: false };
    const transaction = new DynamoDbOutboxTransaction();
    const now = this.now();
    transaction.add({
      Put: {
        TableName: this.tableName,
        Item: {
          ...key,
          processedAt: { N: String(now) },
          ttl: { N: String(Math.ceil((now + this.inboxTtlMs) / 1000)) },
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    });
    const result = await runInOutboxScope({ store: this, transaction }, fn);
    try {
      await this.commit(transaction);
    } catch (error) {
      // The record's condition failed: a concurrent delivery committed first, with its writes.
      const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons;
      if (reasons?.[0]?.Code === 'ConditionalCheckFailed') return { ran: false };
      throw error;
    }
    return { ran: true, result };
  }

  /** Destroys the client the store created (not one it was given). */
  close(): Promise<void> {
    if (this.ownsClient) this.client.destroy();
    return Promise.resolve();
  }

  private async commit(transaction: DynamoDbOutboxTransaction): Promise<void> {
    const items: readonly TransactWriteItem[] = transaction.close();
    if (items.length === 0) return;
    await this.client.send(new this.sdk.TransactWriteItemsCommand({ TransactItems: [...items] }));
  }

  private outboxItem(destination: string, { envelope, orderKey }: OutboxRecord, now: number): Item {
    this.counter = (this.counter + 1) % 1_000_000;
    const sk = `${String(now).padStart(15, '0')}#${String(this.counter).padStart(6, '0')}#${envelope.id}`;
    return {
      pk: {
        S: `outbox#${destination}#${orderKey === undefined ? `event#${envelope.id}` : `key#${orderKey}`}`,
      },
      sk: { S: sk },
      pending: { S: destination },
      eventId: { S: envelope.id },
      eventType: { S: envelope.type },
      ...(orderKey === undefined ? {} : { orderKey: { S: orderKey } }),
      envelope: { S: JSON.stringify(envelope) },
      attempts: { N: '0' },
      availableAt: { N: String(now) },
    };
  }

  private toRow(item: Item): OutboxRow {
    return {
      id: rowId(item),
      envelope: JSON.parse(item.envelope.S!) as EventEnvelope,
      attempts: Number(item.attempts.N),
      ...(item.orderKey?.S === undefined ? {} : { orderKey: item.orderKey.S }),
    };
  }
}

const ROW_ID_SEPARATOR = '\u0000';

function bySequence(a: Item, b: Item): number {
  return a.sk.S! < b.sk.S! ? -1 : a.sk.S! > b.sk.S! ? 1 : 0;
}

function rowId(item: Item): string {
  return `${item.pk.S!}${ROW_ID_SEPARATOR}${item.sk.S!}`;
}

function splitRowId(id: string): [string, string] {
  const at = id.lastIndexOf(ROW_ID_SEPARATOR);
  return [id.slice(0, at), id.slice(at + 1)];
}

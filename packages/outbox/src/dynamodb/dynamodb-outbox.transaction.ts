import type { TransactWriteItem } from '@aws-sdk/client-dynamodb';

/** DynamoDB's limit on the items of one `TransactWriteItems` call. */
export const MAX_TRANSACTION_ITEMS = 100;

/**
 * The writes of one DynamoDB transaction, collected while the callback of
 * `DynamoDbOutboxStore.transaction` runs and sent in one `TransactWriteItems` when it returns:
 * the entity writes given here, and the outbox items of what was published meanwhile.
 */
export class DynamoDbOutboxTransaction {
  private readonly writes: TransactWriteItem[] = [];
  private closed = false;

  /** Adds one write (`{ Put }`, `{ Update }`, `{ Delete }` or `{ ConditionCheck }`). */
  add(write: TransactWriteItem): this {
    if (this.closed) {
      throw new Error(
        'This DynamoDB outbox transaction has been sent already; add writes inside the ' +
          'transaction() callback, before it returns.',
      );
    }
    if (this.writes.length >= MAX_TRANSACTION_ITEMS) {
      throw new RangeError(
        `A DynamoDB transaction holds at most ${MAX_TRANSACTION_ITEMS} writes, the outbox items ` +
          'included; split the work or publish fewer events per transaction.',
      );
    }
    this.writes.push(write);
    return this;
  }

  /** The writes so far, in order. */
  get items(): readonly TransactWriteItem[] {
    return this.writes;
  }

  /** @internal Seals the set before it is sent. */
  close(): readonly TransactWriteItem[] {
    this.closed = true;
    return this.writes;
  }
}

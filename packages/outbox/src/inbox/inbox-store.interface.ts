/** What `InboxStore.runOnce` did. */
export type InboxResult<T> =
  | { readonly ran: true; readonly result: T }
  /** The event was recorded for this handler before: `fn` did not run. */
  | { readonly ran: false };

/**
 * Records which events each handler has processed, in the same database transaction as the
 * handler's own writes: both commit, or neither does.
 */
export interface InboxStore {
  /** What and where the store is, for messages. No secrets. */
  readonly description: string;
  /**
   * Opens a transaction, records (`handler`, `eventId`) as processed in it, runs `fn` as the
   * outbox transaction of its async context (its writes and its publishes join the transaction),
   * and commits. When the pair was recorded before, rolls back and resolves `{ ran: false }`
   * without running `fn`. A concurrent run of the same pair waits for the first to finish
   * (PostgreSQL: the record's unique key) or is cancelled at commit (DynamoDB: a conditional put
   * in the same `TransactWriteItems`); either way the writes apply once.
   */
  runOnce<T>(handler: string, eventId: string, fn: () => Promise<T>): Promise<InboxResult<T>>;
}

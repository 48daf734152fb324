/** The outbox was asked for something its configuration or the current scope cannot give. */
export class OutboxError extends Error {
  override name = 'OutboxError';
}

/**
 * A publish inside an outbox transaction was routed to a transport whose outbox lives in another
 * store: the write and the event could not commit together, so nothing was written.
 */
export class OutboxStoreMismatchError extends OutboxError {
  override name = 'OutboxStoreMismatchError';

  constructor(transport: string, expected: string, active: string) {
    super(
      `Events routed to transport "${transport}" go to the outbox of ${expected}, but the ` +
        `transaction in progress belongs to ${active}; they cannot commit together. Wrap the ` +
        'transport with the store the transaction runs on, or publish after the transaction.',
    );
  }
}

/** `outsideTransaction: 'reject'` and a publish with no outbox transaction in progress. */
export class OutboxTransactionRequiredError extends OutboxError {
  override name = 'OutboxTransactionRequiredError';

  constructor(transport: string) {
    super(
      `Transport "${transport}" only takes events inside an outbox transaction ` +
        "(outsideTransaction: 'reject'); publish within store.transaction(...) or " +
        'store.withTransaction(...), or choose another outsideTransaction mode.',
    );
  }
}

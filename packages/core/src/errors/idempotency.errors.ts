import { NonRetryableError } from './non-retryable.error';

/**
 * An event reached an idempotent handler under a key that was first claimed for other data: a
 * conflict, not a duplicate. No retry can settle it, so the event goes to the dead letters.
 */
export class IdempotencyConflictError extends NonRetryableError {
  override name = 'IdempotencyConflictError';

  constructor(
    readonly handler: string,
    /** The key as the store has it (hashed), to look it up there. */
    readonly storeKey: string,
    readonly eventId: string,
  ) {
    super(
      `${handler}: event ${shorten(eventId)} has the idempotency key of an earlier event ` +
        `(store key ${storeKey}) but other data. Publish changed data with a new event id (or ` +
        'key), or give @Idempotent() a `fingerprint` that selects only the fields the key ' +
        'stands for (`fingerprint: false` turns the check off).',
    );
  }
}

/**
 * A handler outlived its idempotency lock (its renewal was refused, or the store stayed
 * unreachable past the lock's expiry), so another delivery may hold the key: the outcome is not
 * recorded, and the delivery fails so that it is retried. Retryable.
 */
export class IdempotencyLockLostError extends Error {
  override name = 'IdempotencyLockLostError';

  constructor(
    readonly handler: string,
    readonly storeKey: string,
    readonly eventId: string,
    reason: string,
  ) {
    super(
      `${handler}: lost the idempotency lock on event ${shorten(eventId)} (store key ` +
        `${storeKey}) while the handler ran: ${reason}. Its outcome is not recorded as ` +
        'completed; the delivery is retried. Raise lockTtlMs if renewals cannot keep up.',
    );
  }
}

/** An idempotency store did not answer in time; the delivery fails (closed) and is retried. */
export class IdempotencyStoreTimeoutError extends Error {
  override name = 'IdempotencyStoreTimeoutError';

  constructor(operation: string, timeoutMs: number) {
    super(
      `The idempotency store did not answer ${operation} within ${timeoutMs} ms ` +
        '(operationTimeoutMs); the delivery fails so that it is retried.',
    );
  }
}

function shorten(id: string): string {
  return id.length <= 64 ? id : `${id.slice(0, 64)}… (${id.length} chars)`;
}

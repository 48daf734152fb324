import type { EventEnvelope } from '../interfaces/event-envelope.interface';

export interface IdempotencyOptions {
  /**
   * What makes two deliveries "the same", per handler: the event id, or e.g.
   * `(event) => event.data.orderId` to apply one effect per order whatever the event id. Any
   * length: the store is given a SHA-256 of it.
   * @default (event) => event.id
   */
  key?: (event: EventEnvelope<any>) => string;
  /**
   * What must be equal for a delivery under a known key to be a duplicate: a fingerprint
   * (SHA-256 of a canonical JSON) of what this returns is stored with the key, and a later event
   * whose fingerprint differs fails with `IdempotencyConflictError` (to the dead letters) instead
   * of being skipped; `false` turns the check off. A custom `key` groups events whose data may
   * differ, so with one there is no check unless this selects the fields the key stands for.
   * @default (event) => event.data with the default key; none with a custom `key`
   */
  fingerprint?: false | ((event: EventEnvelope<any>) => unknown);
  /** How long a completed key is remembered, in milliseconds. @default 86400000 (24 h) */
  ttlMs?: number;
  /**
   * How long an in-progress claim holds if its holder stops renewing it (it crashed). While the
   * handler runs, the lock is renewed every `lockTtlMs / 3`, so a slow handler keeps its key.
   * @default 60000
   */
  lockTtlMs?: number;
  /**
   * What a delivery does when another one holds the key: `wait` until it completes (then skip) or
   * is released (then run), or `skip` at once. A wait gives up after `2 × lockTtlMs` (the delivery
   * fails and is retried later).
   * @default 'wait'
   */
  whenInProgress?: 'wait' | 'skip';
  /**
   * Bound of every store call (claim, complete, release, extend). A claim that times out fails
   * the delivery, which is retried: a store that is down never lets a handler run unguarded.
   * @default 5000
   */
  operationTimeoutMs?: number;
}

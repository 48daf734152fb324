import type { EventEnvelope } from '../interfaces/event-envelope.interface';

export interface IdempotencyOptions {
  /**
   * What makes two deliveries "the same", per handler: the event id, or e.g.
   * `(event) => event.data.orderId` to apply one effect per order whatever the event id.
   * @default (event) => event.id
   */
  key?: (event: EventEnvelope<any>) => string;
  /** How long a completed key is remembered, in milliseconds. @default 86400000 (24 h) */
  ttlMs?: number;
  /** How long an in-progress claim holds before another delivery may take over. @default 60000 */
  lockTtlMs?: number;
  /**
   * What a delivery does when another one holds the key: `wait` until it completes (then skip) or
   * is released (then run), or `skip` at once.
   * @default 'wait'
   */
  whenInProgress?: 'wait' | 'skip';
}

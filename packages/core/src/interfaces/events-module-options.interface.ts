import type { IdempotencyOptions } from '../idempotency/idempotency-options.interface';
import type { IdempotencyStore } from '../idempotency/idempotency-store.interface';
import type { RetryOptions } from '../retry/retry-policy';
import type { Transport } from '../transport/transport.interface';

export interface EventsModuleOptions {
  /** Name of this service, stamped as `source` on every event it publishes. */
  source: string;
  /**
   * Transports this application publishes and consumes through. The first one is the default for
   * publishing and for handlers that name none.
   * @default [new InMemoryTransport()]
   */
  transports?: Transport[];
  /**
   * Event-type selector (`order.created`, `order.*`) → transport name, for publishing. Exact types
   * win over wildcards; among wildcards the first listed wins; unmatched types use the default.
   * @default {}
   */
  routes?: Record<string, string>;
  /** Retry policy of every handler; `@EventHandler(..., { retry })` overrides it per handler. */
  retry?: RetryOptions;
  /** Defaults of `IdempotencyInterceptor`, with its store. */
  idempotency?: IdempotencyOptions & {
    /** Where claims are kept. Use a shared store when several instances consume. @default new MemoryIdempotencyStore() */
    store?: IdempotencyStore;
  };
  /** How long shutdown waits for in-flight handlers before giving up on them. @default 10000 */
  shutdownTimeoutMs?: number;
}

import type { IdempotencyOptions } from '../idempotency/idempotency-options.interface';
import type { IdempotencyStore } from '../idempotency/idempotency-store.interface';
import type { EventsMetricsOptions } from '../observability/events-metrics.interface';
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
  /**
   * How long one handler run may take unless its `@EventHandler` says otherwise (`timeoutMs`).
   * Past it the attempt fails with a `HandlerTimeoutError` and is retried per the retry policy,
   * so a handler that never settles cannot hold a consumer's slot and its message forever.
   * `Infinity` turns it off.
   * @default 60000
   */
  handlerTimeoutMs?: number;
  /**
   * How long each transport may take to start (look its queues up, provision) before the
   * bootstrap fails, naming it.
   * @default 60000
   */
  startTimeoutMs?: number;
  /** How long shutdown waits for in-flight handlers before giving up on them. @default 10000 */
  shutdownTimeoutMs?: number;
  /**
   * Counts handled, failed, retried, dead-lettered, skipped and published events and measures
   * handler latency, per handler: read them with `EventsMetrics.snapshot()`. When
   * `@opentelemetry/api` is installed they are also recorded through it (see the README for the
   * instrument names). `true` uses the defaults of `EventsMetricsOptions`. Off by default, so
   * that handling an event costs nothing for metrics nobody reads.
   * @default false
   */
  metrics?: boolean | EventsMetricsOptions;
  /**
   * OpenTelemetry spans through `@opentelemetry/api` (an optional peer: install it to turn this
   * on): a producer span per publish, whose context each event carries as its `traceparent`,
   * and a consumer span per handler run, child of it. See the README's Tracing section.
   * @default false
   */
  tracing?: boolean;
  /**
   * Include each event's `data` in the log records about it (handler failures, retries, dead
   * letters). Ids, type, version, correlation and causation are always there; payloads are left
   * out unless asked for, as they often hold personal data. Transports you construct yourself
   * take their own `logPayloads` option.
   * @default false
   */
  logPayloads?: boolean;
}

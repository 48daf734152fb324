import type { EventEnvelope } from '../interfaces/event-envelope.interface';
import type { EventPattern } from '@nestjs-events/event-patterns';
import type { EventNotification } from '../monitor/event-notification.interface';

/** How one delivery of an event reached a handler. */
export interface DeliveryInfo {
  /** 1 for the first delivery, 2 for the first retry, … */
  readonly attempt: number;
  /**
   * True when the envelope was validated by this process's bus on publish and handed over in
   * memory, so the consumer side can skip validating it again.
   */
  readonly trusted?: boolean;
}

/** A failure that ended in the dead-letter destination. */
export interface DeadLetterReason {
  /**
   * `non-retryable` and `max-attempts` from the retry policy; `shutdown` when a retry was still
   * waiting at the drain deadline; `overflow` when a transport's bound on waiting retries was reached.
   */
  readonly reason: 'non-retryable' | 'max-attempts' | 'shutdown' | 'overflow';
  readonly error: unknown;
  readonly attempts: number;
}

/**
 * What the transport must do after a handler saw an event. The decision (retry or not, how long
 * to wait) is taken by the core from the handler's retry policy; transports only carry it out.
 */
export type DeliveryOutcome =
  | { readonly status: 'handled' }
  | { readonly status: 'skipped' }
  | { readonly status: 'retry'; readonly delayMs: number; readonly error: unknown }
  | ({ readonly status: 'dead-letter' } & DeadLetterReason);

/** One `@EventHandler` method, as transports see it. */
export interface EventSubscription {
  /** `ClassName.methodName` (unique within an application). */
  readonly handler: string;
  /** Exact types or wildcard selectors (`order.*`, `billing.**`). */
  readonly eventTypes: readonly string[];
  /** Queue (or other consumer endpoint) named in the handler options, for brokered transports. */
  readonly queue?: string;
  /**
   * A filter that brokers able to filter may apply before delivery, written against the envelope
   * as published. Everything it rejects, the handler would skip in-process anyway: for events
   * that are upcast before the handler sees them, it lets older versions through unfiltered.
   */
  readonly pattern?: EventPattern;
  /** True when `type` is one of this subscription's event types. */
  matches(type: string): boolean;
  /** Runs the handler for one delivery. Never rejects: failures come back as an outcome. */
  handle(event: EventEnvelope, delivery: DeliveryInfo): Promise<DeliveryOutcome>;
}

export interface TransportHealth {
  readonly status: 'up' | 'down';
  readonly details?: Record<string, unknown>;
}

/**
 * What a transport reports about work outside handlers: a dead letter once it is written (never
 * before), one it could not write, poison that no handler saw, broker calls that failed.
 */
export type TransportNotification = Extract<
  EventNotification,
  {
    readonly kind:
      | 'dead-lettered'
      | 'dead-letter-failed'
      | 'poison'
      | 'delete-failed'
      | 'receive-failed'
      | 'outbox-relayed'
      | 'outbox-retrying'
      | 'outbox-parked';
  }
>;

/** Where a transport reports; the application's `EventsMonitor`. */
export interface TransportMonitor {
  /** True while someone listens: build notifications only then. */
  readonly observed: boolean;
  notify(notification: TransportNotification): void;
}

/**
 * Marks kept per delivery (a broker message that may come back), in the application's
 * idempotency store: which handlers are done with it, which receives of it ran nothing. They let
 * a redelivery caused by one handler skip the handlers that already handled it or gave it up.
 */
export interface DeliveryLedger {
  /**
   * True when the marks are in a store other instances share and restarts keep (a store given as
   * `idempotency.store`); false with the default in-memory store, whose marks only this process
   * sees.
   */
  readonly shared: boolean;
  /** Of `marks`, those set on `delivery`. Rejects when the store cannot answer in time. */
  marked(delivery: string, marks: readonly string[]): Promise<ReadonlySet<string>>;
  /** Sets `marks` on `delivery` for the idempotency TTL. Rejects when the store cannot. */
  mark(delivery: string, marks: readonly string[]): Promise<void>;
}

/** `messaging.*` attributes of a transport's spans. */
export interface TransportMessaging {
  /** `messaging.system` of what it publishes to, e.g. `aws_sns`. */
  readonly publish: string;
  /** `messaging.system` of what its handlers consume from, e.g. `aws_sqs`. */
  readonly consume: string;
  /** `messaging.destination.name` a handler consumes from, given its `queue` option. */
  destinationOf?(queue: string | undefined): string;
}

/** What `start` is given. */
export interface TransportContext {
  readonly monitor: TransportMonitor;
  readonly deliveries: DeliveryLedger;
}

/**
 * The seam every transport plugs into. The EventsModule calls `subscribe` for each handler at
 * bootstrap, then `start` once all are registered; on shutdown, `stop` with a drain deadline.
 *
 * A transport reports each dead letter (`dead-lettered`) once it has written it, and what goes
 * wrong outside handlers, to `context.monitor`; the core reports everything about handler runs.
 */
export interface Transport {
  /** Name used by `routes` and by the handler option `transport`. */
  readonly name: string;
  /** How its spans describe it when tracing is on (OpenTelemetry messaging conventions). */
  readonly messaging?: TransportMessaging;
  /** Sends envelopes; resolves when the transport has accepted all of them, rejects otherwise. */
  publish(events: readonly EventEnvelope[]): Promise<void>;
  subscribe(subscription: EventSubscription): void;
  /** `context` is always given by the EventsModule; a transport started by hand may lack it. */
  start(context?: TransportContext): Promise<void>;
  /** Stops consuming, waits for in-flight handlers up to `deadlineMs`, flushes what is pending. */
  stop(options: { deadlineMs: number }): Promise<void>;
  health(): TransportHealth | Promise<TransportHealth>;
}

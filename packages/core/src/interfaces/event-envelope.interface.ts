/**
 * Cross-cutting data carried with every event. Transports copy it onto the wire (message
 * attributes, EventBridge detail) so that the next hop can continue the chain.
 */
export interface EventMetadata {
  /** Shared by every event of one business flow; the first event's id when nothing else is known. */
  correlationId: string;
  /** Id of the event whose handler published this one. */
  causationId?: string;
  /** W3C trace context (`00-<trace-id>-<parent-id>-<flags>`), carried as is. */
  traceparent?: string;
  /** W3C `tracestate`, carried with `traceparent`. */
  tracestate?: string;
  [key: string]: unknown;
}

/** The envelope in which every event travels, whatever the transport. */
export interface EventEnvelope<TData = unknown, TType extends string = string> {
  /** UUID of this occurrence; the default idempotency key. */
  readonly id: string;
  /** Dotted event type, e.g. `order.created`. */
  readonly type: TType;
  /** Schema version of `data`, a positive integer. */
  readonly version: number;
  /** Name of the producing service (`EventsModule` option `source`). */
  readonly source: string;
  /** Id of the entity the event is about; FIFO transports group by it. */
  readonly aggregateId?: string;
  /** ISO-8601 time at which the event happened. */
  readonly occurredAt: string;
  readonly data: TData;
  readonly metadata: EventMetadata;
}

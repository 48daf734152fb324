/* eslint-disable @typescript-eslint/no-require-imports -- an optional peer, required lazily on purpose */
import type * as OpenTelemetryApi from '@opentelemetry/api';
import type { Attributes, Context, Link, Span, SpanContext, Tracer } from '@opentelemetry/api';
import type { EventEnvelope, EventMetadata } from '../interfaces/event-envelope.interface';
import type { DeliveryOutcome, Transport } from '../transport/transport.interface';
import { loadOptionalDependency } from '../utils/optional-dependency';

/** Name of the tracer that records this library's spans. */
export const TRACER_NAME = '@nestjs-events/core';

/**
 * `messaging.system` of a transport that says nothing (`Transport.messaging`): the
 * OpenTelemetry registry has no value for an in-process bus or a transport of your own.
 */
const UNKNOWN_SYSTEM = 'nestjs_events';

/** Attribute names beyond the messaging conventions: this library's own, under one prefix. */
export const TRACE_ATTRIBUTES = {
  eventType: 'nestjs_events.event.type',
  eventVersion: 'nestjs_events.event.version',
  handler: 'nestjs_events.handler',
  attempt: 'nestjs_events.delivery.attempt',
  outcome: 'nestjs_events.outcome',
} as const;

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** Where one handler consumes from, for its spans. */
export interface ProcessTarget {
  readonly handler: string;
  readonly system: string;
  readonly destination: string;
}

/**
 * Spans after the OpenTelemetry messaging conventions, through `@opentelemetry/api` (an optional
 * peer, loaded when `tracing` is on): a producer span per publish call (`send <destination>`,
 * one for a batch). A single event carries the send span's context as its
 * `traceparent`/`tracestate`; each event of a batch gets a `create <event type>` span of its own
 * (ended at once), carries that one, and the send span links to them all. A consumer span per
 * handler run (`process <event type>`) is the child of the context its event carries, active
 * while the handler runs, so that what it publishes joins the trace.
 * Retries, timeouts and dead letters are span events; failed runs set the span's status.
 */
export class EventTracer {
  private constructor(
    private readonly api: typeof OpenTelemetryApi,
    private readonly tracer: Tracer,
  ) {}

  static create(): EventTracer {
    const api = loadOptionalDependency<typeof OpenTelemetryApi>(
      '@opentelemetry/api',
      'tracing (the EventsModule option `tracing`)',
      () => require('@opentelemetry/api'),
    );
    return new EventTracer(api, api.trace.getTracer(TRACER_NAME));
  }

  /** The consumer side of a transport, for `process` spans. */
  static targetOf(transport: Transport, handler: string, queue: string | undefined): ProcessTarget {
    return {
      handler,
      system: transport.messaging?.consume ?? UNKNOWN_SYSTEM,
      destination: transport.messaging?.destinationOf?.(queue) ?? queue ?? transport.name,
    };
  }

  /**
   * Publishes `events` under a producer span: each is sent with the span's context as its
   * `traceparent` (and the parent's `tracestate`), and the span ends when `send` settles. The
   * parent is the active context, or else the trace context the first event already carries
   * (given by its producer, or set with `runWithEventMetadata`).
   */
  send(
    events: readonly EventEnvelope[],
    transport: Transport,
    send: (traced: readonly EventEnvelope[]) => Promise<void>,
  ): Promise<void> {
    const { api } = this;
    const active = api.context.active();
    const parent = api.trace.getSpanContext(active)
      ? active
      : (this.contextOf(events[0]?.metadata) ?? active);
    const single = events.length === 1 ? events[0] : undefined;
    // One event: its type, which the transport routes by (a topic, a detail type); a batch: the
    // transport.
    const destination = single ? single.type : transport.name;
    const attributes: Attributes = {
      'messaging.system': transport.messaging?.publish ?? UNKNOWN_SYSTEM,
      'messaging.operation.type': 'send',
      'messaging.operation.name': 'publish',
      'messaging.destination.name': destination,
    };
    if (single) {
      attributes['messaging.message.id'] = single.id;
      attributes['messaging.message.conversation_id'] = single.metadata.correlationId;
      attributes[TRACE_ATTRIBUTES.eventType] = single.type;
      attributes[TRACE_ATTRIBUTES.eventVersion] = single.version;
    } else {
      attributes['messaging.batch.message_count'] = events.length;
    }
    let traced: readonly EventEnvelope[];
    let links: Link[] | undefined;
    if (single) {
      links = this.linksOf(events, parent);
    } else {
      traced = events.map((event) => this.created(event, transport, parent));
      links = traced.map((event) => ({ context: spanContextOf(api, event.metadata)! }));
    }
    const span = this.tracer.startSpan(
      `send ${destination}`,
      { kind: api.SpanKind.PRODUCER, attributes, links },
      parent,
    );
    traced ??= [withTraceContext(single!, span.spanContext())];
    let sent: Promise<void>;
    try {
      sent = api.context.with(api.trace.setSpan(parent, span), () => send(traced));
    } catch (error) {
      sent = Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    return sent.then(
      () => span.end(),
      (error: unknown) => {
        this.fail(span, error);
        span.end();
        throw error;
      },
    );
  }

  /** Runs one delivery to a handler under a consumer span, active while the handler runs. */
  process(
    event: EventEnvelope,
    attempt: number,
    target: ProcessTarget,
    handle: () => Promise<DeliveryOutcome>,
  ): Promise<DeliveryOutcome> {
    const { api } = this;
    const parent = this.contextOf(event.metadata) ?? api.ROOT_CONTEXT;
    const span = this.tracer.startSpan(
      `process ${event.type}`,
      {
        kind: api.SpanKind.CONSUMER,
        attributes: {
          ...messageAttributes(target.system, 'process', target.destination, event),
          [TRACE_ATTRIBUTES.handler]: target.handler,
          [TRACE_ATTRIBUTES.attempt]: attempt,
        },
      },
      parent,
    );
    return api.context
      .with(api.trace.setSpan(api.context.active(), span), handle)
      .then((outcome) => {
        this.record(span, outcome);
        span.end();
        return outcome;
      });
  }

  private record(span: Span, outcome: DeliveryOutcome): void {
    span.setAttribute(TRACE_ATTRIBUTES.outcome, outcome.status);
    if (outcome.status === 'retry') {
      span.addEvent('retry', { 'nestjs_events.retry.delay_ms': outcome.delayMs });
      this.fail(span, outcome.error);
    } else if (outcome.status === 'dead-letter') {
      span.addEvent('dead-letter', {
        'nestjs_events.dead_letter.reason': outcome.reason,
        [TRACE_ATTRIBUTES.attempt]: outcome.attempts,
      });
      this.fail(span, outcome.error);
    }
  }

  private fail(span: Span, error: unknown): void {
    const { api } = this;
    const type = error instanceof Error ? error.name : typeof error;
    span.setAttribute('error.type', type);
    // The type only: messages may hold payload data, and the log has them already.
    span.setStatus({ code: api.SpanStatusCode.ERROR, message: type });
  }

  /** A context whose span context is the one `metadata` carries, or undefined. */
  private contextOf(metadata: Partial<EventMetadata> | undefined): Context | undefined {
    const spanContext = spanContextOf(this.api, metadata);
    return spanContext && this.api.trace.setSpanContext(this.api.ROOT_CONTEXT, spanContext);
  }

  /**
   * `event` of a batch under a `create` span of its own, child of `parent` and linked to the trace
   * context the event carried before (if another); the span ends at once, as creating is done.
   */
  private created(event: EventEnvelope, transport: Transport, parent: Context): EventEnvelope {
    const span = this.tracer.startSpan(
      `create ${event.type}`,
      {
        kind: this.api.SpanKind.PRODUCER,
        attributes: messageAttributes(
          transport.messaging?.publish ?? UNKNOWN_SYSTEM,
          'create',
          event.type,
          event,
        ),
        links: this.linksOf([event], parent),
      },
      parent,
    );
    span.end();
    return withTraceContext(event, span.spanContext());
  }

  /** Links to the trace contexts events carried before, where they are not the parent. */
  private linksOf(events: readonly EventEnvelope[], parent: Context): Link[] | undefined {
    const parentSpan = this.api.trace.getSpanContext(parent)?.spanId;
    const links: Link[] = [];
    const seen = new Set<string>();
    for (const event of events) {
      const context = spanContextOf(this.api, event.metadata);
      if (!context || context.spanId === parentSpan || seen.has(context.spanId)) continue;
      seen.add(context.spanId);
      links.push({ context });
    }
    return links.length ? links : undefined;
  }
}

/** The attributes of a span about one message: what it is, where it goes, what it carries. */
function messageAttributes(
  system: string,
  operation: 'create' | 'process',
  destination: string,
  event: EventEnvelope,
): Attributes {
  return {
    'messaging.system': system,
    'messaging.operation.type': operation,
    'messaging.operation.name': operation,
    'messaging.destination.name': destination,
    'messaging.message.id': event.id,
    'messaging.message.conversation_id': event.metadata.correlationId,
    [TRACE_ATTRIBUTES.eventType]: event.type,
    [TRACE_ATTRIBUTES.eventVersion]: event.version,
  };
}

function spanContextOf(
  api: typeof OpenTelemetryApi,
  metadata: Partial<EventMetadata> | undefined,
): SpanContext | undefined {
  const match = typeof metadata?.traceparent === 'string' && TRACEPARENT.exec(metadata.traceparent);
  if (!match) return undefined;
  const [, traceId, spanId, flags] = match;
  const spanContext: SpanContext = {
    traceId,
    spanId,
    traceFlags: parseInt(flags, 16),
    isRemote: true,
  };
  if (!api.isSpanContextValid(spanContext)) return undefined;
  if (typeof metadata.tracestate === 'string' && metadata.tracestate) {
    return { ...spanContext, traceState: api.createTraceState(metadata.tracestate) };
  }
  return spanContext;
}

/** The W3C `traceparent` of a span context. */
export function traceparentOf({ traceId, spanId, traceFlags }: SpanContext): string {
  return `00-${traceId}-${spanId}-${(traceFlags & 0xff).toString(16).padStart(2, '0')}`;
}

/** `event` carrying `context` as its trace context; linked to its definition as before. */
function withTraceContext(event: EventEnvelope, context: SpanContext): EventEnvelope {
  const metadata: EventMetadata = { ...event.metadata, traceparent: traceparentOf(context) };
  const tracestate = context.traceState?.serialize();
  if (tracestate) metadata.tracestate = tracestate;
  else delete metadata.tracestate;
  return Object.assign(Object.create(Object.getPrototypeOf(event) as object) as EventEnvelope, {
    ...event,
    metadata,
  });
}

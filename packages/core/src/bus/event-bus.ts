import { Inject, Injectable, Optional } from '@nestjs/common';
import { inheritMetadata, metadataAtPublish } from '../context/event-context';
import { definitionOf } from '../definition/define-event';
import { EVENT_TRACER } from '../events.constants';
import { EVENTS_MODULE_OPTIONS } from '../events-module.definition';
import type { EventEnvelope } from '../interfaces/event-envelope.interface';
import type { EventsModuleOptions } from '../interfaces/events-module-options.interface';
import { EventsMonitor } from '../monitor/events.monitor';
import type { EventTracer } from '../observability/event-tracer';
import type { Transport } from '../transport/transport.interface';
import { TransportRegistry } from '../transport/transport.registry';
import { assertEventEnvelope } from './envelope.check';

/**
 * Publishes events. Each event is checked against its definition's schema, stamped with this
 * service's `source` and with the correlation of the event being handled, then handed to the
 * transport its type is routed to. The returned promise rejects when any event is refused.
 */
@Injectable()
export class EventBus {
  private readonly source: string;

  constructor(
    @Inject(EVENTS_MODULE_OPTIONS) options: EventsModuleOptions,
    private readonly transports: TransportRegistry,
    private readonly monitor: EventsMonitor,
    @Optional() @Inject(EVENT_TRACER) private readonly tracer: EventTracer | null = null,
  ) {
    this.source = options.source;
  }

  publish(event: EventEnvelope): Promise<void> {
    try {
      const prepared = this.prepare(event);
      // The common case (a synchronous schema) costs no extra promise.
      return prepared instanceof Promise
        ? prepared.then((ready) => this.send(ready))
        : this.send(prepared);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  private send(event: EventEnvelope): Promise<void> {
    const transport = this.transports.forType(event.type);
    if (this.tracer)
      return this.tracer.send([event], transport, (traced) => this.sendTo(transport, traced));
    const sent = transport.publish([event]);
    return this.monitor.observed ? sent.then(() => this.reportPublished([event], transport)) : sent;
  }

  private async sendTo(transport: Transport, events: readonly EventEnvelope[]): Promise<void> {
    await transport.publish(events);
    this.reportPublished(events, transport);
  }

  /**
   * Publishes several events. All are validated before any is sent, so invalid data sends nothing;
   * events routed to one transport go to it in one call, so it can batch them.
   */
  async publishAll(events: readonly EventEnvelope[]): Promise<void> {
    const prepared = await Promise.all(events.map((event) => Promise.resolve(this.prepare(event))));
    const groups = new Map<Transport, EventEnvelope[]>();
    for (const event of prepared) {
      const transport = this.transports.forType(event.type);
      const group = groups.get(transport);
      if (group) group.push(event);
      else groups.set(transport, [event]);
    }
    const { tracer } = this;
    await Promise.all(
      [...groups].map(([transport, group]) =>
        tracer
          ? tracer.send(group, transport, (traced) => this.sendTo(transport, traced))
          : this.sendTo(transport, group),
      ),
    );
  }

  private prepare(event: EventEnvelope): EventEnvelope | Promise<EventEnvelope> {
    const definition = definitionOf(event);
    // A definition's create() builds well-formed envelopes; anything else is checked field by field.
    if (!definition) assertEventEnvelope(event, 'publish');
    if (!definition?.schema) return this.stamp(event, event.data);
    const data: unknown = definition.validate(event.data);
    return data instanceof Promise
      ? data.then((valid) => this.stamp(event, valid))
      : this.stamp(event, data);
  }

  private stamp(event: EventEnvelope, data: unknown): EventEnvelope {
    const hasMetadata = typeof event.metadata?.correlationId === 'string';
    const metadata = hasMetadata
      ? metadataAtPublish(event.id, event.metadata)
      : inheritMetadata(event.id, event.metadata);
    if (event.source && data === event.data && metadata === event.metadata) return event;
    const source = event.source || this.source;
    const definition = definitionOf(event);
    return definition
      ? definition.relink(event, source, data, metadata)
      : { ...event, source, data, metadata };
  }

  private reportPublished(events: readonly EventEnvelope[], transport: Transport): void {
    if (!this.monitor.observed) return;
    for (const event of events)
      this.monitor.notify({ kind: 'published', event, transport: transport.name });
  }
}

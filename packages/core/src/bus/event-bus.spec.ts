import { z } from 'zod';
import { runInHandlingContext, runWithEventMetadata } from '../context/event-context';
import { defineEvent } from '../definition/define-event';
import type { EventEnvelope } from '../interfaces/event-envelope.interface';
import type { EventsMonitor } from '../monitor/events.monitor';
import type { Transport } from '../transport/transport.interface';
import type { TransportRegistry } from '../transport/transport.registry';
import { EventBus } from './event-bus';

const OrderPlaced = defineEvent({
  type: 'order.placed',
  schema: z.object({ orderId: z.string() }),
});

const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

function bus(): { bus: EventBus; sent: EventEnvelope[] } {
  const sent: EventEnvelope[] = [];
  const transport = {
    name: 'memory',
    publish: (events: readonly EventEnvelope[]) => {
      sent.push(...events);
      return Promise.resolve();
    },
  } as unknown as Transport;
  const registry = { forType: () => transport } as unknown as TransportRegistry;
  const monitor = { observed: false } as unknown as EventsMonitor;
  return {
    bus: new EventBus({ source: 'shop' }, registry, monitor),
    sent,
  };
}

describe('EventBus: metadata of events created before runWithEventMetadata', () => {
  const request = { correlationId: 'request-1', traceparent: TRACEPARENT };

  it('applies the metadata of the publish to an event created outside it', async () => {
    const { bus: events, sent } = bus();
    const event = OrderPlaced.create({ orderId: 'o-1' });
    await runWithEventMetadata(request, () => events.publish(event));
    expect(sent[0].id).toBe(event.id);
    expect(sent[0].metadata).toEqual({ correlationId: 'request-1', traceparent: TRACEPARENT });
  });

  it('does the same for publishAll', async () => {
    const { bus: events, sent } = bus();
    const list = [OrderPlaced.create({ orderId: 'o-1' }), OrderPlaced.create({ orderId: 'o-2' })];
    await runWithEventMetadata(request, () => events.publishAll(list));
    expect(sent.map((e) => e.metadata.correlationId)).toEqual(['request-1', 'request-1']);
  });

  it('applies the handled event as cause to an event created before the handler ran', async () => {
    const { bus: events, sent } = bus();
    const event = OrderPlaced.create({ orderId: 'o-1' });
    const handled = OrderPlaced.create({ orderId: 'o-0' }, { metadata: { correlationId: 'f-1' } });
    await runInHandlingContext({ event: handled, handler: 'A.b', attempt: 1 }, () =>
      events.publish(event),
    );
    expect(sent[0].metadata).toEqual({ correlationId: 'f-1', causationId: handled.id });
  });

  it('keeps what the producer gave to create(), and inherits only the rest', async () => {
    const { bus: events, sent } = bus();
    const explicit = OrderPlaced.create(
      { orderId: 'o-1' },
      { metadata: { correlationId: 'mine', causationId: 'cmd-1' } },
    );
    const partial = OrderPlaced.create({ orderId: 'o-2' }, { metadata: { tenant: 'acme' } });
    await runWithEventMetadata(request, () => events.publishAll([explicit, partial]));
    expect(sent[0].metadata).toEqual({
      correlationId: 'mine',
      causationId: 'cmd-1',
      traceparent: TRACEPARENT,
    });
    expect(sent[1].metadata).toEqual({
      tenant: 'acme',
      correlationId: 'request-1',
      traceparent: TRACEPARENT,
    });
  });

  it('keeps a correlation id set on the envelope after creation', async () => {
    const { bus: events, sent } = bus();
    const event = OrderPlaced.create({ orderId: 'o-1' });
    event.metadata.correlationId = 'set-later';
    await runWithEventMetadata(request, () => events.publish(event));
    expect(sent[0].metadata.correlationId).toBe('set-later');
  });

  it('keeps the metadata of an event created inside and published outside', async () => {
    const { bus: events, sent } = bus();
    const event = runWithEventMetadata(request, () => OrderPlaced.create({ orderId: 'o-1' }));
    await events.publish(event);
    expect(sent[0].metadata.correlationId).toBe('request-1');
  });

  it('does not touch events received from elsewhere', async () => {
    const { bus: events, sent } = bus();
    const received: EventEnvelope = {
      id: 'r-1',
      type: 'order.placed',
      version: 1,
      source: 'other',
      occurredAt: '2024-01-01T00:00:00.000Z',
      data: { orderId: 'o-1' },
      metadata: { correlationId: 'theirs' },
    };
    await runWithEventMetadata(request, () => events.publish(received));
    expect(sent[0]).toBe(received);
  });

  it('leaves an event that is its own handled event as it is', async () => {
    const { bus: events, sent } = bus();
    const event = OrderPlaced.create({ orderId: 'o-1' });
    await runInHandlingContext({ event, handler: 'A.b', attempt: 1 }, () => events.publish(event));
    expect(sent[0].metadata).toEqual({ correlationId: event.id });
  });
});

import type { EventEnvelope } from '@nestjs-events/core';
import { entrySize, toPutEventsEntry } from './eventbridge.envelope';

const envelope: EventEnvelope = {
  id: '0c1d2e3f-0000-4000-8000-000000000001',
  type: 'order.created',
  version: 2,
  source: 'orders',
  aggregateId: 'order-7',
  occurredAt: '2025-03-04T05:06:07.089Z',
  data: { total: 12.5, note: 'déjà' },
  metadata: {
    correlationId: 'c-1',
    traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
  },
};

describe('toPutEventsEntry', () => {
  it('maps source and type to Source and DetailType, the rest of the envelope to Detail', () => {
    const entry = toPutEventsEntry(envelope, 'orders-bus');
    expect(entry).toEqual({
      EventBusName: 'orders-bus',
      Source: 'orders',
      DetailType: 'order.created',
      Detail: expect.any(String),
      Time: new Date('2025-03-04T05:06:07.089Z'),
      // The traceparent's ids in X-Ray's form; the traceparent itself stays in Detail.
      TraceHeader: 'Root=1-0af76519-16cd43dd8448eb211c80319c;Parent=b7ad6b7169203331;Sampled=1',
    });
    expect(JSON.parse(entry.Detail!)).toEqual({
      id: envelope.id,
      version: 2,
      aggregateId: 'order-7',
      occurredAt: envelope.occurredAt,
      data: envelope.data,
      metadata: envelope.metadata,
    });
  });

  it('leaves out what the envelope does not have', () => {
    const entry = toPutEventsEntry(
      { ...envelope, aggregateId: undefined, metadata: { correlationId: 'c-1' } },
      'default',
    );
    expect(entry).not.toHaveProperty('TraceHeader');
    expect(JSON.parse(entry.Detail!)).not.toHaveProperty('aggregateId');
  });

  it('sends no Time for an occurredAt that is not a date, rather than an invalid one', () => {
    expect(toPutEventsEntry({ ...envelope, occurredAt: 'yesterday' }, 'b')).not.toHaveProperty(
      'Time',
    );
  });
});

describe('entrySize', () => {
  it('counts Time as 14 bytes, and Source, DetailType, Detail and Resources in UTF-8 bytes', () => {
    expect(
      entrySize({
        Source: 'orders',
        DetailType: 'order.créé',
        Detail: '{"a":"é"}',
        Time: new Date(),
        Resources: ['arn:x', 'arn:yz'],
      }),
    ).toBe(14 + 6 + 12 + 10 + 5 + 6);
  });

  it('does not count the bus name or the trace header', () => {
    const entry = toPutEventsEntry(envelope, 'orders-bus');
    expect(entrySize(entry)).toBe(
      entrySize({ ...entry, EventBusName: undefined, TraceHeader: undefined }),
    );
    expect(entrySize(entry)).toBe(
      14 +
        Buffer.byteLength('orders') +
        Buffer.byteLength('order.created') +
        Buffer.byteLength(entry.Detail!),
    );
  });
});

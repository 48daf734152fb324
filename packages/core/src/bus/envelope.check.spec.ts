import { InvalidEventError } from '../errors/invalid-event.error';
import { assertEventEnvelope, envelopeProblems } from './envelope.check';

const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

function valid(): Record<string, unknown> {
  return {
    id: '7d444840-9dc0-41cc-9c4d-3f5e1b1a0f2a',
    type: 'order.created',
    version: 1,
    source: 'orders',
    aggregateId: 'o-1',
    occurredAt: '2024-01-01T00:00:00.000Z',
    data: { orderId: 'o-1' },
    metadata: { correlationId: 'c-1', traceparent: TRACEPARENT },
  };
}

function problemsWith(overrides: Record<string, unknown>): string[] {
  return envelopeProblems({ ...valid(), ...overrides });
}

function problemsWithout(field: string): string[] {
  const envelope = valid();
  delete envelope[field];
  return envelopeProblems(envelope);
}

describe('envelopeProblems', () => {
  it('finds nothing wrong with a well-formed envelope', () => {
    expect(envelopeProblems(valid())).toEqual([]);
  });

  it('accepts the optional fields left out', () => {
    expect(problemsWithout('source')).toEqual([]);
    expect(problemsWithout('aggregateId')).toEqual([]);
    expect(problemsWithout('metadata')).toEqual([]);
    expect(problemsWith({ metadata: { correlationId: 'c-1' } })).toEqual([]);
  });

  it('accepts undefined and null data as long as the field is present', () => {
    expect(problemsWith({ data: undefined })).toEqual([]);
    expect(problemsWith({ data: null })).toEqual([]);
  });

  it.each([null, undefined, 'order.created', 42, true])('rejects %p as not an object', (value) => {
    expect(envelopeProblems(value)).toEqual(['it is not an object']);
  });

  it.each([undefined, '', 42, null])('rejects the id %p', (id) => {
    expect(problemsWith({ id })).toEqual(['"id" must be a non-empty string']);
  });

  it.each([undefined, '', 'order..created', 'order.*', 'order created', 7])(
    'rejects the type %p',
    (type) => {
      expect(problemsWith({ type })).toEqual([
        `"type" must be a dotted event type, got ${JSON.stringify(type)}`,
      ]);
    },
  );

  it.each([undefined, 0, -1, 1.5, '1', Number.NaN])('rejects the version %p', (version) => {
    expect(problemsWith({ version })).toEqual([
      `"version" must be a positive integer, got ${JSON.stringify(version)}`,
    ]);
  });

  it.each([undefined, 'yesterday', '', 1704067200000, new Date('2024-01-01T00:00:00.000Z')])(
    'rejects the occurredAt %p',
    (occurredAt) => {
      expect(problemsWith({ occurredAt })).toEqual([
        `"occurredAt" must be an ISO-8601 time, got ${JSON.stringify(occurredAt)}`,
      ]);
    },
  );

  it('rejects a source that is not a string', () => {
    expect(problemsWith({ source: 42 })).toEqual(['"source" must be a string']);
    expect(problemsWith({ source: null })).toEqual(['"source" must be a string']);
  });

  it('rejects an aggregateId that is not a string', () => {
    expect(problemsWith({ aggregateId: 42 })).toEqual(['"aggregateId" must be a string']);
  });

  it('rejects a missing data field', () => {
    expect(problemsWithout('data')).toEqual(['"data" is missing']);
  });

  it.each([null, 'c-1', 42])('rejects the metadata %p', (metadata) => {
    expect(problemsWith({ metadata })).toEqual(['"metadata" must be an object']);
  });

  it.each(['not-a-trace', '00-0AF7651916CD43DD8448EB211C80319C-B7AD6B7169203331-01', 42])(
    'rejects the traceparent %p',
    (traceparent) => {
      expect(problemsWith({ metadata: { correlationId: 'c-1', traceparent } })).toEqual([
        `"metadata.traceparent" is not a W3C traceparent: ${JSON.stringify(traceparent)}`,
      ]);
    },
  );

  it('lists every problem at once', () => {
    expect(envelopeProblems({ type: 'x..y', metadata: null })).toEqual([
      '"id" must be a non-empty string',
      '"type" must be a dotted event type, got "x..y"',
      '"version" must be a positive integer, got undefined',
      '"occurredAt" must be an ISO-8601 time, got undefined',
      '"data" is missing',
      '"metadata" must be an object',
    ]);
  });
});

describe('assertEventEnvelope', () => {
  it('passes a well-formed envelope', () => {
    expect(() => assertEventEnvelope(valid(), 'publish')).not.toThrow();
  });

  it('throws InvalidEventError naming the action, the id and every problem', () => {
    const assert = () =>
      assertEventEnvelope({ ...valid(), id: 'e-1', version: 0, source: 1 }, 'publish');
    expect(assert).toThrow(InvalidEventError);
    expect(assert).toThrow(
      'Cannot publish event e-1: "version" must be a positive integer, got 0; "source" must be a ' +
        "string. Build events with a definition's create() or with EventFactory.",
    );
  });

  it('leaves out an id that is not a string', () => {
    expect(() => assertEventEnvelope(null, 'receive')).toThrow(
      /^Cannot receive event: it is not an object\. /,
    );
    expect(() => assertEventEnvelope({ ...valid(), id: 5 }, 'receive')).toThrow(
      /^Cannot receive event: "id" must be a non-empty string\. /,
    );
  });
});

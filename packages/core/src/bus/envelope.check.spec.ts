import { InvalidEventError } from '../errors/invalid-event.error';
import { assertEventEnvelope, ENVELOPE_LIMITS, envelopeProblems } from './envelope.check';

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

  it.each([
    [null, 'null'],
    [undefined, 'undefined'],
    ['order.created', 'a string of 13 characters'],
    [42, 'a number'],
    [true, 'a boolean'],
    [[], 'an array of 0 items'],
  ])('rejects %p as not an object', (value, described) => {
    expect(envelopeProblems(value)).toEqual([`it is ${described}, not an object`]);
  });

  it.each([
    [undefined, 'undefined'],
    ['', 'a string of 0 characters'],
    [42, 'a number'],
    [null, 'null'],
  ])('rejects the id %p', (id, described) => {
    expect(problemsWith({ id })).toEqual([`"id" must be a non-empty string, got ${described}`]);
  });

  it.each([
    [undefined, 'undefined'],
    ['', 'a string of 0 characters'],
    ['order..created', 'a string of 14 characters'],
    ['order.*', 'a string of 7 characters'],
    ['order created', 'a string of 13 characters'],
    [7, 'a number'],
  ])('rejects the type %p', (type, described) => {
    expect(problemsWith({ type })).toEqual([
      `"type" must be a dotted event type, got ${described}`,
    ]);
  });

  it.each([
    [undefined, 'undefined'],
    [0, 'a number'],
    [-1, 'a number'],
    [1.5, 'a number'],
    ['1', 'a string of 1 characters'],
    [Number.NaN, 'a number'],
  ])('rejects the version %p', (version, described) => {
    expect(problemsWith({ version })).toEqual([
      `"version" must be a positive integer, got ${described}`,
    ]);
  });

  it.each([
    undefined,
    'yesterday',
    '',
    1704067200000,
    new Date('2024-01-01T00:00:00.000Z'),
    // Parseable by Date, but no such instant: JavaScript would roll them over silently.
    '2024-02-30T00:00:00.000Z',
    '2023-02-29T12:00:00Z',
    '2024-04-31T00:00:00Z',
    '2024-01-01T24:00:00Z',
    '2024-01-01T12:60:00Z',
    '2024-13-01T00:00:00Z',
    '2024-00-10T00:00:00Z',
    '2024-01-00T00:00:00Z',
    '1900-02-29T00:00:00Z',
    '2024-06-31T00:00:00Z',
    '2024-01-01T00:00:00+24:00',
    '2024-1-01T00:00:00Z',
  ])('rejects the occurredAt %p', (occurredAt) => {
    expect(problemsWith({ occurredAt })).toEqual([
      expect.stringMatching(/^"occurredAt" must be an ISO-8601 time of a real date, got /),
    ]);
  });

  it.each([
    '2024-02-29T00:00:00Z',
    '2000-02-29T00:00:00Z',
    '2024-12-31T23:59:59.999999+14:00',
    '2024-06-01T08:30-05:00',
    '2024-09-30T00:00:00Z',
    // Years below 100 are real too (Date.UTC alone would read 0050 as 1950).
    '0050-01-31T00:00:00Z',
  ])('accepts the real time %p', (occurredAt) => {
    expect(problemsWith({ occurredAt })).toEqual([]);
  });

  it('rejects a source or aggregateId that is not a string', () => {
    expect(problemsWith({ source: 42 })).toEqual(['"source" must be a string, got a number']);
    expect(problemsWith({ source: null })).toEqual(['"source" must be a string, got null']);
    expect(problemsWith({ aggregateId: 42 })).toEqual([
      '"aggregateId" must be a string, got a number',
    ]);
  });

  it('rejects a missing data field', () => {
    expect(problemsWithout('data')).toEqual(['"data" is missing']);
  });

  it.each([
    [null, 'null'],
    ['c-1', 'a string of 3 characters'],
    [42, 'a number'],
    [['c-1'], 'an array of 1 items'],
  ])('rejects the metadata %p', (metadata, described) => {
    expect(problemsWith({ metadata })).toEqual([`"metadata" must be an object, got ${described}`]);
  });

  it.each([
    [
      { correlationId: { nested: true } },
      '"metadata.correlationId" must be a string, got an object',
    ],
    [{ correlationId: 42 }, '"metadata.correlationId" must be a string, got a number'],
    [
      { correlationId: 'c', causationId: [] },
      '"metadata.causationId" must be a string, got an array of 0 items',
    ],
    [{ correlationId: 'c', tracestate: 1 }, '"metadata.tracestate" must be a string, got a number'],
  ])('rejects metadata fields of the wrong type: %p', (metadata, problem) => {
    expect(problemsWith({ metadata })).toEqual([problem]);
  });

  it('rejects string fields over their limits, naming the length and the limit', () => {
    const long = (n: number) => 'x'.repeat(n);
    expect(problemsWith({ metadata: { correlationId: long(200_000) } })).toEqual([
      `"metadata.correlationId" is 200000 characters long, over the limit of ${ENVELOPE_LIMITS.correlationId}`,
    ]);
    expect(problemsWith({ id: long(ENVELOPE_LIMITS.id + 1) })).toEqual([
      `"id" is ${ENVELOPE_LIMITS.id + 1} characters long, over the limit of ${ENVELOPE_LIMITS.id}`,
    ]);
    expect(problemsWith({ type: `a.${long(ENVELOPE_LIMITS.type)}` })).toEqual([
      `"type" is ${ENVELOPE_LIMITS.type + 2} characters long, over the limit of ${ENVELOPE_LIMITS.type}`,
    ]);
    expect(
      problemsWith({
        metadata: { correlationId: 'c', tracestate: long(ENVELOPE_LIMITS.tracestate) },
      }),
    ).toEqual([]);
  });

  it.each(['not-a-trace', '00-0AF7651916CD43DD8448EB211C80319C-B7AD6B7169203331-01', 42])(
    'rejects the traceparent %p',
    (traceparent) => {
      expect(problemsWith({ metadata: { correlationId: 'c-1', traceparent } })).toEqual([
        expect.stringMatching(/^"metadata\.traceparent" must be a W3C traceparent, got /),
      ]);
    },
  );

  it('never quotes what a field holds, only its type and length', () => {
    const secret = 'jane.doe@example.com 123-45-6789';
    const problems = envelopeProblems({
      id: secret.repeat(20),
      type: secret,
      version: secret,
      occurredAt: secret,
      source: { secret },
      metadata: { correlationId: { secret }, traceparent: secret },
    });
    expect(problems.length).toBeGreaterThan(0);
    for (const problem of problems) expect(problem).not.toMatch(/jane|6789/);
  });

  it('lists every problem at once', () => {
    expect(envelopeProblems({ type: 'x..y', metadata: null })).toEqual([
      '"id" must be a non-empty string, got undefined',
      '"type" must be a dotted event type, got a string of 4 characters',
      '"version" must be a positive integer, got undefined',
      '"occurredAt" must be an ISO-8601 time of a real date, got undefined',
      '"data" is missing',
      '"metadata" must be an object, got null',
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
      'Cannot publish event e-1: "version" must be a positive integer, got a number; "source" ' +
        "must be a string, got a number. Build events with a definition's create() or with " +
        'EventFactory.',
    );
  });

  it('leaves out an id that is not a string', () => {
    expect(() => assertEventEnvelope(null, 'receive')).toThrow(
      /^Cannot receive event: it is null, not an object\. /,
    );
    expect(() => assertEventEnvelope({ ...valid(), id: 5 }, 'receive')).toThrow(
      /^Cannot receive event: "id" must be a non-empty string, got a number\. /,
    );
  });
});

import { ConsoleLogger, Logger, type ConsoleLoggerOptions } from '@nestjs/common';
import type { EventEnvelope } from '../interfaces/event-envelope.interface';
import { describeError } from '../errors/describe-error';
import { eventLogFields, EventLogger } from './event-log';

const event: EventEnvelope = {
  id: 'evt-1',
  type: 'order.placed',
  version: 2,
  source: 'orders',
  occurredAt: '2024-01-01T00:00:00.000Z',
  data: { email: 'someone@example.com', total: 42 },
  metadata: { correlationId: 'corr-1', causationId: 'cause-1', traceparent: 'tp' },
};

describe('eventLogFields', () => {
  it('identifies the event, its correlation and the handler, without data', () => {
    expect(
      eventLogFields(event, {
        handler: 'Orders.onPlaced',
        attempt: 2,
        reason: 'max-attempts',
        error: new TypeError('boom'),
      }),
    ).toEqual({
      eventId: 'evt-1',
      eventType: 'order.placed',
      eventVersion: 2,
      correlationId: 'corr-1',
      causationId: 'cause-1',
      handler: 'Orders.onPlaced',
      attempt: 2,
      reason: 'max-attempts',
      error: 'TypeError: boom',
    });
  });

  it('adds the data only when payloads are to be logged', () => {
    expect(eventLogFields(event, {}, false)).not.toHaveProperty('data');
    expect(eventLogFields(event, {}, true)).toMatchObject({ data: event.data });
  });

  it('sets no key for what is unknown, e.g. an envelope from elsewhere without metadata', () => {
    const bare = { ...event, metadata: undefined } as unknown as EventEnvelope;
    expect(Object.keys(eventLogFields(bare))).toEqual(['eventId', 'eventType', 'eventVersion']);
  });

  it('describes errors and other thrown values', () => {
    expect(describeError(new RangeError('too far'))).toBe('RangeError: too far');
    expect(describeError('plain')).toBe('plain');
    expect(describeError(undefined)).toBe('undefined');
  });
});

describe('EventLogger through ConsoleLogger', () => {
  let output: string[];

  /** Lines that `ConsoleLogger` with `options` writes for one warning and one error. */
  function print(options: ConsoleLoggerOptions, logPayloads = false): string[] {
    output = [];
    const capture = (chunk: string | Uint8Array) => {
      output.push(String(chunk));
      return true;
    };
    jest.spyOn(process.stdout, 'write').mockImplementation(capture);
    jest.spyOn(process.stderr, 'write').mockImplementation(capture);
    Logger.overrideLogger(new ConsoleLogger(options));
    const logger = new EventLogger('EventHandler', logPayloads);
    logger.warn('Orders.onPlaced failed; retrying in 5 ms', event, {
      handler: 'Orders.onPlaced',
      attempt: 1,
      delayMs: 5,
      error: new Error('timeout'),
    });
    logger.error('Orders.onPlaced failed; dead-lettered', event, {
      handler: 'Orders.onPlaced',
      attempt: 3,
      reason: 'max-attempts',
      error: new Error('timeout'),
    });
    jest.restoreAllMocks();
    return output.join('').split('\n').filter(Boolean);
  }

  afterEach(() => {
    Logger.overrideLogger(new ConsoleLogger());
  });

  it('in JSON mode, writes one record per line with the fields as params', () => {
    const [warning, error] = print({ json: true }).map(
      (line) => JSON.parse(line) as Record<string, unknown>,
    );
    expect(warning).toMatchObject({
      level: 'warn',
      context: 'EventHandler',
      message: 'Orders.onPlaced failed; retrying in 5 ms',
      params: {
        eventId: 'evt-1',
        eventType: 'order.placed',
        eventVersion: 2,
        correlationId: 'corr-1',
        causationId: 'cause-1',
        handler: 'Orders.onPlaced',
        attempt: 1,
        delayMs: 5,
        error: 'Error: timeout',
      },
    });
    expect(error).toMatchObject({
      level: 'error',
      params: { eventId: 'evt-1', attempt: 3, reason: 'max-attempts' },
      stack: expect.stringContaining('Error: timeout\n    at '),
    });
    expect(JSON.stringify([warning, error])).not.toContain('someone@example.com');
  });

  it('in JSON mode with flattenParams, makes the fields top-level', () => {
    const [warning] = print({ json: true, flattenParams: true }).map(
      (line) => JSON.parse(line) as Record<string, unknown>,
    );
    expect(warning).toMatchObject({
      message: 'Orders.onPlaced failed; retrying in 5 ms',
      eventId: 'evt-1',
      correlationId: 'corr-1',
    });
  });

  it('in JSON mode with logPayloads, includes the data', () => {
    const [warning] = print({ json: true }, true).map(
      (line) => JSON.parse(line) as { params: Record<string, unknown> },
    );
    expect(warning.params.data).toEqual(event.data);
  });

  it('in text mode, appends the fields to the message on the same line', () => {
    const lines = print({ colors: false });
    expect(lines[0]).toMatch(
      /WARN \[EventHandler\] Orders\.onPlaced failed; retrying in 5 ms \{ eventId: 'evt-1', eventType: 'order\.placed', eventVersion: 2, correlationId: 'corr-1', causationId: 'cause-1', handler: 'Orders\.onPlaced', attempt: 1, delayMs: 5, error: 'Error: timeout' \}$/,
    );
    expect(lines[1]).toMatch(
      /ERROR \[EventHandler\] Orders\.onPlaced failed; dead-lettered \{ .*reason: 'max-attempts'/,
    );
    // The stack follows on its own lines, as for any Nest error log.
    expect(lines[2]).toBe('Error: timeout');
    expect(lines.join('\n')).not.toContain('someone@example.com');
  });
});

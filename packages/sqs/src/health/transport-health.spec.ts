import type { SqsConsumerStatus } from '../consuming/sqs.consumer';
import {
  consumerHealth,
  publisherHealth,
  redact,
  sqsTransportHealth,
  type ConsumerHealthInput,
  type QueueHealthInput,
} from './transport-health';

const T0 = Date.parse('2030-01-01T00:00:00Z');
const queue: QueueHealthInput = {
  name: 'orders',
  options: { waitTimeSeconds: 20, concurrency: 10 },
};

/** A consumer whose status the test changes between checks. */
function consumer(status: Partial<SqsConsumerStatus> = {}): ConsumerHealthInput & {
  current: SqsConsumerStatus;
} {
  const fake = {
    current: {
      queue: 'orders',
      running: true,
      inFlight: 0,
      consecutiveFailures: 0,
      lastReceiveAt: new Date(T0),
      ...status,
    } as SqsConsumerStatus,
    status: () => fake.current,
  };
  return fake;
}

const noPublish = { lastSuccessAt: undefined, lastError: undefined };

describe('consumerHealth', () => {
  it('is up while the poll loop receives, with the counters in the details', () => {
    expect(consumerHealth(queue, consumer({ inFlight: 3 }), {}, T0 + 5_000)).toEqual({
      queue: 'orders',
      status: 'up',
      running: true,
      inFlight: 3,
      consecutiveFailures: 0,
      lastReceiveAt: new Date(T0),
      staleAfterMs: 30_000,
    });
  });

  it('is down when the poll loop is not running', () => {
    expect(consumerHealth(queue, consumer({ running: false }), {}, T0)).toMatchObject({
      status: 'down',
      reason: 'the poll loop is not running',
    });
  });

  it('is down while ReceiveMessage fails, with the last error message', () => {
    const failing = consumer({
      consecutiveFailures: 2,
      lastError: { at: new Date(T0 + 1000), message: 'Error: connect ECONNREFUSED 127.0.0.1:4566' },
    });
    expect(consumerHealth(queue, failing, {}, T0 + 1000)).toMatchObject({
      status: 'down',
      reason: 'ReceiveMessage failed 2 time(s) in a row',
      consecutiveFailures: 2,
      lastError: {
        at: new Date(T0 + 1000),
        message: 'Error: connect ECONNREFUSED 127.0.0.1:4566',
      },
    });
  });

  it('is down when the last successful receive is older than waitTimeSeconds + 10 s', () => {
    const stalled = consumer();
    expect(consumerHealth(queue, stalled, {}, T0 + 30_000).status).toBe('up');
    expect(consumerHealth(queue, stalled, {}, T0 + 30_001)).toMatchObject({
      status: 'down',
      reason: 'no successful ReceiveMessage for 30001 ms (limit 30000 ms)',
    });
  });

  it('takes the staleness limit from the options', () => {
    const options = { staleAfterMs: 2_000 };
    expect(consumerHealth(queue, consumer(), options, T0 + 2_001)).toMatchObject({
      status: 'down',
      staleAfterMs: 2_000,
    });
  });

  it('does not count a consumer at its concurrency limit as stale: it is not polling', () => {
    const busy = consumer({ inFlight: 10 });
    expect(consumerHealth(queue, busy, {}, T0 + 60_000).status).toBe('up');
    // A slot frees up and the next long poll is under way: the limit counts from then.
    busy.current = { ...busy.current, inFlight: 9 };
    expect(consumerHealth(queue, busy, {}, T0 + 61_000).status).toBe('up');
    expect(consumerHealth(queue, busy, {}, T0 + 90_001).status).toBe('down');
  });

  it('counts a consumer with room in its prefetch as polling, so it may be stale', () => {
    const prefetching = { ...queue, options: { ...queue.options, prefetch: 10 } };
    const busy = consumer({ inFlight: 15 });
    expect(consumerHealth(prefetching, busy, {}, T0 + 30_001).status).toBe('down');
    busy.current = { ...busy.current, inFlight: 20 };
    expect(consumerHealth(prefetching, busy, {}, T0 + 60_000).status).toBe('up');
  });

  it('gives a consumer that has not received yet the limit from when it was first seen', () => {
    const starting = consumer({ lastReceiveAt: undefined });
    expect(consumerHealth(queue, starting, {}, T0).status).toBe('up');
    expect(consumerHealth(queue, starting, {}, T0 + 30_000).status).toBe('up');
    expect(consumerHealth(queue, starting, {}, T0 + 30_001).status).toBe('down');
  });

  it('is down when a consumed queue has no consumer (not started, or stopped)', () => {
    expect(consumerHealth(queue, undefined, {}, T0)).toEqual({
      queue: 'orders',
      status: 'down',
      reason: 'not consuming: the transport is not started, or stopped',
      running: false,
      inFlight: 0,
      consecutiveFailures: 0,
      staleAfterMs: 30_000,
    });
  });
});

describe('publisherHealth', () => {
  it('is up before any publish', () => {
    expect(publisherHealth(noPublish)).toEqual({ status: 'up' });
  });

  it('is down when the last publish failed and none succeeded since', () => {
    const lastError = { at: new Date(T0 + 1), message: 'PublishBatch failed' };
    expect(publisherHealth({ lastSuccessAt: undefined, lastError })).toEqual({
      status: 'down',
      lastError,
    });
    expect(publisherHealth({ lastSuccessAt: new Date(T0), lastError })).toMatchObject({
      status: 'down',
    });
  });

  it('is up again once a publish succeeded after the failure', () => {
    const lastError = { at: new Date(T0), message: 'PublishBatch failed' };
    expect(publisherHealth({ lastSuccessAt: new Date(T0 + 1), lastError })).toEqual({
      status: 'up',
      lastSuccessAt: new Date(T0 + 1),
      lastError,
    });
  });
});

describe('sqsTransportHealth', () => {
  it('is up when every consumer and the publisher are, transport details first', () => {
    const health = sqsTransportHealth({
      queues: [queue],
      consumers: [consumer()],
      publisher: { lastSuccessAt: new Date(T0), lastError: undefined },
      details: { eventBus: 'orders-bus' },
      now: T0 + 1000,
    });
    expect(health.status).toBe('up');
    expect(Object.keys(health.details!)).toEqual(['eventBus', 'consumers', 'publisher']);
    expect(health.details).toMatchObject({
      consumers: [{ queue: 'orders', status: 'up' }],
      publisher: { status: 'up', lastSuccessAt: new Date(T0) },
    });
  });

  it('is down when one of several consumers is', () => {
    const billing: QueueHealthInput = { ...queue, name: 'billing' };
    const health = sqsTransportHealth({
      queues: [queue, billing],
      consumers: [consumer(), consumer({ queue: 'billing', running: false })],
      publisher: noPublish,
      now: T0,
    });
    expect(health).toMatchObject({
      status: 'down',
      details: {
        consumers: [
          { queue: 'orders', status: 'up' },
          { queue: 'billing', status: 'down' },
        ],
      },
    });
  });

  it('is down when the publisher is, even with healthy consumers', () => {
    const health = sqsTransportHealth({
      queues: [queue],
      consumers: [consumer()],
      publisher: { lastSuccessAt: undefined, lastError: { at: new Date(T0), message: 'x' } },
      now: T0,
    });
    expect(health.status).toBe('down');
  });

  it('is up with no consumed queue and no publish yet', () => {
    expect(sqsTransportHealth({ queues: [], consumers: [], publisher: noPublish })).toEqual({
      status: 'up',
      details: { consumers: [], publisher: { status: 'up' } },
    });
  });

  it('passes the staleness option to every consumer', () => {
    const health = sqsTransportHealth({
      queues: [queue],
      consumers: [consumer()],
      publisher: noPublish,
      options: { staleAfterMs: 500 },
      now: T0 + 501,
    });
    expect(health.details).toMatchObject({ consumers: [{ status: 'down', staleAfterMs: 500 }] });
  });

  it('redacts the error messages it reports', () => {
    const health = sqsTransportHealth({
      queues: [queue],
      consumers: [
        consumer({
          consecutiveFailures: 1,
          lastError: { at: new Date(T0), message: 'GET http://key:secret@sqs.local/ failed' },
        }),
      ],
      publisher: {
        lastSuccessAt: undefined,
        lastError: { at: new Date(T0), message: 'denied for AKIAABCDEFGHIJKLMNOP' },
      },
      now: T0,
    });
    expect(JSON.stringify(health)).not.toMatch(/secret|AKIAABCDEFGHIJKLMNOP/);
  });
});

describe('redact', () => {
  it('masks credentials in URLs, access key ids and signing parameters', () => {
    expect(redact('http://user:pa55@host:4566/q')).toBe('http://***@host:4566/q');
    expect(redact('key ASIAABCDEFGHIJKLMNOP is expired')).toBe('key ASIA*** is expired');
    expect(
      redact('https://q?X-Amz-Credential=AK%2F2030&X-Amz-Signature=abc123&Action=Receive'),
    ).toBe('https://q?X-Amz-Credential=***&X-Amz-Signature=***&Action=Receive');
    expect(redact('X-Amz-Security-Token=FwoGZXIvYXdzE, then')).toBe(
      'X-Amz-Security-Token=***, then',
    );
  });

  it('leaves ordinary messages alone and shortens long ones', () => {
    expect(redact('ECONNREFUSED 127.0.0.1:4566')).toBe('ECONNREFUSED 127.0.0.1:4566');
    expect(redact('x'.repeat(600))).toBe(`${'x'.repeat(500)}…`);
  });
});

import type * as EventBridge from '@aws-sdk/client-eventbridge';
import {
  OversizeEventError,
  PublishError,
  RetryPolicy,
  type EventEnvelope,
} from '@nestjs-events/core';
import { EventBridgePublisher, isRetryableEntryError } from './eventbridge.publisher';
import { entrySize, MAX_REQUEST_BYTES, toPutEventsEntry } from '../envelope/eventbridge.envelope';
import { ReservedEventSourceError } from './reserved-source.error';

type Result = { ErrorCode?: string; ErrorMessage?: string } | undefined;

/** A client that answers PutEvents with `answer(call, detailTypes)` and records each call. */
function fakeClient(answer: (call: number, types: string[]) => Result[]) {
  const calls: string[][] = [];
  const client = {
    send: (command: EventBridge.PutEventsCommand) => {
      const types = command.input.Entries!.map((e) => e.DetailType!);
      const results = answer(calls.length, types);
      calls.push(types);
      const entries = types.map((_, i) => results[i] ?? { EventId: `e-${i}` });
      return Promise.resolve({
        FailedEntryCount: entries.filter((e) => 'ErrorCode' in e && e.ErrorCode).length,
        Entries: entries,
      });
    },
  } as unknown as EventBridge.EventBridgeClient;
  return { client, calls };
}

function event(type: string, data: unknown = {}, source = 'test'): EventEnvelope {
  return {
    id: `id-${type}`,
    type,
    version: 1,
    source,
    occurredAt: new Date().toISOString(),
    data,
    metadata: { correlationId: `id-${type}` },
  };
}

const retry = new RetryPolicy({ maxAttempts: 3, baseDelayMs: 0, maxDelayMs: 0 });

describe('EventBridgePublisher', () => {
  it('sends at most 10 entries per call', async () => {
    const { client, calls } = fakeClient(() => []);
    const publisher = new EventBridgePublisher(client, 'bus', retry);
    await publisher.publish(Array.from({ length: 23 }, (_, i) => event(`t.e${i}`)));
    expect(calls.map((c) => c.length)).toEqual([10, 10, 3]);
    expect(calls).toHaveLength(3);
  });

  it('fills a request up to exactly 256 KiB of entries, as EventBridge counts them', async () => {
    /** Two events whose entries add up to `total` bytes. */
    const pair = (total: number) => {
      const base = entrySize(toPutEventsEntry(event('t.pad', { pad: '' }), 'bus'));
      const first = Math.floor(total / 2);
      return [first, total - first].map((size, i) => ({
        ...event('t.pad', { pad: 'x'.repeat(size - base) }),
        id: `id-pad-${i}`,
      }));
    };
    const { client, calls } = fakeClient(() => []);
    const publisher = new EventBridgePublisher(client, 'bus', retry);
    await publisher.publish(pair(MAX_REQUEST_BYTES));
    expect(calls.map((c) => c.length)).toEqual([2]);
    await publisher.publish(pair(MAX_REQUEST_BYTES + 1));
    expect(calls.map((c) => c.length)).toEqual([2, 1, 1]);
  });

  it('retries only the entries reported with a retryable error code', async () => {
    const { client, calls } = fakeClient((call) =>
      call === 0
        ? [
            undefined,
            { ErrorCode: 'ThrottlingException' },
            undefined,
            { ErrorCode: 'InternalFailure' },
          ]
        : [],
    );
    const publisher = new EventBridgePublisher(client, 'bus', retry);
    await publisher.publish(['t.a', 't.b', 't.c', 't.d'].map((type) => event(type)));
    expect(calls).toEqual([
      ['t.a', 't.b', 't.c', 't.d'],
      ['t.b', 't.d'],
    ]);
    expect(publisher.lastSuccessAt).toBeInstanceOf(Date);
  });

  it('fails entries with a non-retryable error code at once, and still retries the others', async () => {
    const { client, calls } = fakeClient((call, types) =>
      types.map((type) =>
        type === 't.bad'
          ? { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' }
          : call === 0 && type === 't.slow'
            ? { ErrorCode: 'InternalException' }
            : undefined,
      ),
    );
    const publisher = new EventBridgePublisher(client, 'bus', retry);
    const attempt = publisher.publish(['t.ok', 't.bad', 't.slow'].map((type) => event(type)));
    await expect(attempt).rejects.toThrow(PublishError);
    await expect(attempt).rejects.toMatchObject({
      failedEventIds: ['id-t.bad'],
      message: expect.stringContaining('MalformedDetail: Detail is malformed.'),
    });
    expect(calls).toEqual([['t.ok', 't.bad', 't.slow'], ['t.slow']]);
    expect(publisher.lastError?.message).toBe('MalformedDetail: Detail is malformed.');
  });

  it('gives up after maxAttempts and lists the ids that still failed', async () => {
    const { client, calls } = fakeClient((_call, types) =>
      types.map((type) => (type === 't.b' ? { ErrorCode: 'ThrottlingException' } : undefined)),
    );
    const publisher = new EventBridgePublisher(client, 'bus', retry);
    await expect(
      publisher.publish(['t.a', 't.b'].map((type) => event(type))),
    ).rejects.toMatchObject({ name: 'PublishError', failedEventIds: ['id-t.b'] });
    expect(calls).toEqual([['t.a', 't.b'], ['t.b'], ['t.b']]);
  });

  it('refuses an oversize event or a reserved source before sending anything', async () => {
    const { client, calls } = fakeClient(() => []);
    const publisher = new EventBridgePublisher(client, 'bus', retry);
    await expect(
      publisher.publish([event('t.a'), event('t.big', { blob: 'x'.repeat(262_144) })]),
    ).rejects.toThrow(OversizeEventError);
    await expect(publisher.publish([event('t.a'), event('t.b', {}, 'aws.orders')])).rejects.toThrow(
      ReservedEventSourceError,
    );
    expect(calls).toEqual([]);
  });

  describe('publishes issued together', () => {
    it('go out in shared calls: 25 concurrent publishes of one event make 3 PutEvents', async () => {
      const { client, calls } = fakeClient(() => []);
      const publisher = new EventBridgePublisher(client, 'bus', retry);
      await Promise.all(
        Array.from({ length: 25 }, (_, i) => publisher.publish([event(`t.e${i}`)])),
      );
      expect(calls.map((c) => c.length)).toEqual([10, 10, 5]);
    });

    it('fail only the caller whose event is refused, before anything is sent', async () => {
      const { client, calls } = fakeClient(() => []);
      const publisher = new EventBridgePublisher(client, 'bus', retry);
      const [good, oversize] = await Promise.allSettled([
        publisher.publish([event('t.a')]),
        publisher.publish([event('t.big', { blob: 'x'.repeat(262_144) })]),
      ]);
      expect(good.status).toBe('fulfilled');
      expect(oversize).toMatchObject({
        status: 'rejected',
        reason: expect.any(OversizeEventError),
      });
      expect(calls).toEqual([['t.a']]);
    });

    it('reject each caller with its own failed events only', async () => {
      // t.bad fails for good in the shared call; the others go through.
      const { client, calls } = fakeClient((_call, types) =>
        types.map((type) => (type === 't.bad' ? { ErrorCode: 'InvalidArgument' } : undefined)),
      );
      const publisher = new EventBridgePublisher(client, 'bus', retry);
      const results = await Promise.allSettled([
        publisher.publish([event('t.a')]),
        publisher.publish([event('t.bad'), event('t.b')]),
      ]);
      expect(calls).toHaveLength(1);
      expect(results[0].status).toBe('fulfilled');
      expect(results[1]).toMatchObject({
        status: 'rejected',
        reason: expect.objectContaining({ failedEventIds: ['id-t.bad'] }),
      });
      expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(PublishError);
    });
  });

  it('classifies the documented entry error codes', () => {
    for (const code of ['InternalFailure', 'InternalException', 'ThrottlingException']) {
      expect(isRetryableEntryError(code)).toBe(true);
    }
    for (const code of [
      'InvalidArgument',
      'MalformedDetail',
      'AccessDeniedException',
      'NotAuthorizedForSourceException',
      'ValidationException',
    ]) {
      expect(isRetryableEntryError(code)).toBe(false);
    }
  });
});

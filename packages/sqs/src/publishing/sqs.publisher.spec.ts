import {
  EventsConfigurationError,
  OversizeEventError,
  PublishError,
  RetryPolicy,
  type EventEnvelope,
} from '@nestjs-events/core';
import { eventAttributes } from '../codec/message-attributes';
import { deferred, envelope, flushPromises, stubSqs, type Answer } from '../sqs.spec-helpers';
import type { SqsPublishTargets } from '../sqs-transport-options.interface';
import { SqsPublisher } from './sqs.publisher';

const urlOf = (queue: string) => `https://sqs.test/1/${queue}`;

/** Answers GetQueueUrl for every queue, and accepts every batch entry. */
const working: Record<string, Answer> = {
  GetQueueUrlCommand: (input) => ({ QueueUrl: urlOf(input.QueueName as string) }),
  SendMessageBatchCommand: () => ({ Successful: [] }),
};

function publisherOf(
  targets: SqsPublishTargets | undefined,
  { fifo = false, answers = {} as Record<string, Answer> } = {},
) {
  const sqs = stubSqs({ ...working, ...answers });
  // Retries without waiting, up to three attempts.
  const retry = new RetryPolicy({ maxAttempts: 3, baseDelayMs: 0, maxDelayMs: 0 });
  const publisher = new SqsPublisher(sqs.client, 'sqs-main', targets, fifo, retry);
  const batches = () => sqs.inputsOf('SendMessageBatchCommand');
  /** [queue URL, event ids] of each SendMessageBatch. */
  const sent = () =>
    batches().map((input) => [
      input.QueueUrl as string,
      (input.Entries as Array<{ MessageBody: string }>).map(
        (entry) => (JSON.parse(entry.MessageBody) as EventEnvelope).id,
      ),
    ]);
  return { publisher, sqs, batches, sent };
}

/** `count` events of `type`, with ids `<prefix>0`, `<prefix>1`, … */
function events(
  count: number,
  overrides: Partial<EventEnvelope> = {},
  prefix = 'e',
): EventEnvelope[] {
  return Array.from({ length: count }, (_, i) => envelope({ ...overrides, id: `${prefix}${i}` }));
}

const ids = (list: readonly EventEnvelope[]) => list.map((e) => e.id);

describe('SqsPublisher', () => {
  it('sends every event to the one queue, with its attributes', async () => {
    const { publisher, batches } = publisherOf('orders');
    const [event] = events(1, { aggregateId: 'order-1' });

    await publisher.publish([event]);

    expect(batches()).toEqual([
      {
        QueueUrl: urlOf('orders'),
        Entries: [
          {
            Id: '0',
            MessageBody: JSON.stringify(event),
            MessageAttributes: eventAttributes(event),
          },
        ],
      },
    ]);
    expect(publisher.lastSuccessAt).toBeInstanceOf(Date);
  });

  it('routes by exact type before wildcards', async () => {
    const { publisher, sent } = publisherOf({
      'order.*': 'orders',
      'order.created': 'created',
      'billing.**': 'billing',
    });

    await publisher.publish([
      envelope({ id: 'c', type: 'order.created' }),
      envelope({ id: 's', type: 'order.shipped' }),
      envelope({ id: 'p', type: 'billing.invoice.paid' }),
      envelope({ id: 'c2', type: 'order.created' }),
    ]);

    expect(sent()).toEqual(
      expect.arrayContaining([
        [urlOf('created'), ['c', 'c2']],
        [urlOf('orders'), ['s']],
        [urlOf('billing'), ['p']],
      ]),
    );
    expect(sent()).toHaveLength(3);
  });

  it('refuses a type with no queue, naming the transport, before sending anything', async () => {
    const { publisher, sqs } = publisherOf({ 'order.*': 'orders' });

    const publishing = publisher.publish([
      ...events(1),
      envelope({ id: 'u', type: 'user.created' }),
    ]);

    await expect(publishing).rejects.toThrow(EventsConfigurationError);
    await expect(publishing).rejects.toThrow(
      'Transport "sqs-main" has no queue to publish "user.created" to',
    );
    await expect(publisherOf(undefined).publisher.publish(events(1))).rejects.toThrow(
      'Transport "sqs-main" has no queue to publish "order.created" to',
    );
    expect(sqs.calls).toEqual([]);
  });

  it.each([
    ['10 entries', events(23), [10, 10, 3]],
    // About 300 KB each: three fit in 1 MiB, four do not.
    ['1 MiB', events(7, { data: { blob: 'x'.repeat(300_000) } }), [1, 3, 3]],
  ])('sends batches of at most %s', async (_, outgoing, sizes) => {
    const { publisher, batches } = publisherOf('orders');

    await publisher.publish(outgoing);

    expect(
      batches()
        .map((input) => (input.Entries as unknown[]).length)
        .sort(),
    ).toEqual(sizes);
  });

  it('gives FIFO entries a group (aggregateId, else type) and the event id as deduplication id', async () => {
    const { publisher, batches } = publisherOf('orders.fifo', { fifo: true });

    await publisher.publish([
      envelope({ id: 'a', aggregateId: 'order-1' }),
      envelope({ id: 'b', type: 'order.created' }),
    ]);

    expect(
      (batches()[0].Entries as Array<Record<string, unknown>>).map((e) => [
        e.MessageGroupId,
        e.MessageDeduplicationId,
      ]),
    ).toEqual([
      ['order-1', 'a'],
      ['order.created', 'b'],
    ]);
  });

  it('sends the batches of a FIFO queue one after another', async () => {
    const first = deferred<object>();
    let calls = 0;
    const { publisher, batches } = publisherOf('orders.fifo', {
      fifo: true,
      answers: { SendMessageBatchCommand: () => (++calls === 1 ? first.promise : {}) },
    });

    const publishing = publisher.publish(events(12));
    await flushPromises();
    expect(batches()).toHaveLength(1);

    first.resolve({});
    await publishing;
    expect(batches()).toHaveLength(2);
  });

  it('retries only the entries that failed, and not those with a SenderFault', async () => {
    let calls = 0;
    const { publisher, sent } = publisherOf('orders', {
      answers: {
        SendMessageBatchCommand: () =>
          ++calls > 1
            ? {}
            : {
                Failed: [
                  { Id: '1', SenderFault: false, Code: 'InternalError', Message: 'try again' },
                  { Id: '2', SenderFault: true, Code: 'InvalidParameterValue', Message: 'bad' },
                ],
              },
      },
    });

    const publishing = publisher.publish(events(3));

    await expect(publishing).rejects.toThrow(PublishError);
    await expect(publishing).rejects.toMatchObject({
      failedEventIds: ['e2'],
      message: expect.stringContaining('InvalidParameterValue: bad'),
    });
    expect(sent()).toEqual([
      [urlOf('orders'), ['e0', 'e1', 'e2']],
      [urlOf('orders'), ['e1']],
    ]);
  });

  it('refuses an oversize event with OversizeEventError before sending anything', async () => {
    const { publisher, sqs } = publisherOf('orders');
    const huge = envelope({ id: 'huge', data: { blob: 'x'.repeat(1_048_576) } });

    await expect(publisher.publish([...events(1), huge])).rejects.toThrow(OversizeEventError);
    await expect(publisher.publish([huge])).rejects.toMatchObject({
      eventId: 'huge',
      limit: 1_048_576,
    });
    expect(sqs.calls).toEqual([]);
  });

  it('caches queue URLs, but not a failed lookup', async () => {
    let lookups = 0;
    const { publisher, sqs } = publisherOf('orders', {
      answers: {
        GetQueueUrlCommand: (input) => {
          if (++lookups === 1) throw new Error('throttled');
          return { QueueUrl: urlOf(input.QueueName as string) };
        },
      },
    });

    await expect(publisher.publish(events(1))).rejects.toThrow(PublishError);
    expect(publisher.lastError?.message).toContain('throttled');
    await publisher.publish(events(1));
    await publisher.publish(events(1));

    expect(sqs.inputsOf('GetQueueUrlCommand')).toHaveLength(2);
    expect(sqs.inputsOf('SendMessageBatchCommand')).toHaveLength(2);
  });

  it('sends nothing when the URL of one of the queues cannot be looked up', async () => {
    const { publisher, sqs } = publisherOf(
      { 'order.*': 'orders', 'billing.*': 'missing' },
      {
        answers: {
          GetQueueUrlCommand: (input) => {
            if (input.QueueName === 'missing') {
              throw Object.assign(new Error('no queue'), { name: 'QueueDoesNotExist' });
            }
            return { QueueUrl: urlOf(input.QueueName as string) };
          },
        },
      },
    );
    const order = envelope({ id: 'o' });
    const billing = envelope({ id: 'b', type: 'billing.paid' });

    // Every event it names as not published is indeed not published.
    await expect(publisher.publish([order, billing])).rejects.toMatchObject({
      failedEventIds: ids([order, billing]),
      message: expect.stringContaining('SQS queue "missing" does not exist'),
    });
    await flushPromises();
    expect(sqs.inputsOf('SendMessageBatchCommand')).toEqual([]);
  });
});

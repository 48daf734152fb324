import type * as Sqs from '@aws-sdk/client-sqs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { EventSubscription } from '@nestjs-events/core/transport';
import { DEFAULT_DECODER_OPTIONS } from '../codec/message.decoder';
import {
  controlledSubscription,
  envelope,
  flushPromises,
  longPolls,
  quietNestLogs,
  sqsMessage,
  stubSqs,
  useFakeTime,
} from '../sqs.spec-helpers';
import { QueueReporter } from './queue.reporter';
import { SqsConsumer } from './sqs.consumer';
import {
  checkConsumerOptions,
  DEFAULT_CONSUMER_OPTIONS,
  type SqsConsumerOptions,
} from './sqs-consumer-options.interface';

const QUEUE_URL = 'https://sqs.test/1/orders';
const DLQ_URL = 'https://sqs.test/1/orders-dlq';

/**
 * A consumer of queue `queueName` whose long polls the test answers (`polls.pending`) and whose
 * one handler, Orders.onCreated, runs until the test finishes each event (`handlers`).
 */
function consumerOf(
  options: SqsConsumerOptions = {},
  queueName = 'orders',
  reports = new QueueReporter('sqs', queueName),
) {
  const polls = longPolls();
  const sqs = stubSqs({ ReceiveMessageCommand: polls.answer });
  const handlers = controlledSubscription();
  const subscriptions: EventSubscription[] = [handlers.subscription];
  const consumer = new SqsConsumer({
    client: sqs.client,
    queueName,
    queueUrl: QUEUE_URL,
    deadLetterQueueUrl: DLQ_URL,
    subscriptions,
    options: { ...DEFAULT_CONSUMER_OPTIONS, ...options },
    decoder: DEFAULT_DECODER_OPTIONS,
    reports,
  });
  /** Receipt handles of every message deleted so far. */
  const deleted = (): string[] =>
    sqs
      .inputsOf('DeleteMessageBatchCommand')
      .flatMap((input) => input.Entries as Array<{ ReceiptHandle: string }>)
      .map((entry) => entry.ReceiptHandle);
  /**
   * [receipt handle, visibility timeout] of every visibility change so far, in order: each
   * ChangeMessageVisibility (retries) and each entry of a ChangeMessageVisibilityBatch (heartbeats).
   */
  const visibility = (): Array<[string, number]> =>
    sqs.calls
      .flatMap((call): Array<Record<string, unknown>> => {
        if (call.name === 'ChangeMessageVisibilityCommand') return [call.input];
        if (call.name !== 'ChangeMessageVisibilityBatchCommand') return [];
        return call.input.Entries as Array<Record<string, unknown>>;
      })
      .map((change) => [change.ReceiptHandle as string, change.VisibilityTimeout as number]);
  const receives = () => sqs.inputsOf('ReceiveMessageCommand');
  /** MaxNumberOfMessages of every ReceiveMessage so far. */
  const asked = () => receives().map((input) => input.MaxNumberOfMessages as number);
  /** Starts the consumer and answers its first long poll with `messages`. */
  const startWith = async (messages: Sqs.Message[]): Promise<void> => {
    consumer.start();
    await flushPromises();
    polls.pending[0].respond(messages);
    await flushPromises();
  };
  /** Stops the consumer while handler `id` runs, lets that one finish, and waits for the stop. */
  const stopWhileRunning = async (id: string): Promise<void> => {
    const stopping = consumer.stop(60_000);
    await flushPromises();
    handlers.finish(id);
    await jest.advanceTimersByTimeAsync(100);
    await stopping;
  };
  return {
    consumer,
    sqs,
    polls,
    handlers,
    deleted,
    visibility,
    receives,
    asked,
    startWith,
    stopWhileRunning,
  };
}

/** A message of order.created with event id `id`. */
const message = (id: string, attributes: Record<string, string> = {}) =>
  sqsMessage(envelope({ id }), attributes);

/** A message of order.created in FIFO group `group`. */
const inGroup = (id: string, group: string) => message(id, { MessageGroupId: group });

describe('SqsConsumer', () => {
  let logs: ReturnType<typeof quietNestLogs>;
  beforeEach(() => {
    useFakeTime();
    logs = quietNestLogs();
  });
  afterEach(() => {
    jest.useRealTimers();
    jest.restoreAllMocks();
  });

  describe('slots', () => {
    it('starts ceil(concurrency / batchSize) pollers that together ask for at most the free slots', async () => {
      const { consumer, receives, asked } = consumerOf({ concurrency: 25, batchSize: 10 });

      consumer.start();
      await flushPromises();

      expect(asked()).toEqual([10, 10, 5]);
      expect(receives()[0]).toEqual({
        QueueUrl: QUEUE_URL,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 20,
        VisibilityTimeout: 30,
        MessageSystemAttributeNames: ['ApproximateReceiveCount', 'MessageGroupId'],
        MessageAttributeNames: [
          'event-type',
          'event-version',
          'event-source',
          'aggregate-id',
          'correlation-id',
        ],
      });
      await consumer.stop(1000);
    });

    it('never has more than concurrency messages in flight, and polls again when one frees', async () => {
      const { consumer, polls, handlers, receives } = consumerOf({ concurrency: 3, batchSize: 2 });
      consumer.start();
      await flushPromises();

      polls.pending[0].respond([message('a'), message('b')]);
      polls.pending[1].respond([message('c')]);
      await flushPromises();
      expect(handlers.running()).toEqual(['a', 'b', 'c']);
      expect(consumer.status().inFlight).toBe(3);

      // Every slot is taken: no poll, however long it takes.
      await jest.advanceTimersByTimeAsync(120_000);
      expect(receives()).toHaveLength(2);

      handlers.finish('b');
      await flushPromises();
      expect(receives()).toHaveLength(3);
      expect(receives()[2].MaxNumberOfMessages).toBe(1);

      polls.pending[2].respond([message('d')]);
      await flushPromises();
      expect(handlers.running()).toEqual(['a', 'c', 'd']);
      expect(receives()).toHaveLength(3);

      for (const id of ['a', 'c', 'd']) handlers.finish(id);
      await consumer.stop(1000);
    });
  });

  describe('back-off after failed receives', () => {
    it('grows up to maxPollBackoffMs, resets after a success, and never ends the loop', async () => {
      // The top of each back-off window, so that the delays are known.
      jest.spyOn(Math, 'random').mockReturnValue(0.999999);
      const { consumer, sqs, polls, receives } = consumerOf({
        concurrency: 1,
        batchSize: 1,
        maxPollBackoffMs: 1000,
      });
      let failing = true;
      sqs.answers.ReceiveMessageCommand = (input, call) => {
        if (failing) throw new Error('connect ECONNREFUSED');
        return polls.answer(input, call);
      };
      /** Asserts that the next receive comes `ms` after the last one, not earlier. */
      const nextPollAfter = async (ms: number) => {
        const before = receives().length;
        await jest.advanceTimersByTimeAsync(ms - 1);
        expect(receives()).toHaveLength(before);
        await jest.advanceTimersByTimeAsync(1);
        expect(receives()).toHaveLength(before + 1);
      };

      consumer.start();
      await flushPromises();
      for (const ms of [200, 400, 800, 1000, 1000]) await nextPollAfter(ms);
      expect(consumer.status()).toMatchObject({
        running: true,
        consecutiveFailures: 6,
        lastError: { message: expect.stringContaining('connect ECONNREFUSED') },
      });
      // The first failure is logged, not each one.
      expect(logs.error).toHaveBeenCalledTimes(1);

      failing = false;
      await nextPollAfter(1000);
      polls.pending[0].respond([]);
      await flushPromises();
      expect(consumer.status().consecutiveFailures).toBe(0);
      expect(consumer.status().lastReceiveAt).toBeInstanceOf(Date);

      failing = true;
      polls.pending[1].fail(new Error('throttled'));
      await flushPromises();
      expect(consumer.status().consecutiveFailures).toBe(1);
      await nextPollAfter(200);
      await consumer.stop(1000);
    });

    it('reports each failed receive, and one that never answers as stalled after its wait and margin', async () => {
      jest.spyOn(Math, 'random').mockReturnValue(0.999999);
      const reported: unknown[] = [];
      const monitor = { observed: true, notify: (n: unknown) => reported.push(n) };
      const { consumer, sqs, polls } = consumerOf(
        { concurrency: 1, batchSize: 1, waitTimeSeconds: 2, maxPollBackoffMs: 100 },
        'orders',
        new QueueReporter('sqs', 'orders', monitor),
      );
      let failing = true;
      sqs.answers.ReceiveMessageCommand = (input, call) => {
        if (failing) throw new Error('connect ECONNREFUSED');
        return polls.answer(input, call);
      };

      consumer.start();
      await flushPromises();
      failing = false;
      // The back-off's ceiling (maxPollBackoffMs) is 100 ms.
      await jest.advanceTimersByTimeAsync(100);
      expect(polls.pending).toHaveLength(1);
      // Never answered: abandoned after 2 s of wait plus the 10 s margin.
      await jest.advanceTimersByTimeAsync(11_999);
      expect(reported).toHaveLength(1);
      await jest.advanceTimersByTimeAsync(1);

      expect(reported).toEqual([
        expect.objectContaining({
          kind: 'receive-failed',
          queue: 'orders',
          stalled: false,
          consecutiveFailures: 1,
        }),
        expect.objectContaining({
          kind: 'receive-failed',
          stalled: true,
          consecutiveFailures: 2,
          error: expect.objectContaining({
            message: expect.stringContaining('did not answer within 12000 ms'),
          }),
        }),
      ]);
      await consumer.stop(1000);
    });

    it('stop() during a back-off ends it at once', async () => {
      const { consumer, sqs } = consumerOf({ concurrency: 1, batchSize: 1 });
      sqs.answers.ReceiveMessageCommand = () => {
        throw new Error('down');
      };
      consumer.start();
      await flushPromises();

      await consumer.stop(1000);
      expect(consumer.status().running).toBe(false);
    });
  });

  describe('stop()', () => {
    it('aborts a pending long poll and resolves', async () => {
      const { consumer, polls } = consumerOf({ concurrency: 1, batchSize: 1 });
      consumer.start();
      await flushPromises();
      const [poll] = polls.pending;
      expect(poll.signal?.aborted).toBe(false);

      await consumer.stop(5000);

      expect(poll.signal?.aborted).toBe(true);
      expect(consumer.status()).toMatchObject({ running: false, consecutiveFailures: 0 });
    });

    it('waits for in-flight handlers, then flushes their deletes', async () => {
      const { consumer, startWith, handlers, deleted } = consumerOf({ deleteBatchDelayMs: 60_000 });
      await startWith([message('a')]);

      let stopped = false;
      const stopping = consumer.stop(5000).then(() => (stopped = true));
      await jest.advanceTimersByTimeAsync(1000);
      expect(stopped).toBe(false);

      handlers.finish('a');
      await stopping;
      expect(deleted()).toEqual(['handle-a']);
    });

    it('resolves at the deadline with a handler still running, which is not deleted', async () => {
      const { consumer, startWith, handlers, deleted } = consumerOf({ deleteBatchDelayMs: 60_000 });
      await startWith([message('a'), message('b')]);
      handlers.finish('a');

      let stopped = false;
      void consumer.stop(5000).then(() => (stopped = true));
      await jest.advanceTimersByTimeAsync(4999);
      expect(stopped).toBe(false);
      expect(deleted()).toEqual([]);

      await jest.advanceTimersByTimeAsync(1);
      expect(stopped).toBe(true);
      expect(deleted()).toEqual(['handle-a']);
      expect(handlers.running()).toEqual(['b']);
      expect(logs.warn).toHaveBeenCalledWith(
        expect.stringContaining('Drain deadline of 5000 ms reached with 1 message(s) in flight'),
      );
    });

    it('does not run messages whose receive completes as it stops', async () => {
      const { consumer, polls, handlers, deleted } = consumerOf({ concurrency: 1, batchSize: 1 });
      consumer.start();
      await flushPromises();

      // The response is already in when stop() aborts: too late to cancel the receive.
      polls.pending[0].respond([message('a')]);
      await consumer.stop(5000);
      await flushPromises();

      // It would run after stop() resolved, with nobody waiting for it; SQS delivers it again.
      expect(handlers.started).toEqual([]);
      expect(deleted()).toEqual([]);
    });
  });

  describe('what becomes of a message', () => {
    it('deletes handled messages in batches', async () => {
      const { consumer, startWith, handlers, deleted } = consumerOf({ deleteBatchDelayMs: 10 });
      await startWith([message('a'), message('b')]);

      handlers.finish('a');
      handlers.finish('b', { status: 'skipped' });
      await jest.advanceTimersByTimeAsync(10);

      expect(deleted()).toEqual(['handle-a', 'handle-b']);
      await consumer.stop(1000);
    });

    it('schedules a retry by changing the visibility to the delay, and does not delete', async () => {
      const { consumer, startWith, handlers, deleted, visibility } = consumerOf();
      await startWith([message('a')]);

      handlers.finish('a', { status: 'retry', delayMs: 2500, error: new Error('busy') });
      await jest.advanceTimersByTimeAsync(100);

      expect(visibility()).toEqual([['handle-a', 3]]);
      expect(deleted()).toEqual([]);
      await consumer.stop(1000);
    });

    it('sends what no handler takes to the dead-letter queue, then deletes it', async () => {
      const { consumer, startWith, sqs, handlers, deleted } = consumerOf();
      await startWith([sqsMessage(envelope({ id: 'p', type: 'order.paid' }))]);
      await jest.advanceTimersByTimeAsync(100);

      expect(handlers.started).toEqual([]);
      expect(sqs.inputsOf('SendMessageCommand')).toEqual([
        expect.objectContaining({
          QueueUrl: DLQ_URL,
          MessageAttributes: expect.objectContaining({
            'dead-letter-reason': { DataType: 'String', StringValue: 'unknown-event-type' },
          }),
        }),
      ]);
      expect(deleted()).toEqual(['handle-p']);
      await consumer.stop(1000);
    });

    it('keeps a message whose dead-letter copy could not be sent', async () => {
      const { consumer, startWith, sqs, deleted } = consumerOf();
      sqs.answers.SendMessageCommand = () => {
        throw new Error('Access denied');
      };
      await startWith([{ ...message('x'), Body: 'not json' }]);
      await jest.advanceTimersByTimeAsync(100);

      expect(sqs.inputsOf('SendMessageCommand')).toHaveLength(1);
      expect(deleted()).toEqual([]);
      await consumer.stop(1000);
    });
  });

  describe('prefetch', () => {
    it('receives that many ahead while every slot runs, keeps them invisible, and starts them as slots free', async () => {
      const { consumer, polls, handlers, receives, visibility, asked } = consumerOf({
        concurrency: 2,
        batchSize: 2,
        prefetch: 2,
        // A freed slot is filled at once here; the wait for a whole batch is tested below.
        receiveBatchDelayMs: 0,
      });
      consumer.start();
      await flushPromises();
      expect(asked()).toEqual([2, 2]);

      polls.pending[0].respond([message('a'), message('b')]);
      polls.pending[1].respond([message('c'), message('d')]);
      await flushPromises();
      expect(handlers.running()).toEqual(['a', 'b']);
      expect(consumer.status().inFlight).toBe(4);

      // Half the visibility timeout: the running and the waiting messages alike are extended.
      await jest.advanceTimersByTimeAsync(15_000);
      expect(receives()).toHaveLength(2);
      expect(
        visibility()
          .map(([handle]) => handle)
          .sort(),
      ).toEqual(['handle-a', 'handle-b', 'handle-c', 'handle-d']);

      handlers.finish('a');
      await flushPromises();
      expect(handlers.running()).toEqual(['b', 'c']);
      expect(receives()).toHaveLength(3);
      expect(receives()[2].MaxNumberOfMessages).toBe(1);

      polls.pending[2].respond([message('e')]);
      await flushPromises();
      handlers.finish('b');
      await flushPromises();
      expect(handlers.running()).toEqual(['c', 'd']);
      for (const id of ['c', 'd']) handlers.finish(id);
      await flushPromises();
      expect(handlers.started).toEqual(['a', 'b', 'c', 'd', 'e']);
      handlers.finish('e');
      await consumer.stop(1000);
    });

    it('keeps the heartbeat of a prefetched message from its receipt, not from when it starts', async () => {
      const { consumer, polls, handlers, visibility } = consumerOf({
        concurrency: 1,
        batchSize: 2,
        prefetch: 1,
      });
      consumer.start();
      await flushPromises();
      polls.pending[0].respond([message('a'), message('b')]);
      await flushPromises();
      await jest.advanceTimersByTimeAsync(15_000);
      expect(visibility()).toEqual([
        ['handle-a', 30],
        ['handle-b', 30],
      ]);

      // b starts just before its next extension is due: that extension is not pushed back.
      await jest.advanceTimersByTimeAsync(14_900);
      handlers.finish('a');
      await flushPromises();
      expect(handlers.running()).toEqual(['b']);
      await jest.advanceTimersByTimeAsync(200);
      expect(visibility().filter(([handle]) => handle === 'handle-b')).toHaveLength(2);
      handlers.finish('b');
      await consumer.stop(1000);
    });

    it('gives up at stop the messages that have not started, without deleting or extending them', async () => {
      const { consumer, polls, handlers, deleted, visibility, stopWhileRunning } = consumerOf({
        concurrency: 1,
        batchSize: 2,
        prefetch: 2,
      });
      consumer.start();
      await flushPromises();
      polls.pending[0].respond([message('a'), message('b')]);
      polls.pending[1].respond([message('c')]);
      await flushPromises();
      expect(handlers.running()).toEqual(['a']);

      await stopWhileRunning('a');

      expect(handlers.started).toEqual(['a']);
      expect(deleted()).toEqual(['handle-a']);
      const extended = visibility().length;
      await jest.advanceTimersByTimeAsync(60_000);
      expect(visibility()).toHaveLength(extended);
    });

    it('holds back the rest of a FIFO group behind a message given up at stop', async () => {
      const { consumer, polls, handlers, visibility, deleted, stopWhileRunning } = consumerOf(
        { concurrency: 1, batchSize: 3, prefetch: 2 },
        'orders.fifo',
      );
      consumer.start();
      await flushPromises();
      polls.pending[0].respond([inGroup('b1', 'B'), inGroup('a1', 'A'), inGroup('a2', 'A')]);
      await flushPromises();
      expect(handlers.running()).toEqual(['b1']);

      await stopWhileRunning('b1');

      expect(handlers.started).toEqual(['b1']);
      expect(deleted()).toEqual(['handle-b1']);
      // a1 is left to its visibility timeout; a2 behind it is made visible, not run out of order.
      expect(visibility()).toEqual([['handle-a2', 0]]);
    });

    it('waits up to receiveBatchDelayMs for room for a whole batch while prefetched messages wait', async () => {
      const { consumer, polls, handlers, asked } = consumerOf({
        concurrency: 1,
        batchSize: 2,
        prefetch: 3,
        receiveBatchDelayMs: 25,
      });
      consumer.start();
      await flushPromises();
      polls.pending[0].respond([message('a'), message('b')]);
      polls.pending[1].respond([message('c'), message('d')]);
      await flushPromises();
      expect(handlers.running()).toEqual(['a']);

      // Room for one, and b, c, d waiting for the slot: no receive for one message.
      handlers.finish('a');
      await flushPromises();
      await jest.advanceTimersByTimeAsync(24);
      expect(asked()).toEqual([2, 2]);

      // Room for a whole batch before the delay is over: a receive for it at once.
      handlers.finish('b');
      await flushPromises();
      expect(asked()).toEqual([2, 2, 2]);
      polls.pending[2].respond([message('e'), message('f')]);
      await flushPromises();

      // The wait is bounded: after 25 ms it receives for the room there is.
      handlers.finish('c');
      await flushPromises();
      await jest.advanceTimersByTimeAsync(24);
      expect(asked()).toEqual([2, 2, 2]);
      await jest.advanceTimersByTimeAsync(1);
      expect(asked()).toEqual([2, 2, 2, 1]);

      polls.pending[3].respond([]);
      for (const id of ['d', 'e', 'f']) {
        handlers.finish(id);
        await flushPromises();
      }
      await consumer.stop(1000);
      expect(handlers.started).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    });

    it('waits up to receiveBatchDelayMs for room for a batch while two batches are handled', async () => {
      const { consumer, polls, handlers, asked } = consumerOf({
        concurrency: 6,
        batchSize: 2,
        receiveBatchDelayMs: 25,
      });
      consumer.start();
      await flushPromises();
      polls.pending[0].respond([message('a'), message('b')]);
      polls.pending[1].respond([message('c'), message('d')]);
      polls.pending[2].respond([message('e'), message('f')]);
      await flushPromises();
      expect(handlers.running()).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);

      // Room for one while five run: no receive for one message yet.
      handlers.finish('a');
      await flushPromises();
      await jest.advanceTimersByTimeAsync(24);
      expect(asked()).toEqual([2, 2, 2]);

      // Room for a batch before the delay is over: a receive for it at once.
      handlers.finish('b');
      await flushPromises();
      expect(asked()).toEqual([2, 2, 2, 2]);
      polls.pending[3].respond([message('g'), message('h')]);
      await flushPromises();

      // The wait is bounded: after 25 ms it receives for the room there is.
      handlers.finish('c');
      await flushPromises();
      await jest.advanceTimersByTimeAsync(24);
      expect(asked()).toEqual([2, 2, 2, 2]);
      await jest.advanceTimersByTimeAsync(1);
      expect(asked()).toEqual([2, 2, 2, 2, 1]);

      polls.pending[4].respond([]);
      for (const id of ['d', 'e', 'f', 'g', 'h']) handlers.finish(id);
      await consumer.stop(1000);
      expect(handlers.started).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']);
    });

    it('asks for a freed slot at once while fewer than two batches are handled', async () => {
      const { consumer, polls, handlers, asked } = consumerOf({
        concurrency: 4,
        batchSize: 2,
        receiveBatchDelayMs: 1000,
      });
      consumer.start();
      await flushPromises();
      polls.pending[0].respond([message('a'), message('b')]);
      polls.pending[1].respond([message('c'), message('d')]);
      await flushPromises();
      handlers.finish('a');
      await flushPromises();
      expect(asked()).toEqual([2, 2, 1]);

      polls.pending[2].respond([]);
      for (const id of ['b', 'c', 'd']) handlers.finish(id);
      await consumer.stop(1000);
    });

    it('with an empty prefetch, still waits for room for a batch while two batches are handled', async () => {
      const { consumer, polls, handlers, asked } = consumerOf({
        concurrency: 4,
        batchSize: 2,
        prefetch: 1,
        receiveBatchDelayMs: 1000,
      });
      consumer.start();
      await flushPromises();
      expect(asked()).toEqual([2, 2, 1]);
      polls.pending[0].respond([message('a'), message('b')]);
      polls.pending[1].respond([message('c'), message('d')]);
      polls.pending[2].respond([]);
      await flushPromises();
      expect(handlers.running()).toEqual(['a', 'b', 'c', 'd']);
      // Room for one in the prefetch, nothing prefetched, but four handled: room for a batch
      // comes soon, so it waits for that (here, for the delay).
      await jest.advanceTimersByTimeAsync(999);
      expect(asked()).toEqual([2, 2, 1]);
      await jest.advanceTimersByTimeAsync(1);
      expect(asked()).toEqual([2, 2, 1, 1]);

      polls.pending[3].respond([]);
      for (const id of ['a', 'b', 'c', 'd']) handlers.finish(id);
      await consumer.stop(1000);
    });

    it('refills an empty prefetch at once, though for less than a batch', async () => {
      const { consumer, polls, handlers, asked } = consumerOf({
        concurrency: 3,
        batchSize: 3,
        prefetch: 1,
        receiveBatchDelayMs: 1000,
      });
      consumer.start();
      await flushPromises();
      polls.pending[0].respond([message('a'), message('b'), message('c')]);
      await flushPromises();
      expect(handlers.running()).toEqual(['a', 'b', 'c']);
      // Every slot busy (fewer than two batches), room for one in the prefetch, nothing
      // prefetched: it is asked for at once, not after the delay.
      expect(asked()).toEqual([3, 1]);

      for (const id of ['a', 'b', 'c']) handlers.finish(id);
      await consumer.stop(1000);
    });

    it('ends the wait for a whole batch at stop()', async () => {
      const { consumer, polls, handlers, receives } = consumerOf({
        concurrency: 1,
        batchSize: 2,
        prefetch: 2,
        receiveBatchDelayMs: 20_000,
      });
      consumer.start();
      await flushPromises();
      polls.pending[0].respond([message('a'), message('b')]);
      polls.pending[1].respond([]);
      await flushPromises();
      // a runs, b waits for the slot, room for one: the pollers wait for room for a batch.
      expect(handlers.running()).toEqual(['a']);
      expect(receives()).toHaveLength(2);

      let stopped = false;
      const stopping = consumer.stop(100).then(() => (stopped = true));
      // The drain deadline passes with a still running: the stop ends there, not 20 s later.
      await jest.advanceTimersByTimeAsync(200);
      expect(stopped).toBe(true);
      expect(receives()).toHaveLength(2);
      handlers.finish('a');
      await stopping;
    });

    it('is refused unless a whole number of messages', () => {
      for (const prefetch of [-1, 1.5, Number.NaN]) {
        expect(() =>
          checkConsumerOptions('orders', { ...DEFAULT_CONSUMER_OPTIONS, prefetch }),
        ).toThrow(`SQS queue "orders": prefetch must be an integer >= 0 (got ${prefetch}).`);
      }
    });

    it('refuses a receiveBatchDelayMs below 0, beyond 20 s or not a number', () => {
      for (const receiveBatchDelayMs of [-1, 20_001, Number.NaN]) {
        expect(() =>
          checkConsumerOptions('orders', { ...DEFAULT_CONSUMER_OPTIONS, receiveBatchDelayMs }),
        ).toThrow(
          `SQS queue "orders": receiveBatchDelayMs must be 0 to 20000 (got ${receiveBatchDelayMs}); ` +
            '0 receives for each freed slot at once.',
        );
      }
      for (const receiveBatchDelayMs of [0, 2.5, 20_000]) {
        expect(() =>
          checkConsumerOptions('orders', { ...DEFAULT_CONSUMER_OPTIONS, receiveBatchDelayMs }),
        ).not.toThrow();
      }
    });
  });

  describe('FIFO groups', () => {
    it('runs the messages of one group one after another, in order, other groups alongside', async () => {
      const { consumer, startWith, handlers } = consumerOf({}, 'orders.fifo');
      await startWith([
        inGroup('a1', 'A'),
        inGroup('a2', 'A'),
        inGroup('b1', 'B'),
        inGroup('a3', 'A'),
      ]);
      expect(handlers.running()).toEqual(['a1', 'b1']);

      handlers.finish('a1');
      await flushPromises();
      expect(handlers.running()).toEqual(['b1', 'a2']);

      handlers.finish('a2');
      await flushPromises();
      handlers.finish('a3');
      handlers.finish('b1');
      expect(handlers.started).toEqual(['a1', 'b1', 'a2', 'a3']);
      await consumer.stop(1000);
    });

    it('keeps a message invisible while it waits behind its group', async () => {
      const { consumer, startWith, handlers, visibility } = consumerOf({}, 'orders.fifo');
      await startWith([inGroup('a1', 'A'), inGroup('a2', 'A')]);
      expect(handlers.running()).toEqual(['a1']);

      await jest.advanceTimersByTimeAsync(15_000);
      expect(visibility()).toEqual([
        ['handle-a1', 30],
        ['handle-a2', 30],
      ]);
      handlers.finish('a1');
      await flushPromises();
      handlers.finish('a2');
      await consumer.stop(1000);
    });

    it('once one is to be retried, does not run the rest of its group but changes their visibility', async () => {
      const { consumer, startWith, handlers, visibility, deleted } = consumerOf({}, 'orders.fifo');
      await startWith([
        inGroup('a1', 'A'),
        inGroup('a2', 'A'),
        inGroup('b1', 'B'),
        inGroup('a3', 'A'),
        inGroup('b2', 'B'),
      ]);

      handlers.finish('a1', { status: 'retry', delayMs: 5000, error: new Error('busy') });
      await flushPromises();
      expect(visibility()).toEqual([
        ['handle-a1', 5],
        ['handle-a2', 0],
        ['handle-a3', 0],
      ]);

      handlers.finish('b1');
      await flushPromises();
      handlers.finish('b2');
      await jest.advanceTimersByTimeAsync(100);
      expect(handlers.started).toEqual(['a1', 'b1', 'b2']);
      expect(deleted()).toEqual(['handle-b1', 'handle-b2']);
      await consumer.stop(1000);
    });

    it('runs messages of a standard queue side by side, even with a MessageGroupId (fair queues)', async () => {
      const { consumer, startWith, handlers } = consumerOf({}, 'orders');
      await startWith([inGroup('t1', 'tenant-1'), inGroup('t2', 'tenant-1')]);

      expect(handlers.running()).toEqual(['t1', 't2']);
      handlers.finish('t1');
      handlers.finish('t2');
      await consumer.stop(1000);
    });
  });

  describe('visibility heartbeat', () => {
    it.each([
      ['every half timeout', 10, 5000],
      ['at most once a second', 1, 1000],
    ])(
      'extends the visibility to the full timeout %s while the handler runs, then stops',
      async (_, visibilityTimeoutSeconds, period) => {
        const { consumer, startWith, handlers, visibility } = consumerOf({
          visibilityTimeoutSeconds,
        });
        await startWith([message('a')]);

        await jest.advanceTimersByTimeAsync(period - 1);
        expect(visibility()).toEqual([]);
        await jest.advanceTimersByTimeAsync(1);
        expect(visibility()).toEqual([['handle-a', visibilityTimeoutSeconds]]);
        await jest.advanceTimersByTimeAsync(period);
        expect(visibility()).toHaveLength(2);

        handlers.finish('a');
        await jest.advanceTimersByTimeAsync(60_000);
        expect(visibility()).toHaveLength(2);
        await consumer.stop(1000);
      },
    );

    it("extends a batch's messages in one call per heartbeat, for those still held", async () => {
      const { consumer, sqs, startWith, handlers } = consumerOf({ visibilityTimeoutSeconds: 4 });
      const heartbeats = () =>
        sqs
          .inputsOf('ChangeMessageVisibilityBatchCommand')
          .map((input) =>
            (input.Entries as Array<{ ReceiptHandle: string }>).map((entry) => entry.ReceiptHandle),
          );
      await startWith([message('a'), message('b'), message('c')]);

      await jest.advanceTimersByTimeAsync(2000);
      expect(heartbeats()).toEqual([['handle-a', 'handle-b', 'handle-c']]);
      handlers.finish('b');
      await jest.advanceTimersByTimeAsync(2000);
      expect(heartbeats()).toEqual([
        ['handle-a', 'handle-b', 'handle-c'],
        ['handle-a', 'handle-c'],
      ]);
      // No ChangeMessageVisibility of their own: one call per batch.
      expect(sqs.inputsOf('ChangeMessageVisibilityCommand')).toEqual([]);

      handlers.finish('a');
      handlers.finish('c');
      await jest.advanceTimersByTimeAsync(60_000);
      expect(heartbeats()).toHaveLength(2);
      await consumer.stop(1000);
    });

    it('logs the messages a heartbeat could not extend, with the reason redacted', async () => {
      const { consumer, sqs, startWith, handlers } = consumerOf({ visibilityTimeoutSeconds: 2 });
      sqs.answers.ChangeMessageVisibilityBatchCommand = () => ({
        Successful: [{ Id: '0' }],
        Failed: [
          {
            Id: '1',
            Code: 'ReceiptHandleIsInvalid',
            SenderFault: true,
            Message: 'expired for https://user:hunter2@sqs.example',
          },
        ],
      });
      await startWith([message('a'), message('b')]);
      await jest.advanceTimersByTimeAsync(1000);
      const warned = () => logs.warn.mock.calls.map(([text]) => String(text));
      expect(warned().filter((text) => text.startsWith('Could not extend'))).toEqual([
        expect.stringContaining('of message b: expired for'),
      ]);
      expect(warned().join('\n')).not.toContain('hunter2');

      sqs.answers.ChangeMessageVisibilityBatchCommand = () => {
        throw new Error('connect ECONNREFUSED');
      };
      await jest.advanceTimersByTimeAsync(1000);
      expect(warned().filter((text) => text.startsWith('Could not extend'))).toEqual([
        expect.stringContaining('of message b: expired for'),
        expect.stringContaining('of message(s) a, b: connect ECONNREFUSED'),
      ]);

      handlers.finish('a');
      handlers.finish('b');
      await consumer.stop(1000);
    });

    it('keeps a draining message invisible until it settles, and lets go at the drain deadline', async () => {
      const { consumer, startWith, handlers, visibility } = consumerOf({
        visibilityTimeoutSeconds: 2,
      });
      await startWith([message('a'), message('b')]);
      // A drain longer than half the visibility timeout: without heartbeats, another consumer
      // would receive both while they are still being handled.
      const stopping = consumer.stop(5000);
      await jest.advanceTimersByTimeAsync(1000);
      expect(visibility()).toHaveLength(2);
      handlers.finish('a');
      await jest.advanceTimersByTimeAsync(1000);
      expect(visibility().slice(2)).toEqual([['handle-b', 2]]);
      await jest.advanceTimersByTimeAsync(3000);
      await stopping;
      const sent = visibility().length;
      await jest.advanceTimersByTimeAsync(10_000);
      expect(visibility()).toHaveLength(sent);
    });
  });
});

describe('SqsConsumer over many receives', () => {
  /** The heap in use after a full collection (gc exposed at run time, as node's --expose-gc). */
  function heapAfterGc(): number {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    gc();
    gc();
    return process.memoryUsage().heapUsed;
  }

  it('keeps no memory per receive (each long poll can be aborted by stop() without a combined signal)', async () => {
    // Answers each long poll on the next turn with no message, and, like the SDK's HTTP handler,
    // listens to the call's abort signal while it runs.
    let receives = 0;
    let reached: (() => void) | undefined;
    let target = 0;
    const client = {
      send: (_command: unknown, { abortSignal }: { abortSignal: AbortSignal }) =>
        new Promise((resolve) => {
          const onAbort = (): void => resolve({ Messages: [] });
          abortSignal.addEventListener('abort', onAbort, { once: true });
          setImmediate(() => {
            abortSignal.removeEventListener('abort', onAbort);
            if (++receives === target) reached?.();
            resolve({ Messages: [] });
          });
        }),
    } as unknown as Sqs.SQSClient;
    const consumer = new SqsConsumer({
      client,
      queueName: 'orders',
      queueUrl: QUEUE_URL,
      deadLetterQueueUrl: DLQ_URL,
      subscriptions: [],
      options: { ...DEFAULT_CONSUMER_OPTIONS, concurrency: 1, batchSize: 1 },
      decoder: DEFAULT_DECODER_OPTIONS,
      reports: new QueueReporter('sqs', 'orders'),
    });
    const receivesUpTo = (count: number) =>
      new Promise<void>((resolve) => {
        target = count;
        reached = resolve;
      });

    consumer.start();
    await receivesUpTo(5_000);
    const before = heapAfterGc();
    await receivesUpTo(105_000);
    const growth = heapAfterGc() - before;
    await consumer.stop(1000);

    // 100,000 receives: a combined signal kept per receive took 3.2 MB (Node 24) to 22 MB (Node 22).
    expect(growth).toBeLessThan(2 * 2 ** 20);
    // About 2 s alone; a loaded runner (a worker per core, beside LocalStack) needs several times that.
  }, 60_000);
});

import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
} from '@aws-sdk/client-sqs';
import { Injectable, Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  currentHandlingContext,
  EventHandler,
  EventsConfigurationError,
  EventsModule,
  Idempotent,
  NonRetryableError,
  type EventOf,
} from '@nestjs-events/core';
import { EventBridgeTransport } from '@nestjs-events/eventbridge';
import { SnsSqsTransport, type SnsSqsTransportOptions } from '@nestjs-events/sns';
import {
  createSqsLambdaHandler,
  DEAD_LETTER_ATTRIBUTES,
  type SqsLambdaHandler,
} from '@nestjs-events/sqs';
import { awsTestConfig, uniqueName } from '../fixtures/aws';
import { ThingArchived, ThingHappened, ThingNoted } from '../fixtures/events';
import { heldHandler } from '../fixtures/held-handler';
import { QueueInspector } from '../fixtures/sqs-queue';
import { until } from '../fixtures/until';
import {
  eventAttributes,
  eventBridgeBody,
  fromReceivedMessage,
  redelivered,
  snsNotificationBody,
  sqsEvent,
  sqsRecord,
} from './sqs-lambda-events';

jest.setTimeout(30_000);

const QUEUE = 'lambda-things';
const FIFO_QUEUE = 'lambda-things.fifo';

/** Fails the first delivery of `flaky*` events, every delivery of `fail*` events. */
function failOnPurpose(name: string): void {
  if (name.startsWith('fail')) throw new Error(`${name} fails on purpose`);
  if (name.startsWith('flaky') && currentHandlingContext()!.attempt === 1) {
    throw new Error(`${name} fails on its first delivery`);
  }
}

@Injectable()
class Things {
  readonly seen: string[] = [];

  @Idempotent()
  @EventHandler(ThingHappened, { retry: { maxAttempts: 3 } })
  onThing(event: EventOf<typeof ThingHappened>) {
    this.seen.push(event.data.name);
    failOnPurpose(event.data.name);
  }

  @EventHandler(ThingNoted)
  onNote(event: EventOf<typeof ThingNoted>) {
    if (event.data.note === 'fatal') throw new NonRetryableError('this note can never be kept');
  }
}

@Injectable()
class FifoThings {
  readonly seen: string[] = [];

  @EventHandler(ThingHappened, { queue: FIFO_QUEUE })
  onThing(event: EventOf<typeof ThingHappened>) {
    this.seen.push(event.data.name);
    failOnPurpose(event.data.name);
  }
}

let boots = 0;

/** Built once per application context: counts boots. */
@Injectable()
class BootCounter {
  constructor() {
    boots++;
  }
}

type TransportKind = 'sns' | 'eventbridge';

function appModule(
  transport: Partial<SnsSqsTransportOptions> = {},
  providers: unknown[] = [Things, FifoThings, BootCounter],
  kind: TransportKind = 'sns',
) {
  const options = {
    // No SQS call is made unless a test sends dead letters; the emulator answers if so.
    ...awsTestConfig('fauxqs'),
    consume: 'lambda' as const,
    queues: [{ name: QUEUE }, { name: FIFO_QUEUE }],
    ...transport,
  };
  @Module({
    imports: [
      EventsModule.forRoot({
        source: 'lambda-test',
        retry: { baseDelayMs: 1, maxDelayMs: 5 },
        transports: [
          kind === 'sns'
            ? new SnsSqsTransport(options)
            : new EventBridgeTransport({ ...options, eventBusName: 'lambda-bus' }),
        ],
      }),
    ],
    providers: providers as never,
  })
  class AppModule {}
  return AppModule;
}

/** One record per wire format a queue may hold: an SNS notification, a raw envelope, an EventBridge event. */
function wireFormats(raw = ThingHappened.create({ name: 'raw', size: 2 }, { source: 'raw' })) {
  return {
    sns: sqsRecord(QUEUE, snsNotificationBody(ThingHappened.create({ name: 'sns', size: 1 }), 't')),
    raw: sqsRecord(QUEUE, JSON.stringify(raw), { attributes: eventAttributes(raw) }),
    eventBridge: sqsRecord(
      QUEUE,
      eventBridgeBody(ThingHappened.create({ name: 'bridge', size: 3 }, { source: 'eb' })),
    ),
  };
}

const failuresOf = (response: { batchItemFailures: Array<{ itemIdentifier: string }> }) =>
  response.batchItemFailures.map((failure) => failure.itemIdentifier);

describe('createSqsLambdaHandler', () => {
  let handler: SqsLambdaHandler | undefined;

  afterEach(async () => {
    await handler
      ?.ready()
      .then((app) => app.close())
      .catch(() => undefined);
    handler = undefined;
  });

  function lambda(
    transport: Partial<SnsSqsTransportOptions> = {},
    options: Parameters<typeof createSqsLambdaHandler>[1] = {},
    providers?: unknown[],
    kind?: TransportKind,
  ): SqsLambdaHandler {
    handler = createSqsLambdaHandler(appModule(transport, providers, kind), {
      deadLetters: 'redrive',
      application: { logger: false },
      ...options,
    });
    return handler;
  }

  // The EventBridge transport reads all three formats; the SNS transport reads SNS and raw ones
  // (an EventBridge event on its queue is not an event to it, see the next test).
  it('runs SNS, raw and EventBridge bodies through the handlers and reports exactly the records that failed', async () => {
    const handle = lambda({}, {}, undefined, 'eventbridge');
    const raw = ThingHappened.create({ name: 'raw', size: 2 }, { source: 'raw' });
    const unknownType = { ...raw, id: 'unknown-type', type: 'thing.unknown' };
    const records = {
      ...wireFormats(raw),
      malformed: sqsRecord(QUEUE, 'not json {'),
      failing: sqsRecord(QUEUE, JSON.stringify(ThingHappened.create({ name: 'fail', size: 4 }))),
      unknownType: sqsRecord(QUEUE, JSON.stringify(unknownType)),
      nonRetryable: sqsRecord(QUEUE, JSON.stringify(ThingNoted.create({ note: 'fatal' }))),
      noted: sqsRecord(QUEUE, JSON.stringify(ThingNoted.create({ note: 'fine' }))),
      otherQueue: sqsRecord('nobody-consumes-this', JSON.stringify(raw)),
    };

    const response = await handle(sqsEvent(...Object.values(records)));

    expect(failuresOf(response)).toEqual(
      [
        records.malformed,
        records.failing,
        records.unknownType,
        records.nonRetryable,
        records.otherQueue,
      ].map((r) => r.messageId),
    );
    const app = await handle.ready();
    expect(app.get(Things).seen.sort()).toEqual(['bridge', 'fail', 'raw', 'sns']);
    expect(app.get(FifoThings).seen).toEqual([]);
  });

  it('runs SNS and raw bodies on the SNS transport, where an EventBridge body is not an event', async () => {
    const handle = lambda();
    const records = wireFormats();

    const response = await handle(sqsEvent(...Object.values(records)));

    expect(failuresOf(response)).toEqual([records.eventBridge.messageId]);
    const app = await handle.ready();
    expect(app.get(Things).seen.sort()).toEqual(['raw', 'sns']);
  });

  it('runs a FIFO group in order and reports the rest of it unrun after a failure, other groups unaffected', async () => {
    const handle = lambda();
    const record = (name: string, group: string) =>
      sqsRecord(FIFO_QUEUE, JSON.stringify(ThingHappened.create({ name, size: 0 })), {
        groupId: group,
      });
    const [a1, a2, a3, a4] = ['a1', 'flaky-a2', 'a3', 'a4'].map((name) => record(name, 'a'));
    const [b1, b2] = ['b1', 'b2'].map((name) => record(name, 'b'));

    const first = await handle(sqsEvent(a1, b1, a2, b2, a3, a4));

    expect(failuresOf(first)).toEqual([a2, a3, a4].map((r) => r.messageId));
    const { seen } = (await handle.ready()).get(FifoThings);
    expect(seen.filter((name) => name.includes('a'))).toEqual(['a1', 'flaky-a2']);
    expect(seen.filter((name) => name.startsWith('b'))).toEqual(['b1', 'b2']);

    // The group comes back, in order, with the failed message first.
    const second = await handle(sqsEvent(...[a2, a3, a4].map(redelivered)));

    expect(failuresOf(second)).toEqual([]);
    expect(seen.filter((name) => name.includes('a'))).toEqual([
      'a1',
      'flaky-a2',
      'flaky-a2',
      'a3',
      'a4',
    ]);
  });

  it('boots the application once for all invocations, where idempotent handlers skip redeliveries', async () => {
    const bootsBefore = boots;
    const handle = lambda();
    const once = sqsRecord(QUEUE, JSON.stringify(ThingHappened.create({ name: 'once', size: 1 })));
    const flaky = sqsRecord(
      QUEUE,
      JSON.stringify(ThingHappened.create({ name: 'flaky', size: 1 })),
    );

    expect(failuresOf(await handle(sqsEvent(once, flaky)))).toEqual([flaky.messageId]);
    // `once` comes back although it was handled (say Lambda timed out before deleting it), and
    // `flaky` comes back because it failed: the first is skipped, the second runs again.
    expect(failuresOf(await handle(sqsEvent(redelivered(once), redelivered(flaky))))).toEqual([]);

    expect(boots - bootsBefore).toBe(1);
    const app = await handle.ready();
    expect(await handle.ready()).toBe(app);
    expect(app.get(Things).seen).toEqual(['once', 'flaky', 'flaky']);
  });

  it('runs records concurrently, up to the concurrency option', async () => {
    const { Held, release } = heldHandler(ThingArchived);
    const handle = lambda({}, { concurrency: 3 }, [Held]);
    const records = Array.from({ length: 7 }, (_, i) =>
      sqsRecord(QUEUE, JSON.stringify(ThingArchived.create({ name: `t${i}` }))),
    );
    const held = (await handle.ready()).get(Held);

    const invocation = handle(sqsEvent(...records));
    await until(() => held.running >= 3, 5_000, 'three records running');
    release();

    expect(failuresOf(await invocation)).toEqual([]);
    expect(held.peak).toBe(3);
  });

  it('refuses a transport that polls, and boots again on the next invocation after a failed boot', async () => {
    // No handlers, so the polling transport starts without looking its queues up.
    const polling = lambda({ consume: 'poll' }, {}, []);
    const event = sqsEvent(sqsRecord(QUEUE, JSON.stringify(ThingNoted.create({ note: 'n' }))));
    await expect(polling(event)).rejects.toThrow(EventsConfigurationError);
    await expect(polling(event)).rejects.toThrow(/polls its queues\. Set consume: 'lambda'/);

    let attempts = 0;
    handler = createSqsLambdaHandler(async (): Promise<INestApplicationContext> => {
      if (++attempts === 1) throw new Error('the parameter store timed out');
      return NestFactory.createApplicationContext(appModule(), { logger: false });
    });
    await expect(handler(event)).rejects.toThrow('the parameter store timed out');
    expect(failuresOf(await handler(event))).toEqual([]);
    expect(failuresOf(await handler(event))).toEqual([]);
    expect(attempts).toBe(2);
  });

  describe('with dead letters sent to the dead-letter queue (on fauxqs)', () => {
    let queues: QueueInspector;
    beforeEach(() => (queues = new QueueInspector('fauxqs')));
    afterEach(() => queues.close());

    /** Creates `<name>` with a redrive policy to `<name>-dlq`; returns its ARN. */
    async function createQueue(name: string, maxReceiveCount = 5): Promise<string> {
      const arnOf = async (url: string) =>
        (
          await queues.client.send(
            new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }),
          )
        ).Attributes!.QueueArn!;
      const dlq = await queues.client.send(new CreateQueueCommand({ QueueName: `${name}-dlq` }));
      const queue = await queues.client.send(
        new CreateQueueCommand({
          QueueName: name,
          Attributes: {
            VisibilityTimeout: '1',
            RedrivePolicy: JSON.stringify({
              deadLetterTargetArn: await arnOf(dlq.QueueUrl!),
              maxReceiveCount,
            }),
          },
        }),
      );
      return arnOf(queue.QueueUrl!);
    }

    it('sends poison and given-up records there with the reason, and does not report them', async () => {
      const queue = uniqueName('lambda-dl');
      await createQueue(queue);
      const handle = lambda(
        { queues: [{ name: queue }, { name: FIFO_QUEUE }] },
        { deadLetters: 'send' },
      );
      const fatal = ThingNoted.create({ note: 'fatal' });
      const records = {
        malformed: sqsRecord(queue, 'not json {'),
        nonRetryable: sqsRecord(queue, JSON.stringify(fatal), {
          attributes: eventAttributes(fatal),
        }),
        failing: sqsRecord(queue, JSON.stringify(ThingHappened.create({ name: 'fail', size: 1 }))),
        lastAttempt: sqsRecord(
          queue,
          JSON.stringify(ThingHappened.create({ name: 'fail-again', size: 1 })),
          { receiveCount: 3 },
        ),
      };

      const response = await handle(sqsEvent(...Object.values(records)));

      // Retried: back to the queue. The others are in the dead-letter queue, to be deleted.
      expect(failuresOf(response)).toEqual([records.failing.messageId]);
      const dead = await queues.drain(`${queue}-dlq`, 3);
      const attribute = (body: string, name: string) =>
        dead.find((m) => m.Body === body)?.MessageAttributes?.[name]?.StringValue;
      expect(attribute(records.malformed.body, DEAD_LETTER_ATTRIBUTES.reason)).toBe(
        'malformed-json',
      );
      expect(attribute(records.nonRetryable.body, DEAD_LETTER_ATTRIBUTES.reason)).toBe(
        'non-retryable',
      );
      expect(attribute(records.nonRetryable.body, DEAD_LETTER_ATTRIBUTES.handler)).toBe(
        'Things.onNote',
      );
      expect(attribute(records.nonRetryable.body, 'event-type')).toBe('thing.noted');
      expect(attribute(records.lastAttempt.body, DEAD_LETTER_ATTRIBUTES.reason)).toBe(
        'max-attempts',
      );
      expect(attribute(records.lastAttempt.body, DEAD_LETTER_ATTRIBUTES.sourceQueue)).toBe(queue);
    });

    it('reports a dead letter as failed when the queue has no dead-letter queue to send it to', async () => {
      const queue = uniqueName('lambda-no-dlq');
      await queues.client.send(new CreateQueueCommand({ QueueName: queue }));
      const handle = lambda(
        { queues: [{ name: queue }, { name: FIFO_QUEUE }] },
        { deadLetters: 'send' },
      );
      const malformed = sqsRecord(queue, 'not json {');

      expect(failuresOf(await handle(sqsEvent(malformed)))).toEqual([malformed.messageId]);
    });

    it("leaves failing records to the queue's redrive policy, as an event source mapping would", async () => {
      const queue = uniqueName('lambda-redrive');
      const arn = await createQueue(queue, 2);
      @Injectable()
      class Stubborn {
        runs = 0;
        @EventHandler(ThingHappened, { retry: { maxAttempts: 100 } })
        onThing(event: EventOf<typeof ThingHappened>) {
          this.runs++;
          failOnPurpose(event.data.name);
        }
      }
      const handle = lambda({ queues: [{ name: queue }] }, { deadLetters: 'send' }, [Stubborn]);
      const stubborn = ThingHappened.create({ name: 'fail', size: 1 });
      const fine = ThingHappened.create({ name: 'fine', size: 1 });
      await queues.send(queue, JSON.stringify(stubborn));
      await queues.send(queue, JSON.stringify(fine));
      const url = await queues.url(queue);

      // What the event source mapping does: receive, invoke, delete what did not fail.
      let invocations = 0;
      await until(
        async () => {
          const { Messages = [] } = await queues.client.send(
            new ReceiveMessageCommand({
              QueueUrl: url,
              MaxNumberOfMessages: 10,
              WaitTimeSeconds: 1,
              MessageSystemAttributeNames: ['All'],
              MessageAttributeNames: ['All'],
            }),
          );
          if (Messages.length) {
            invocations++;
            const failed = new Set(
              failuresOf(
                await handle(sqsEvent(...Messages.map((m) => fromReceivedMessage(m, arn)))),
              ),
            );
            const done = Messages.filter((m) => !failed.has(m.MessageId!));
            if (done.length) {
              await queues.client.send(
                new DeleteMessageBatchCommand({
                  QueueUrl: url,
                  Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
                }),
              );
            }
          }
          const depth = await queues.depth(`${queue}-dlq`);
          return depth.visible > 0;
        },
        20_000,
        'the redrive policy to move the failing message',
      );

      const [moved] = await queues.drain(`${queue}-dlq`, 1);
      expect(moved.Body).toContain(stubborn.id);
      expect((await handle.ready()).get(Stubborn).runs).toBe(3); // fine once, stubborn twice
      expect(invocations).toBeGreaterThanOrEqual(2);
      expect(await queues.depth(queue)).toEqual({ visible: 0, inFlight: 0 });
    });
  });
});

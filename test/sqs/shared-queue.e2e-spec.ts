import { DeleteQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { Injectable } from '@nestjs/common';
import {
  EventBus,
  EventHandler,
  NonRetryableError,
  type EventEnvelope,
  type EventsModuleOptions,
} from '@nestjs-events/core';
import { RedisIdempotencyStore } from '@nestjs-events/idempotency-redis';
import { SnsSqsTransport, type SnsSqsTransportOptions } from '@nestjs-events/sns';
import { DEAD_LETTER_ATTRIBUTES } from '@nestjs-events/sqs';
import { Redis } from 'ioredis';
import { awsTestConfig, uniqueName, type Emulator } from '../fixtures/aws';
import { createTestApp, type TestApp } from '../fixtures/create-app';
import { ThingHappened } from '../fixtures/events';
import { failCalls } from '../fixtures/sdk-calls';
import { QueueInspector } from '../fixtures/sqs-queue';
import { until } from '../fixtures/until';

jest.setTimeout(40_000);

const EMULATORS: readonly Emulator[] = ['fauxqs', 'moto'];

/** Runs of each handler, across every application of a test. */
let runs: Record<string, string[]>;
/** How many times handler B still fails, per event id. */
let failuresLeft: Map<string, number>;

function ran(handler: string, event: EventEnvelope): void {
  (runs[handler] ??= []).push(event.id);
}

/** A gives every event up at once; B fails each twice, then handles it. */
@Injectable()
class SharedQueue {
  @EventHandler(ThingHappened)
  giveUp(event: EventEnvelope) {
    ran('A', event);
    throw new NonRetryableError('A never takes this');
  }

  @EventHandler(ThingHappened, { retry: { maxAttempts: 4, baseDelayMs: 0, maxDelayMs: 0 } })
  laterOn(event: EventEnvelope) {
    ran('B', event);
    const left = failuresLeft.get(event.id) ?? 2;
    failuresLeft.set(event.id, left - 1);
    if (left > 0) throw new Error('not yet');
  }
}

describe.each(EMULATORS)('several handlers on one queue, on %s', (emulator) => {
  let apps: TestApp[];
  let queues: QueueInspector;
  let prefix: string;
  let queue: string;

  beforeEach(() => {
    runs = {};
    failuresLeft = new Map();
    apps = [];
    queues = new QueueInspector(emulator);
    prefix = uniqueName('shared');
    queue = `${prefix}-q`;
  });
  afterEach(async () => {
    await Promise.all(apps.map(({ app }) => app.close()));
    queues.close();
  });

  async function boot(
    module: Partial<EventsModuleOptions> = {},
    transport: Partial<SnsSqsTransportOptions> = {},
  ): Promise<TestApp> {
    const app = await createTestApp(
      { providers: [SharedQueue] },
      {
        transports: [
          new SnsSqsTransport({
            ...awsTestConfig(emulator),
            topics: { prefix: `${prefix}-` },
            queues: [{ name: queue, waitTimeSeconds: 1, visibilityTimeoutSeconds: 5 }],
            provision: true,
            ...transport,
          }),
        ],
        ...module,
      },
    );
    apps.push(app);
    return app;
  }

  async function expectOneDeadLetterFromA(): Promise<void> {
    const dead = await queues.drain(`${queue}-dlq`, 2, 3_000);
    expect(
      dead.map((m) => m.MessageAttributes?.[DEAD_LETTER_ATTRIBUTES.handler]?.StringValue),
    ).toEqual(['SharedQueue.giveUp']);
  }

  it('does not run again a handler that gave up while another retries; one dead letter for it', async () => {
    const { app, probe } = await boot();
    const event = ThingHappened.create({ name: 'a', size: 1 });

    await app.get(EventBus).publish(event);
    await probe.waitFor('thing.happened', undefined, { timeoutMs: 20_000 });

    expect(runs.A).toHaveLength(1);
    expect(runs.B).toHaveLength(3);
    const dead = probe.of('dead-lettered');
    expect(dead.map((n) => [n.handler, n.reason, n.transport])).toEqual([
      ['SharedQueue.giveUp', 'non-retryable', 'sns-sqs'],
    ]);
    await until(async () => (await queues.depth(queue)).inFlight === 0, 10_000, 'queue settled');
    await expectOneDeadLetterFromA();
  });

  it('holds across instances that share a Redis idempotency store', async () => {
    const redis = new Redis(process.env.REDIS_URL!);
    try {
      const store = () => new RedisIdempotencyStore({ client: redis, keyPrefix: `${prefix}:` });
      const first = await boot({ idempotency: { store: store() } });
      const second = await boot({ idempotency: { store: store() } });
      const events = Array.from({ length: 4 }, (_, i) =>
        ThingHappened.create({ name: `e${i}`, size: i }),
      );

      await first.app.get(EventBus).publishAll(events);
      await until(
        () => first.probe.of('handled').length + second.probe.of('handled').length === 4,
        30_000,
        'B handled every event, after two failures each',
      );

      // A ran once per event although each message came back twice, to either instance.
      expect([...runs.A].sort()).toEqual(events.map((e) => e.id).sort());
      const dead = await queues.drain(`${queue}-dlq`, 5, 3_000);
      expect(dead).toHaveLength(4);
    } finally {
      redis.disconnect();
    }
  });

  it('reports a dead letter it could not write, and keeps the message', async () => {
    const { app, probe } = await boot();
    const admin = new SQSClient(awsTestConfig(emulator));
    await admin.send(new DeleteQueueCommand({ QueueUrl: await queues.url(`${queue}-dlq`) }));
    admin.destroy();

    await app.get(EventBus).publish(ThingHappened.create({ name: 'b', size: 2 }));
    await until(() => probe.of('dead-letter-failed').length > 0, 20_000, 'a failed dead letter');

    const [failed] = probe.of('dead-letter-failed');
    expect(failed).toMatchObject({ handler: 'SharedQueue.giveUp', reason: 'non-retryable', queue });
    expect(probe.of('dead-lettered')).toHaveLength(0);
  });
});

describe.each(EMULATORS)('what goes wrong outside handlers, on %s', (emulator) => {
  it('reports poison, failed receives and failed deletes to the monitor', async () => {
    const prefix = uniqueName('report');
    const queue = `${prefix}-q`;
    const queues = new QueueInspector(emulator);
    const sqsClient = new SQSClient(awsTestConfig(emulator));
    const failedReceives = failCalls(sqsClient, 'ReceiveMessageCommand', 1);
    const failedDeletes = failCalls(sqsClient, 'DeleteMessageBatchCommand', 1);
    @Injectable()
    class Sink {
      @EventHandler(ThingHappened)
      on() {}
    }
    const { app, probe } = await createTestApp(
      { providers: [Sink] },
      {
        transports: [
          new SnsSqsTransport({
            ...awsTestConfig(emulator),
            sqsClient,
            topics: { prefix: `${prefix}-` },
            queues: [{ name: queue, waitTimeSeconds: 1, maxPollBackoffMs: 50 }],
            provision: true,
          }),
        ],
      },
    );
    try {
      await queues.send(queue, 'not json {');
      await app.get(EventBus).publish(ThingHappened.create({ name: 'c', size: 3 }));
      await until(
        () => probe.of('poison').length === 1 && probe.of('delete-failed').length === 1,
        20_000,
        'poison and a failed delete reported',
      );

      expect(probe.of('poison')).toEqual([
        expect.objectContaining({ transport: 'sns-sqs', queue, reason: 'malformed-json' }),
      ]);
      expect(probe.of('receive-failed')).toEqual([
        expect.objectContaining({ queue, stalled: false, consecutiveFailures: 1 }),
      ]);
      // The good message's delete, with the poison's if they shared the batch.
      expect(probe.of('delete-failed')[0]).toMatchObject({ queue, messages: expect.any(Number) });
      expect(probe.of('delete-failed')[0].messages).toBeGreaterThanOrEqual(1);
      expect([failedReceives(), failedDeletes()]).toEqual([1, 1]);
    } finally {
      await app.close();
      sqsClient.destroy();
      queues.close();
    }
  });
});

describe.each(EMULATORS)('FIFO groups, on %s', (emulator) => {
  it('does not count the receives of messages held back behind a retried one as attempts', async () => {
    const prefix = uniqueName('held');
    const attempts = new Map<number, number[]>();
    @Injectable()
    class Ordered {
      @EventHandler(ThingHappened, { retry: { maxAttempts: 4, baseDelayMs: 0, maxDelayMs: 0 } })
      on(event: EventEnvelope<{ size: number }>) {
        const seen = attempts.get(event.data.size) ?? [];
        attempts.set(event.data.size, seen);
        seen.push(seen.length + 1);
        if (event.data.size === 0 && seen.length < 3)
          throw new Error('first of the group fails twice');
      }
    }
    const { app, probe } = await createTestApp(
      { providers: [Ordered] },
      {
        transports: [
          new SnsSqsTransport({
            ...awsTestConfig(emulator),
            fifo: true,
            topics: { prefix: `${prefix}-` },
            queues: [{ name: `${prefix}-q.fifo`, waitTimeSeconds: 1 }],
            provision: true,
          }),
        ],
      },
    );
    try {
      const events = Array.from({ length: 3 }, (_, size) =>
        ThingHappened.create({ name: 'x', size }, { aggregateId: 'one-group' }),
      );
      await app.get(EventBus).publishAll(events);
      await until(() => probe.of('handled').length === 3, 30_000, 'all three handled');

      const handled = new Map(probe.of('handled').map((n) => [n.event.id, n.attempt]));
      expect(events.map((e) => handled.get(e.id))).toEqual([3, 1, 1]);
    } finally {
      await app.close();
    }
  });
});

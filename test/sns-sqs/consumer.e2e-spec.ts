import { SNSClient } from '@aws-sdk/client-sns';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { Injectable } from '@nestjs/common';
import {
  EventBus,
  EventHandler,
  Idempotent,
  type EventEnvelope,
  type EventOf,
  type EventsModuleOptions,
} from '@nestjs-events/core';
import {
  OversizeEventError,
  SnsSqsTransport,
  type SnsSqsTransportOptions,
} from '@nestjs-events/sns';
import { DEAD_LETTER_ATTRIBUTES } from '@nestjs-events/sqs';
import { awsTestConfig, SNS_SQS_EMULATORS, uniqueName } from '../fixtures/aws';
import { countCalls } from '../fixtures/sdk-calls';
import { createTestApp, type TestApp } from '../fixtures/create-app';
import { heldHandler } from '../fixtures/held-handler';
import { ThingArchived, ThingHappened, ThingNoted } from '../fixtures/events';
import { QueueInspector } from '../fixtures/sqs-queue';
import { until } from '../fixtures/until';

jest.setTimeout(30_000);

describe.each(SNS_SQS_EMULATORS)('SQS consumer on %s', (emulator) => {
  let app: TestApp | undefined;
  let queues: QueueInspector;
  let prefix: string;
  let queue: string;
  let snsClient: SNSClient | undefined;

  beforeEach(() => {
    queues = new QueueInspector(emulator);
    prefix = uniqueName('c');
    queue = `${prefix}-q`;
  });
  afterEach(async () => {
    await app?.app.close();
    app = undefined;
    snsClient?.destroy();
    snsClient = undefined;
    queues.close();
  });

  async function boot(
    providers: unknown[],
    transport: Partial<SnsSqsTransportOptions> = {},
    module: Partial<EventsModuleOptions> = {},
  ): Promise<{ app: TestApp; transport: SnsSqsTransport; publishCalls: () => number }> {
    snsClient = new SNSClient(awsTestConfig(emulator));
    const publishCalls = countCalls(snsClient, 'PublishCommand', 'PublishBatchCommand');
    const sns = new SnsSqsTransport({
      ...awsTestConfig(emulator),
      snsClient,
      topics: { prefix: `${prefix}-` },
      queues: [{ name: queue, waitTimeSeconds: 1, visibilityTimeoutSeconds: 5 }],
      provision: true,
      ...transport,
    });
    app = await createTestApp({ providers: providers as never }, { transports: [sns], ...module });
    return { app, transport: sns, publishCalls };
  }

  it('redelivers after a handler error, with the attempt taken from the receive count', async () => {
    @Injectable()
    class Flaky {
      readonly attempts: number[] = [];
      @EventHandler(ThingHappened, { retry: { maxAttempts: 4, baseDelayMs: 0, maxDelayMs: 0 } })
      onThing() {
        this.attempts.push(this.attempts.length + 1);
        if (this.attempts.length < 3) throw new Error('not yet');
      }
    }
    const { app } = await boot([Flaky]);
    await app.app.get(EventBus).publish(ThingHappened.create({ name: 'a', size: 1 }));
    const handled = await app.probe.waitFor('thing.happened', undefined, { timeoutMs: 15_000 });
    expect(handled.attempt).toBe(3);
    expect(app.probe.of('retrying').map((r) => r.attempt)).toEqual([1, 2]);
    await until(
      async () => (await queues.depth(queue)).visible + (await queues.depth(queue)).inFlight === 0,
    );
  });

  it('dead-letters after maxAttempts with the reason, and a poison message at once, while consuming the rest', async () => {
    @Injectable()
    class Mixed {
      readonly handled: string[] = [];
      @EventHandler(ThingHappened)
      onThing(event: EventOf<typeof ThingHappened>) {
        this.handled.push(event.data.name);
      }
      @EventHandler(ThingNoted, { retry: { maxAttempts: 2, baseDelayMs: 0, maxDelayMs: 0 } })
      onNote() {
        throw new Error('note store is down');
      }
    }
    const { app } = await boot([Mixed]);
    const good = ThingHappened.create({ name: 'good', size: 1 }, { source: 'raw' });
    await queues.send(queue, 'not json {');
    await queues.send(queue, JSON.stringify({ hello: 'world' }));
    await queues.send(
      queue,
      JSON.stringify({ ...good, id: 'unknown-type', type: 'thing.unknown' }),
    );
    await queues.send(queue, JSON.stringify({ ...good, id: 'bad-schema', data: { name: 5 } }));
    await queues.send(queue, JSON.stringify({ ...good, id: 'too-new', version: 3 }));
    await app.app.get(EventBus).publish(ThingNoted.create({ note: 'n' }));
    await queues.send(queue, JSON.stringify(good));
    const dead = await queues.drain(`${queue}-dlq`, 6, 20_000);
    const reasons = dead
      .map((m) => m.MessageAttributes?.[DEAD_LETTER_ATTRIBUTES.reason]?.StringValue)
      .sort();
    expect(reasons).toEqual(
      [
        'malformed-json',
        'max-attempts',
        'non-retryable',
        'non-retryable',
        'not-an-event',
        'unknown-event-type',
      ].sort(),
    );
    const errorOf = (text: string) =>
      dead.find((m) => m.Body?.includes(text))?.MessageAttributes?.[DEAD_LETTER_ATTRIBUTES.error]
        ?.StringValue;
    expect(errorOf('bad-schema')).toMatch(
      /EventValidationError: Event "thing.happened" v2 has invalid data: name/,
    );
    expect(errorOf('too-new')).toMatch(/UnsupportedEventVersionError/);
    const failing = dead.find(
      (m) => m.MessageAttributes?.[DEAD_LETTER_ATTRIBUTES.reason]?.StringValue === 'max-attempts',
    )!;
    expect(failing.MessageAttributes?.[DEAD_LETTER_ATTRIBUTES.handler]?.StringValue).toBe(
      'Mixed.onNote',
    );
    expect(failing.MessageAttributes?.[DEAD_LETTER_ATTRIBUTES.error]?.StringValue).toBe(
      'Error: note store is down',
    );
    expect(failing.MessageAttributes?.['event-type']?.StringValue).toBe('thing.noted');
    await app.probe.waitFor('thing.happened');
    expect(app.app.get(Mixed).handled).toEqual(['good']);
  });

  it("lets the queue's redrive policy move a message after maxReceiveCount receives", async () => {
    @Injectable()
    class Stubborn {
      receives = 0;
      @EventHandler(ThingHappened, { retry: { maxAttempts: 100, baseDelayMs: 0, maxDelayMs: 0 } })
      onThing() {
        this.receives++;
        throw new Error('always');
      }
    }
    const { app } = await boot([Stubborn], {
      queues: [{ name: queue, waitTimeSeconds: 1, maxReceiveCount: 2 }],
    });
    const event = ThingHappened.create({ name: 'a', size: 1 });
    await app.app.get(EventBus).publish(event);
    const [moved] = await queues.drain(`${queue}-dlq`, 1, 20_000);
    expect(moved.Body).toContain(event.id);
    expect(app.app.get(Stubborn).receives).toBe(2);
  });

  it('extends the visibility of a message while a slow handler runs, so it is received once', async () => {
    let visibilityChanges = 0;
    const sqsClient = new SQSClient(awsTestConfig(emulator));
    sqsClient.middlewareStack.add(
      (next, context) => (args) => {
        // The heartbeat of a received batch: one call for its messages still held.
        if (context.commandName === 'ChangeMessageVisibilityBatchCommand') visibilityChanges++;
        return next(args);
      },
      { step: 'initialize' },
    );
    @Injectable()
    class Slow {
      runs = 0;
      @EventHandler(ThingHappened)
      async onThing() {
        this.runs++;
        // Outlive the 2 s visibility timeout: three extensions take about 3 s.
        await until(() => visibilityChanges >= 3, 15_000, 'three visibility extensions');
      }
    }
    const { app: booted } = await boot([Slow], {
      sqsClient,
      queues: [{ name: queue, waitTimeSeconds: 1, visibilityTimeoutSeconds: 2 }],
    });
    await booted.app.get(EventBus).publish(ThingHappened.create({ name: 'slow', size: 1 }));
    const handled = await booted.probe.waitFor('thing.happened', undefined, { timeoutMs: 20_000 });
    expect(handled.attempt).toBe(1);
    expect(booted.app.get(Slow).runs).toBe(1);
    await booted.app.close();
    app = undefined;
    sqsClient.destroy();
    expect(await queues.depth(queue)).toEqual({ visible: 0, inFlight: 0 });
  });

  it('drains on stop: the in-flight handler finishes and its message is deleted', async () => {
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    @Injectable()
    class Blocking {
      started = false;
      finished = false;
      @EventHandler(ThingHappened)
      async onThing() {
        this.started = true;
        await released;
        this.finished = true;
      }
    }
    const { app: booted } = await boot([Blocking]);
    await booted.app.get(EventBus).publish(ThingHappened.create({ name: 'a', size: 1 }));
    const blocking = booted.app.get(Blocking);
    await until(() => blocking.started, 10_000, 'the handler to start');
    const closing = booted.app.close();
    app = undefined;
    release();
    await closing;
    expect(blocking.finished).toBe(true);
    expect(await queues.depth(queue)).toEqual({ visible: 0, inFlight: 0 });
  });

  it('keeps polling beyond 10 messages in flight when concurrency allows it', async () => {
    const { Held, release } = heldHandler(ThingHappened);
    const { app } = await boot([Held], {
      queues: [{ name: queue, waitTimeSeconds: 1, concurrency: 25 }],
    });
    const events = Array.from({ length: 25 }, (_, i) =>
      ThingHappened.create({ name: `e${i}`, size: i }),
    );
    await app.app.get(EventBus).publishAll(events);
    const held = app.app.get(Held);
    await until(() => held.running === 25, 15_000, '25 handlers running at once');
    release();
    await until(() => app.probe.handled.length === 25, 15_000, 'all 25 handled');
    expect(held.peak).toBe(25);
  });

  it('with prefetch, holds received messages beyond the concurrency without running them', async () => {
    const { Held, release } = heldHandler(ThingHappened);
    const { app } = await boot([Held], {
      queues: [{ name: queue, waitTimeSeconds: 1, concurrency: 2, batchSize: 5, prefetch: 3 }],
    });
    const events = Array.from({ length: 6 }, (_, i) =>
      ThingHappened.create({ name: `e${i}`, size: i }),
    );
    await app.app.get(EventBus).publishAll(events);
    const held = app.app.get(Held);
    // Two running and three prefetched: five taken from the queue, the sixth left to it.
    await until(
      async () => (await queues.depth(queue)).inFlight === 5 && held.running === 2,
      15_000,
      'five messages received, two of them running',
    );
    expect(await queues.depth(queue)).toEqual({ visible: 1, inFlight: 5 });
    release();
    await until(() => app.probe.handled.length === 6, 15_000, 'all six handled');
    expect(held.peak).toBe(2);
    expect(app.probe.handled.map((handled) => handled.attempt)).toEqual([1, 1, 1, 1, 1, 1]);
  });

  it('batches publishes: 25 events in 3 calls, and large events by the 256 KiB limit', async () => {
    @Injectable()
    class Sink {
      @EventHandler([ThingHappened, ThingArchived])
      on() {}
    }
    const { app, publishCalls } = await boot([Sink]);
    const bus = app.app.get(EventBus);
    const before = publishCalls();
    await bus.publishAll(
      Array.from({ length: 25 }, (_, i) => ThingHappened.create({ name: `e${i}`, size: i })),
    );
    expect(publishCalls() - before).toBe(3);
    const large = Array.from({ length: 3 }, (_, i) =>
      ThingArchived.create({ name: `${i}`.repeat(100_000) }),
    );
    const mid = publishCalls();
    await bus.publishAll(large);
    expect(publishCalls() - mid).toBe(2);
    await until(() => app.probe.handled.length === 28, 15_000, 'all 28 handled');
  });

  it('refuses an oversize event before sending anything, naming the event and its size', async () => {
    @Injectable()
    class Sink {
      @EventHandler(ThingArchived)
      on() {}
    }
    const { app, publishCalls } = await boot([Sink]);
    const small = ThingArchived.create({ name: 'ok' });
    const huge = ThingArchived.create({ name: 'x'.repeat(300_000) });
    const before = publishCalls();
    const attempt = app.app.get(EventBus).publishAll([small, huge]);
    await expect(attempt).rejects.toThrow(OversizeEventError);
    await expect(attempt).rejects.toThrow(
      new RegExp(
        `Event ${huge.id} \\(thing.archived\\) is 3\\d{5} bytes, over the 262144-byte limit`,
      ),
    );
    expect(publishCalls()).toBe(before);
  });

  it('fails at start when a queue does not exist, naming it', async () => {
    @Injectable()
    class Sink {
      @EventHandler(ThingArchived)
      on() {}
    }
    await expect(boot([Sink], { provision: false })).rejects.toThrow(
      `SQS queue "${queue}" does not exist`,
    );
    app = undefined;
  });

  it('skips a redelivered message for an idempotent handler', async () => {
    @Injectable()
    class Once {
      applied = 0;
      @Idempotent()
      @EventHandler(ThingHappened)
      onThing() {
        this.applied++;
      }
    }
    const { app } = await boot([Once]);
    const event = ThingHappened.create({ name: 'a', size: 1 }, { source: 'raw' });
    await queues.send(queue, JSON.stringify(event));
    await queues.send(queue, JSON.stringify(event));
    await app.probe.waitForSkipped('thing.happened');
    await app.probe.waitFor('thing.happened');
    expect(app.app.get(Once).applied).toBe(1);
  });
});

describe.each(SNS_SQS_EMULATORS)('FIFO on %s', (emulator) => {
  it('dead-letters a poison message of a FIFO queue into its FIFO dead-letter queue', async () => {
    const prefix = uniqueName('fifo-dlq');
    const queue = `${prefix}-q.fifo`;
    @Injectable()
    class Any {
      @EventHandler(ThingHappened)
      onThing() {}
    }
    const app = await createTestApp(
      { providers: [Any] },
      {
        transports: [
          new SnsSqsTransport({
            ...awsTestConfig(emulator),
            fifo: true,
            topics: { prefix: `${prefix}-` },
            queues: [{ name: queue, waitTimeSeconds: 1 }],
            provision: true,
          }),
        ],
      },
    );
    const queues = new QueueInspector(emulator);
    try {
      await queues.client.send(
        new SendMessageCommand({
          QueueUrl: await queues.url(queue),
          MessageBody: 'not json {',
          MessageGroupId: 'g-1',
          MessageDeduplicationId: 'poison-1',
        }),
      );
      const [dead] = await queues.drain(`${prefix}-q-dlq.fifo`, 1, 20_000);
      expect(dead.Body).toBe('not json {');
      expect(dead.MessageAttributes?.[DEAD_LETTER_ATTRIBUTES.reason]?.StringValue).toBe(
        'malformed-json',
      );
    } finally {
      queues.close();
      await app.app.close();
    }
  });

  it('keeps the order of events per aggregate', async () => {
    const prefix = uniqueName('fifo');
    const seen: Array<[string, number]> = [];
    @Injectable()
    class Ordered {
      @EventHandler(ThingHappened)
      async onThing(event: EventEnvelope<{ size: number }>) {
        // Uneven handler times would reorder a group if messages of it ran concurrently.
        await new Promise((resolve) => setImmediate(resolve));
        seen.push([event.aggregateId!, event.data.size]);
      }
    }
    const app = await createTestApp(
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
      const events = Array.from({ length: 20 }, (_, i) =>
        ThingHappened.create({ name: 'x', size: i }, { aggregateId: i % 2 ? 'odd' : 'even' }),
      );
      await app.app.get(EventBus).publishAll(events);
      await until(() => seen.length === 20, 20_000, '20 events handled');
      const order = (aggregate: string) =>
        seen.filter(([a]) => a === aggregate).map(([, size]) => size);
      expect(order('even')).toEqual([0, 2, 4, 6, 8, 10, 12, 14, 16, 18]);
      expect(order('odd')).toEqual([1, 3, 5, 7, 9, 11, 13, 15, 17, 19]);
    } finally {
      await app.app.close();
    }
  });
});

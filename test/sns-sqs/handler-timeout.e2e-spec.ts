import { Injectable } from '@nestjs/common';
import { EventBus, EventHandler, StuckHandlers, type EventOf } from '@nestjs-events/core';
import { SnsSqsTransport } from '@nestjs-events/sns';
import { awsTestConfig, uniqueName } from '../fixtures/aws';
import { createTestApp, type TestApp } from '../fixtures/create-app';
import { ThingHappened } from '../fixtures/events';
import { QueueInspector } from '../fixtures/sqs-queue';
import { until } from '../fixtures/until';

jest.setTimeout(60_000);

/** Never settles on events named `hang*`: a handler stuck on a call that never answers. */
@Injectable()
class Worker {
  readonly handled = new Set<string>();
  readonly hung: string[] = [];
  private readonly release: Array<() => void> = [];

  @EventHandler(ThingHappened, { timeoutMs: 500, retry: { maxAttempts: 2 } })
  onThing(event: EventOf<typeof ThingHappened>): Promise<void> | void {
    if (!event.data.name.startsWith('hang')) {
      this.handled.add(event.data.name);
      return;
    }
    this.hung.push(event.data.name);
    return new Promise((resolve) => this.release.push(resolve));
  }

  releaseAll(): void {
    for (const release of this.release.splice(0)) release();
  }
}

describe('handlers that never settle, over SNS/SQS on fauxqs', () => {
  let app: TestApp | undefined;
  let queues: QueueInspector;

  beforeEach(() => {
    queues = new QueueInspector('fauxqs');
  });
  afterEach(async () => {
    app?.app.get(Worker).releaseAll();
    await app?.app.close();
    app = undefined;
    queues.close();
  });

  it('time out, free their slots for the other messages, and are reported stuck until they settle', async () => {
    const prefix = uniqueName('hang');
    const queue = `${prefix}-q`;
    app = await createTestApp(
      { providers: [Worker] },
      {
        transports: [
          new SnsSqsTransport({
            ...awsTestConfig('fauxqs'),
            topics: { prefix: `${prefix}-` },
            queues: [
              { name: queue, concurrency: 2, waitTimeSeconds: 1, visibilityTimeoutSeconds: 5 },
            ],
            provision: true,
          }),
        ],
      },
    );
    const bus = app.app.get(EventBus);
    // Two hung handlers would take both slots for ever without a timeout.
    await bus.publishAll([
      ThingHappened.create({ name: 'hang-1', size: 0 }),
      ThingHappened.create({ name: 'hang-2', size: 0 }),
    ]);
    const worker = app.app.get(Worker);
    await until(() => worker.hung.length >= 2, 10_000, 'both hung handlers to start');
    await bus.publishAll(
      Array.from({ length: 20 }, (_, i) => ThingHappened.create({ name: `ok-${i}`, size: i })),
    );

    await until(() => worker.handled.size === 20, 30_000, 'the 20 other events');
    const timedOut = app.probe.of('timed-out');
    expect(timedOut.length).toBeGreaterThanOrEqual(2);
    expect(app.app.get(StuckHandlers).list().length).toBeGreaterThanOrEqual(2);
    // Both hung events are given up after their second attempt, as any failure would be.
    const dead = await queues.drain(`${queue}-dlq`, 2, 30_000);
    expect(dead.map((m) => m.MessageAttributes?.['dead-letter-reason']?.StringValue)).toEqual([
      'max-attempts',
      'max-attempts',
    ]);
    expect(dead.map((m) => m.MessageAttributes?.['dead-letter-error']?.StringValue)).toEqual([
      expect.stringContaining('HandlerTimeoutError'),
      expect.stringContaining('HandlerTimeoutError'),
    ]);

    worker.releaseAll();
    await until(() => app!.app.get(StuckHandlers).list().length === 0, 5_000, 'runs to settle');
  });
});

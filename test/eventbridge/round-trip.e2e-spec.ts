import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { Injectable } from '@nestjs/common';
import { defineEvent, EventBus, EventHandler, type EventOf } from '@nestjs-events/core';
import { EventBridgeTransport } from '@nestjs-events/eventbridge';
import { z } from 'zod';
import { awsTestConfig, EVENTBRIDGE_EMULATORS, uniqueName } from '../fixtures/aws';
import { countCalls } from '../fixtures/sdk-calls';
import { createTestApp, type TestApp } from '../fixtures/create-app';
import { ThingArchived, ThingHappened, ThingHappenedV1, ThingNoted } from '../fixtures/events';
import { QueueInspector } from '../fixtures/sqs-queue';
import { until } from '../fixtures/until';

jest.setTimeout(30_000);

const OtherHappened = defineEvent({
  type: 'other.happened',
  schema: z.object({ n: z.number() }),
});

describe.each(EVENTBRIDGE_EMULATORS)('EventBridge round trip on %s', (emulator) => {
  let app: TestApp | undefined;
  let transport: EventBridgeTransport | undefined;
  let eventBridgeClient: EventBridgeClient | undefined;
  let putEventsCalls: () => number = () => 0;
  let queues: QueueInspector;
  let prefix: string;

  beforeEach(() => {
    queues = new QueueInspector(emulator);
    prefix = uniqueName('eb');
  });
  afterEach(async () => {
    await app?.app.close();
    app = undefined;
    transport = undefined;
    eventBridgeClient?.destroy();
    eventBridgeClient = undefined;
    queues.close();
  });

  async function boot(providers: unknown[], queueNames: string[]): Promise<TestApp> {
    eventBridgeClient = new EventBridgeClient(awsTestConfig(emulator));
    putEventsCalls = countCalls(eventBridgeClient, 'PutEventsCommand');
    transport = new EventBridgeTransport({
      ...awsTestConfig(emulator),
      eventBridgeClient,
      eventBusName: `${prefix}-bus`,
      queues: queueNames.map((name) => ({ name, waitTimeSeconds: 1 })),
      provision: true,
    });
    app = await createTestApp({ providers: providers as never }, { transports: [transport] });
    return app;
  }

  it('publishes with PutEvents and consumes through a rule and SQS, upcasting and keeping the metadata', async () => {
    @Injectable()
    class Recorder {
      readonly seen: EventOf<typeof ThingHappened>[] = [];
      @EventHandler(ThingHappened)
      onThing(event: EventOf<typeof ThingHappened>) {
        this.seen.push(event);
      }
    }
    const { app: nest, probe } = await boot([Recorder], [`${prefix}-things`]);
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const v2 = ThingHappened.create(
      { name: 'new', size: 3 },
      { aggregateId: 'a-1', metadata: { traceparent } },
    );
    const v1 = ThingHappenedV1.create({ name: 'old' });
    await nest.get(EventBus).publishAll([v2, v1]);
    await probe.waitFor('thing.happened', (e) => e.id === v2.id, { timeoutMs: 10_000 });
    await probe.waitFor('thing.happened', (e) => e.id === v1.id, { timeoutMs: 10_000 });
    const seen = nest.get(Recorder).seen;
    expect(seen.find((e) => e.id === v2.id)).toEqual({
      id: v2.id,
      type: 'thing.happened',
      source: 'test',
      aggregateId: 'a-1',
      version: 2,
      occurredAt: v2.occurredAt,
      data: { name: 'new', size: 3 },
      metadata: { correlationId: v2.id, traceparent },
    });
    expect(seen.find((e) => e.id === v1.id)).toMatchObject({
      version: 2,
      data: { name: 'old', size: 0 },
      metadata: { correlationId: v1.id },
    });
    expect(putEventsCalls()).toBe(1);
    expect(transport!.health()).toMatchObject({
      status: 'up',
      details: {
        eventBus: `${prefix}-bus`,
        consumers: [{ queue: `${prefix}-things`, running: true, consecutiveFailures: 0 }],
        publisher: { lastSuccessAt: expect.any(Date) },
      },
    });
  });

  it('lets the rule filter at the broker: a wildcard handler only receives matching detail-types', async () => {
    const things = `${prefix}-things`;
    const everything = `${prefix}-all`;
    @Injectable()
    class Handlers {
      readonly things: string[] = [];
      readonly everything: string[] = [];
      @EventHandler('thing.*', { queue: things })
      onThing(event: { type: string }) {
        this.things.push(event.type);
      }
      @EventHandler('**', { queue: everything })
      onAny(event: { type: string }) {
        this.everything.push(event.type);
      }
    }
    const { app: nest, probe } = await boot([Handlers], [things, everything]);
    const bus = nest.get(EventBus);
    // One PutEvents call: moto routes every entry to every matching rule before it returns.
    // LocalStack routes each entry after it returned, trying the rules in the order they were
    // created: the wildcard queue's, then the catch-all's. Either way, once the catch-all queue
    // has an event, the wildcard queue's rule has had it.
    await bus.publishAll([
      OtherHappened.create({ n: 1 }),
      ThingNoted.create({ note: 'n' }),
      OtherHappened.create({ n: 2 }),
      ThingArchived.create({ name: 'a' }),
    ]);
    const handlers = nest.get(Handlers);
    await until(() => handlers.everything.length === 4, 10_000, 'the catch-all queue to see all');
    await until(() => handlers.things.length === 2, 10_000, 'the wildcard queue to see its two');
    // Had the rule let an other.* event through, it would be in the queue or, with no handler to
    // take it, in its dead-letter queue.
    await until(async () => {
      const depth = await queues.depth(things);
      return depth.visible + depth.inFlight === 0;
    });
    expect(await queues.depth(`${things}-dlq`)).toEqual({ visible: 0, inFlight: 0 });
    expect(probe.deadLettered).toEqual([]);
    expect(handlers.things.sort()).toEqual(['thing.archived', 'thing.noted']);
    expect(handlers.everything.sort()).toEqual([
      'other.happened',
      'other.happened',
      'thing.archived',
      'thing.noted',
    ]);
  });
});

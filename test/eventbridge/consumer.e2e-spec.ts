import {
  DescribeRuleCommand,
  EventBridgeClient,
  ListTargetsByRuleCommand,
} from '@aws-sdk/client-eventbridge';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { Injectable } from '@nestjs/common';
import { EventBus, EventHandler, type EventOf } from '@nestjs-events/core';
import {
  EventBridgeTransport,
  toPutEventsEntry,
  type EventBridgeTransportOptions,
} from '@nestjs-events/eventbridge';
import { DEAD_LETTER_ATTRIBUTES } from '@nestjs-events/sqs';
import { awsTestConfig, EVENTBRIDGE_EMULATORS, uniqueName } from '../fixtures/aws';
import { createTestApp, type TestApp } from '../fixtures/create-app';
import { ThingArchived, ThingHappened, ThingNoted } from '../fixtures/events';
import { QueueInspector } from '../fixtures/sqs-queue';

jest.setTimeout(30_000);

describe.each(EVENTBRIDGE_EMULATORS)('EventBridge consumer and provisioning on %s', (emulator) => {
  let app: TestApp | undefined;
  let queues: QueueInspector;
  let events: EventBridgeClient;
  let prefix: string;
  let bus: string;
  let queue: string;

  beforeEach(() => {
    queues = new QueueInspector(emulator);
    events = new EventBridgeClient(awsTestConfig(emulator));
    prefix = uniqueName('ebc');
    bus = `${prefix}-bus`;
    queue = `${prefix}-q`;
  });
  afterEach(async () => {
    await app?.app.close();
    app = undefined;
    queues.close();
    events.destroy();
  });

  function transportWith(options: Partial<EventBridgeTransportOptions> = {}) {
    return new EventBridgeTransport({
      ...awsTestConfig(emulator),
      eventBusName: bus,
      queues: [{ name: queue, waitTimeSeconds: 1, visibilityTimeoutSeconds: 5 }],
      provision: true,
      ...options,
    });
  }

  async function boot(
    providers: unknown[],
    options: Partial<EventBridgeTransportOptions> = {},
  ): Promise<TestApp> {
    app = await createTestApp(
      { providers: providers as never },
      { transports: [transportWith(options)] },
    );
    return app;
  }

  it('provisions the bus, the queue with its dead-letter queue, a rule, its target and the queue policy', async () => {
    @Injectable()
    class Sink {
      @EventHandler(ThingHappened)
      onThing() {}
      @EventHandler('thing.*')
      onAnyThing() {}
    }
    await boot([Sink]);
    const rule = await events.send(
      new DescribeRuleCommand({ Name: `${queue}-events`, EventBusName: bus }),
    );
    expect(JSON.parse(rule.EventPattern!)).toEqual({
      'detail-type': ['thing.happened', { prefix: 'thing.' }],
    });
    expect(rule.State).toBe('ENABLED');
    const queueUrl = await queues.url(queue);
    const { Attributes } = await queues.client.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['All'] }),
    );
    const { Targets } = await events.send(
      new ListTargetsByRuleCommand({ Rule: `${queue}-events`, EventBusName: bus }),
    );
    const { deadLetterTargetArn } = JSON.parse(Attributes!.RedrivePolicy!) as {
      deadLetterTargetArn: string;
    };
    // What the bus cannot deliver to the queue goes to the queue's dead-letter queue.
    expect(Targets).toEqual([
      { Id: 'queue', Arn: Attributes!.QueueArn, DeadLetterConfig: { Arn: deadLetterTargetArn } },
    ]);
    expect(JSON.parse(Attributes!.RedrivePolicy!)).toMatchObject({
      deadLetterTargetArn: expect.stringMatching(new RegExp(`:${queue}-dlq$`)),
      maxReceiveCount: 5,
    });
    const deadLetter = await queues.client.send(
      new GetQueueAttributesCommand({
        QueueUrl: await queues.url(`${queue}-dlq`),
        AttributeNames: ['Policy'],
      }),
    );
    expect(JSON.parse(deadLetter.Attributes!.Policy!)).toMatchObject({
      Statement: [
        {
          Principal: { Service: 'events.amazonaws.com' },
          Resource: deadLetterTargetArn,
          Condition: { ArnEquals: { 'aws:SourceArn': rule.Arn } },
        },
      ],
    });
    expect(JSON.parse(Attributes!.Policy!)).toMatchObject({
      Statement: [
        {
          Effect: 'Allow',
          Principal: { Service: 'events.amazonaws.com' },
          Action: 'sqs:SendMessage',
          Resource: Attributes!.QueueArn,
          Condition: { ArnEquals: { 'aws:SourceArn': rule.Arn } },
        },
      ],
    });

    // Provisioning again (a second instance, or the next start) changes nothing and fails nothing.
    await app!.app.close();
    app = undefined;
    await boot([Sink]);
    const again = await events.send(
      new ListTargetsByRuleCommand({ Rule: `${queue}-events`, EventBusName: bus }),
    );
    expect(again.Targets).toEqual(Targets);
  });

  it('dead-letters poison messages and exhausted retries with the reason, while consuming the rest', async () => {
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
    const test = await boot([Mixed]);
    const good = ThingHappened.create({ name: 'good', size: 1 }, { source: 'raw' });
    const detail = toPutEventsEntry(good, bus).Detail!;
    // What a rule delivers, but with a detail that is not the rest of an envelope.
    await queues.send(
      queue,
      JSON.stringify({ 'detail-type': 'thing.happened', source: 'elsewhere', detail: { a: 1 } }),
    );
    await queues.send(queue, 'not json {');
    await queues.send(
      queue,
      JSON.stringify({
        'detail-type': 'thing.happened',
        source: 'raw',
        detail: { ...JSON.parse(detail), id: 'bad-schema', data: { name: 5 } },
      }),
    );
    const eventBus = test.app.get(EventBus);
    await eventBus.publish(ThingNoted.create({ note: 'n' }));
    await eventBus.publish(ThingHappened.create({ name: 'published', size: 2 }));
    const dead = await queues.drain(`${queue}-dlq`, 4, 20_000);
    const reasonOf = (m: (typeof dead)[number]) =>
      m.MessageAttributes?.[DEAD_LETTER_ATTRIBUTES.reason]?.StringValue;
    expect(dead.map(reasonOf).sort()).toEqual(
      ['malformed-json', 'max-attempts', 'non-retryable', 'not-an-event'].sort(),
    );
    const failing = dead.find((m) => reasonOf(m) === 'max-attempts')!;
    expect(JSON.parse(failing.Body!)).toMatchObject({
      'detail-type': 'thing.noted',
      source: 'test',
    });
    expect(failing.MessageAttributes?.[DEAD_LETTER_ATTRIBUTES.handler]?.StringValue).toBe(
      'Mixed.onNote',
    );
    expect(failing.MessageAttributes?.[DEAD_LETTER_ATTRIBUTES.error]?.StringValue).toBe(
      'Error: note store is down',
    );
    expect(
      dead.find((m) => reasonOf(m) === 'non-retryable')?.MessageAttributes?.[
        DEAD_LETTER_ATTRIBUTES.error
      ]?.StringValue,
    ).toMatch(/EventValidationError: Event "thing.happened" v2 has invalid data: name/);
    await test.probe.waitFor('thing.happened', (e) => e.source === 'test', { timeoutMs: 10_000 });
    expect(test.app.get(Mixed).handled).toEqual(['published']);
  });

  it('fails at start when the bus does not exist and provisioning is off, naming the bus', async () => {
    @Injectable()
    class Sink {
      @EventHandler(ThingArchived)
      on() {}
    }
    const transport = transportWith({ provision: false });
    // The error says where it looked: the emulator's endpoint and the region.
    await expect(createTestApp({ providers: [Sink] }, { transports: [transport] })).rejects.toThrow(
      new RegExp(
        `EventBridge event bus "${bus}" does not exist at endpoint http://127\\.0\\.0\\.1:\\d+, ` +
          'region us-east-1\\. Create it, check the region, or set provision: true on ' +
          'transport "eventbridge"',
      ),
    );
    await transport.stop({ deadlineMs: 0 });
  });

  it('starts without provisioning on a bus that exists, such as the default one', async () => {
    const transport = transportWith({ eventBusName: 'default', queues: [], provision: false });
    app = await createTestApp({}, { transports: [transport] });
    expect(transport.health()).toMatchObject({
      status: 'up',
      details: { eventBus: 'default', consumers: [] },
    });
  });
});

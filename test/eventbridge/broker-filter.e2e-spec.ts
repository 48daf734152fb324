import {
  DescribeRuleCommand,
  EventBridgeClient,
  PutRuleCommand,
  PutTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import { CreateQueueCommand, GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { Injectable } from '@nestjs/common';
import {
  defineEvent,
  EventBus,
  EventHandler,
  type EventOf,
  type EventPattern,
} from '@nestjs-events/core';
import { EventBridgeTransport } from '@nestjs-events/eventbridge';
import { z } from 'zod';
import { awsTestConfig, EVENTBRIDGE_EMULATORS, uniqueName } from '../fixtures/aws';
import { createTestApp, type TestApp } from '../fixtures/create-app';
import { ThingNoted } from '../fixtures/events';
import { RecordingSqsClient } from '../fixtures/received-messages';
import { QueueInspector } from '../fixtures/sqs-queue';
import { until } from '../fixtures/until';

jest.setTimeout(30_000);

const PaymentMade = defineEvent({
  type: 'payment.made',
  schema: z.object({ amount: z.number() }),
});

// numeric and $or are among the operators moto's rule matching implements (it has no wildcard,
// and its TestEventPattern is a stub), and LocalStack's implements them too, so the rules below
// are really evaluated by the emulator.
const BIG: EventPattern = { data: { amount: [{ numeric: ['>=', 100_000] }] } };

describe.each(EVENTBRIDGE_EMULATORS)('EventBridge broker-side filtering on %s', (emulator) => {
  let app: TestApp | undefined;
  let queues: QueueInspector;
  let events: EventBridgeClient;
  let sqs: RecordingSqsClient;
  let prefix: string;
  let bus: string;

  beforeEach(() => {
    queues = new QueueInspector(emulator);
    events = new EventBridgeClient(awsTestConfig(emulator));
    sqs = new RecordingSqsClient(emulator);
    prefix = uniqueName('ebf');
    bus = `${prefix}-bus`;
  });
  afterEach(async () => {
    await app?.app.close();
    app = undefined;
    queues.close();
    events.destroy();
    sqs.destroy();
  });

  async function boot(providers: unknown[], queue: string): Promise<TestApp> {
    app = await createTestApp(
      { providers: providers as never },
      {
        transports: [
          new EventBridgeTransport({
            ...awsTestConfig(emulator),
            eventBusName: bus,
            queues: [{ name: queue, waitTimeSeconds: 1 }],
            provision: true,
            sqsClient: sqs.client,
          }),
        ],
      },
    );
    return app;
  }

  /** Lets the consumer poll twice more: whatever the rule delivered is received by then. */
  async function pollTwiceMore(): Promise<void> {
    const receives = sqs.receives;
    await until(() => sqs.receives >= receives + 2, 10_000, 'two more polls');
  }

  /**
   * A queue of its own with a rule for every event of the app, created after the transport's
   * rules. LocalStack routes each PutEvents entry on a thread of its own after the call returned
   * (as AWS does), trying the rules of the bus one after the other in the order they were
   * created; moto routes every entry before it returns. So, on both, once an event is in this
   * queue, the handler's rule has had it: had the rule let it through, it would be in the
   * handler's queue by then.
   */
  async function witness(): Promise<(eventId: string) => Promise<void>> {
    const name = `${prefix}-witness`;
    const { QueueUrl } = await queues.client.send(new CreateQueueCommand({ QueueName: name }));
    const { Attributes } = await queues.client.send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
    );
    await events.send(
      new PutRuleCommand({
        Name: name,
        EventBusName: bus,
        EventPattern: JSON.stringify({ source: ['test'] }),
      }),
    );
    await events.send(
      new PutTargetsCommand({
        Rule: name,
        EventBusName: bus,
        Targets: [{ Id: 'witness', Arn: Attributes!.QueueArn }],
      }),
    );
    const bodies: string[] = [];
    return (eventId) =>
      until(
        async () => {
          bodies.push(...(await queues.drain(name, 1, 1000)).map((m) => m.Body ?? ''));
          return bodies.some((body) => body.includes(eventId));
        },
        10_000,
        `event ${eventId} in the witness queue`,
      );
  }

  async function expectQueuesEmpty(queue: string): Promise<void> {
    await until(async () => {
      const depth = await queues.depth(queue);
      return depth.visible + depth.inFlight === 0;
    });
    expect(await queues.depth(`${queue}-dlq`)).toEqual({ visible: 0, inFlight: 0 });
  }

  it("puts the handler's translated pattern in the rule, which keeps other events out of the queue", async () => {
    const queue = `${prefix}-big`;
    @Injectable()
    class BigPayments {
      readonly amounts: number[] = [];
      @EventHandler(PaymentMade, { pattern: BIG })
      onPayment(event: EventOf<typeof PaymentMade>) {
        this.amounts.push(event.data.amount);
      }
    }
    const { app: nest, probe } = await boot([BigPayments], queue);
    const routed = await witness();
    const rule = await events.send(
      new DescribeRuleCommand({ Name: `${queue}-events`, EventBusName: bus }),
    );
    expect(JSON.parse(rule.EventPattern!)).toEqual({
      'detail-type': ['payment.made'],
      detail: { data: { amount: [{ numeric: ['>=', 100_000] }] } },
    });

    const small = PaymentMade.create({ amount: 50 });
    const edge = PaymentMade.create({ amount: 100_000 });
    const large = PaymentMade.create({ amount: 150_000 });
    await nest.get(EventBus).publishAll([small, edge, large]);
    await probe.waitFor('payment.made', (e) => e.id === edge.id, { timeoutMs: 10_000 });
    await probe.waitFor('payment.made', (e) => e.id === large.id, { timeoutMs: 10_000 });
    // The small one has been through the rule: had it matched, it would be in the queue now.
    await routed(small.id);
    await pollTwiceMore();

    // The broker filtered: the small payment was never received, so the in-process filter (which
    // would have skipped it as "filtered") never had to act.
    expect(sqs.including(small.id)).toEqual([]);
    expect(sqs.including(edge.id)).toHaveLength(1);
    expect(sqs.including(large.id)).toHaveLength(1);
    expect(probe.of('skipped')).toEqual([]);
    expect(nest.get(BigPayments).amounts.sort((a, b) => a - b)).toEqual([100_000, 150_000]);
    await expectQueuesEmpty(queue);
  });

  it('ORs the handlers of one queue: types alone for a handler without a pattern', async () => {
    const queue = `${prefix}-mixed`;
    @Injectable()
    class Mixed {
      readonly seen: string[] = [];
      @EventHandler(PaymentMade, { pattern: BIG })
      onPayment(event: EventOf<typeof PaymentMade>) {
        this.seen.push(`payment ${event.data.amount}`);
      }
      @EventHandler(ThingNoted)
      onNote(event: EventOf<typeof ThingNoted>) {
        this.seen.push(`note ${event.data.note}`);
      }
    }
    const { app: nest, probe } = await boot([Mixed], queue);
    const routed = await witness();
    const rule = await events.send(
      new DescribeRuleCommand({ Name: `${queue}-events`, EventBusName: bus }),
    );
    expect(JSON.parse(rule.EventPattern!)).toEqual({
      $or: [
        { 'detail-type': ['thing.noted'] },
        {
          'detail-type': ['payment.made'],
          detail: { data: { amount: [{ numeric: ['>=', 100_000] }] } },
        },
      ],
    });

    const small = PaymentMade.create({ amount: 50 });
    const note = ThingNoted.create({ note: 'n' });
    const large = PaymentMade.create({ amount: 150_000 });
    await nest.get(EventBus).publishAll([small, note, large]);
    const handlers = nest.get(Mixed);
    await until(() => handlers.seen.length === 2, 10_000, 'the note and the large payment');
    await routed(small.id);
    await pollTwiceMore();

    expect(handlers.seen.sort()).toEqual(['note n', 'payment 150000']);
    expect(sqs.including(small.id)).toEqual([]);
    expect(probe.of('skipped')).toEqual([]);
    await expectQueuesEmpty(queue);
  });
});

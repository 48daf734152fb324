import { DescribeRuleCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
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
import { awsTestConfig, uniqueName } from '../fixtures/aws';
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
// and its TestEventPattern is a stub), so the rules below are really evaluated by the emulator.
const BIG: EventPattern = { data: { amount: [{ numeric: ['>=', 100_000] }] } };

describe('EventBridge broker-side filtering on moto', () => {
  let app: TestApp | undefined;
  let queues: QueueInspector;
  let events: EventBridgeClient;
  let sqs: RecordingSqsClient;
  let prefix: string;
  let bus: string;

  beforeEach(() => {
    queues = new QueueInspector('moto');
    events = new EventBridgeClient(awsTestConfig('moto'));
    sqs = new RecordingSqsClient('moto');
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
            ...awsTestConfig('moto'),
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
    // One PutEvents call: moto routes every entry to every matching rule before it returns, so
    // by the time the matching ones are handled the small one would be in the queue too.
    await nest.get(EventBus).publishAll([small, edge, large]);
    await probe.waitFor('payment.made', (e) => e.id === edge.id, { timeoutMs: 10_000 });
    await probe.waitFor('payment.made', (e) => e.id === large.id, { timeoutMs: 10_000 });
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
    await pollTwiceMore();

    expect(handlers.seen.sort()).toEqual(['note n', 'payment 150000']);
    expect(sqs.including(small.id)).toEqual([]);
    expect(probe.of('skipped')).toEqual([]);
    await expectQueuesEmpty(queue);
  });
});

import {
  CreateTopicCommand,
  GetSubscriptionAttributesCommand,
  ListSubscriptionsByTopicCommand,
  SNSClient,
} from '@aws-sdk/client-sns';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { Injectable } from '@nestjs/common';
import {
  defineEvent,
  EventBus,
  EventHandler,
  type EventOf,
  type EventPattern,
} from '@nestjs-events/core';
import { SnsSqsTransport, type SnsSqsTransportOptions } from '@nestjs-events/sns';
import { z } from 'zod';
import { awsTestConfig, SNS_SQS_EMULATORS, uniqueName, type Emulator } from '../fixtures/aws';
import { createTestApp, type TestApp } from '../fixtures/create-app';
import { ThingNoted } from '../fixtures/events';
import { RecordingSqsClient } from '../fixtures/received-messages';
import { QueueInspector } from '../fixtures/sqs-queue';
import { until } from '../fixtures/until';

jest.setTimeout(30_000);

const PaymentMade = defineEvent({
  type: 'payment.made',
  schema: z.object({ amount: z.number(), reference: z.string() }),
});

// Exact values, prefix and numeric on the body are what all three emulators' filter policies
// implement alike (fauxqs has no equals-ignore-case, wildcard or cidr and skips arrays in the
// body; moto compares equals-ignore-case against the policy value without lowering it).
const BIG: EventPattern = { data: { amount: [{ numeric: ['>=', 100_000] }] } };
// Not expressible in an SNS filter policy at all, so it stays with the in-process filter.
const WILDCARD: EventPattern = { data: { reference: [{ wildcard: 'keep-*' }] } };

interface Filter {
  readonly policy: unknown;
  readonly scope: string | undefined;
}

describe.each(SNS_SQS_EMULATORS)('SNS broker-side filtering on %s', (emulator) => {
  let app: TestApp | undefined;
  let queues: QueueInspector;
  let sns: SNSClient;
  let sqs: RecordingSqsClient;
  let prefix: string;
  let queue: string;

  beforeEach(() => {
    queues = new QueueInspector(emulator);
    sns = new SNSClient(awsTestConfig(emulator));
    sqs = new RecordingSqsClient(emulator);
    prefix = uniqueName('sf');
    queue = `${prefix}-q`;
  });
  afterEach(async () => {
    await app?.app.close();
    app = undefined;
    queues.close();
    sns.destroy();
    sqs.destroy();
  });

  async function boot(
    providers: unknown[],
    transport: Partial<SnsSqsTransportOptions> = {},
  ): Promise<TestApp> {
    app = await createTestApp(
      { providers: providers as never },
      {
        transports: [
          new SnsSqsTransport({
            ...awsTestConfig(emulator),
            topics: { prefix: `${prefix}-` },
            queues: [{ name: queue, waitTimeSeconds: 1, visibilityTimeoutSeconds: 5 }],
            provision: true,
            sqsClient: sqs.client,
            ...transport,
          }),
        ],
      },
    );
    return app;
  }

  async function topicArn(name: string): Promise<string> {
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: name }));
    return TopicArn!;
  }

  /** The filter of the queue's subscription to `topic`, as SNS reports it. */
  async function filterOf(topic: string): Promise<Filter> {
    const { Attributes } = await queues.client.send(
      new GetQueueAttributesCommand({
        QueueUrl: await queues.url(queue),
        AttributeNames: ['QueueArn'],
      }),
    );
    const { Subscriptions } = await sns.send(
      new ListSubscriptionsByTopicCommand({ TopicArn: topic }),
    );
    const subscription = Subscriptions?.find((s) => s.Endpoint === Attributes!.QueueArn);
    expect(subscription).toBeDefined();
    const { Attributes: attributes } = await sns.send(
      new GetSubscriptionAttributesCommand({ SubscriptionArn: subscription!.SubscriptionArn }),
    );
    return {
      policy: attributes?.FilterPolicy ? JSON.parse(attributes.FilterPolicy) : undefined,
      scope: attributes?.FilterPolicy ? attributes.FilterPolicyScope : undefined,
    };
  }

  /** Lets the consumer poll twice more: whatever SNS delivered is received by then. */
  async function pollTwiceMore(): Promise<void> {
    const receives = sqs.receives;
    await until(() => sqs.receives >= receives + 2, 10_000, 'two more polls');
  }

  async function expectQueuesEmpty(): Promise<void> {
    await until(async () => {
      const depth = await queues.depth(queue);
      return depth.visible + depth.inFlight === 0;
    });
    expect(await queues.depth(`${queue}-dlq`)).toEqual({ visible: 0, inFlight: 0 });
  }

  @Injectable()
  class BigPayments {
    readonly amounts: number[] = [];
    @EventHandler(PaymentMade, { pattern: BIG })
    onPayment(event: EventOf<typeof PaymentMade>) {
      this.amounts.push(event.data.amount);
    }
  }

  const payments = () => ({
    small: PaymentMade.create({ amount: 50, reference: 'a' }),
    edge: PaymentMade.create({ amount: 100_000, reference: 'b' }),
    large: PaymentMade.create({ amount: 150_000, reference: 'c' }),
  });

  it("filters the topic's subscription on the body with the handler's pattern", async () => {
    const { app: nest, probe } = await boot([BigPayments]);
    expect(await filterOf(await topicArn(`${prefix}-payment-made`))).toEqual({
      policy: BIG,
      scope: 'MessageBody',
    });

    const { small, edge, large } = payments();
    // One PublishBatch: the emulator fans every entry out before it answers (LocalStack filters
    // the batch before it answers, then sends what passed in one SendMessageBatch), so by the
    // time the matching ones are handled the small one would be in the queue too.
    await nest.get(EventBus).publishAll([small, edge, large]);
    await probe.waitFor('payment.made', (e) => e.id === large.id, { timeoutMs: 10_000 });
    await probe.waitFor('payment.made', (e) => e.id === edge.id, { timeoutMs: 10_000 });
    await pollTwiceMore();

    // SNS kept the small payment out of the queue: it was never received, so the in-process
    // filter never had to skip it.
    expect(sqs.including(small.id)).toEqual([]);
    expect(sqs.including(large.id)).toHaveLength(1);
    expect(probe.of('skipped')).toEqual([]);
    expect(nest.get(BigPayments).amounts.sort((a, b) => a - b)).toEqual([100_000, 150_000]);
    await expectQueuesEmpty();
  });

  it("filters a shared topic on the body's type AND the pattern, instead of the event-type attribute", async () => {
    const shared = await topicArn(`${prefix}-all`);
    const { app: nest, probe } = await boot([BigPayments], { topics: { arn: shared } });
    expect(await filterOf(shared)).toEqual({
      policy: { type: ['payment.made'], ...BIG },
      scope: 'MessageBody',
    });

    const { small, large } = payments();
    const note = ThingNoted.create({ note: 'no handler here' });
    await nest.get(EventBus).publishAll([small, note, large]);
    await probe.waitFor('payment.made', (e) => e.id === large.id, { timeoutMs: 10_000 });
    await pollTwiceMore();

    expect(sqs.including(small.id)).toEqual([]);
    // A type no handler of the queue takes would have been dead-lettered as unknown.
    expect(sqs.including(note.id)).toEqual([]);
    expect(probe.of('skipped')).toEqual([]);
    await expectQueuesEmpty();
  });

  it('leaves a pattern SNS cannot express to the handler: no policy, the rest skipped and deleted', async () => {
    @Injectable()
    class Keeper {
      readonly kept: string[] = [];
      @EventHandler(PaymentMade, { pattern: WILDCARD })
      onPayment(event: EventOf<typeof PaymentMade>) {
        this.kept.push(event.data.reference);
      }
    }
    const { app: nest, probe } = await boot([Keeper]);
    expect(await filterOf(await topicArn(`${prefix}-payment-made`))).toEqual({
      policy: undefined,
      scope: undefined,
    });

    const drop = PaymentMade.create({ amount: 1, reference: 'drop-1' });
    const keep = PaymentMade.create({ amount: 2, reference: 'keep-1' });
    await nest.get(EventBus).publishAll([drop, keep]);
    await probe.waitFor('payment.made', (e) => e.id === keep.id, { timeoutMs: 10_000 });
    const skipped = await probe.waitForSkipped('payment.made', (e) => e.id === drop.id, {
      timeoutMs: 10_000,
    });

    expect(skipped.reason).toBe('filtered');
    expect(sqs.including(drop.id)).toHaveLength(1);
    expect(nest.get(Keeper).kept).toEqual(['keep-1']);
    // Skipped is acknowledged: deleted, neither redelivered nor dead-lettered.
    await expectQueuesEmpty();
    expect(probe.deadLettered).toEqual([]);
  });

  it('falls back to the event-type attribute on a shared topic when a pattern is beyond SNS', async () => {
    @Injectable()
    class Keeper {
      @EventHandler(PaymentMade, { pattern: WILDCARD })
      onPayment() {}
    }
    const shared = await topicArn(`${prefix}-all`);
    await boot([Keeper], { topics: { arn: shared } });
    expect(await filterOf(shared)).toEqual({
      policy: { 'event-type': ['payment.made'] },
      scope: 'MessageAttributes',
    });
  });
});

// moto 5.2.5 answers Publish with a 500 when a subscription's MessageBody policy has an "$or" (it
// evaluates the alternatives as message attributes and fails on the body's plain values), so the
// union of several handlers is shown on fauxqs and LocalStack.
const withOr: Emulator[] = ['fauxqs', 'localstack'];
describe.each(withOr)('SNS broker-side filtering of several handlers on %s', (emulator) => {
  let app: TestApp | undefined;
  let queues: QueueInspector;
  let sns: SNSClient;
  let sqs: RecordingSqsClient;

  beforeEach(() => {
    queues = new QueueInspector(emulator);
    sns = new SNSClient(awsTestConfig(emulator));
    sqs = new RecordingSqsClient(emulator);
  });
  afterEach(async () => {
    await app?.app.close();
    app = undefined;
    queues.close();
    sns.destroy();
    sqs.destroy();
  });

  it('ORs the handlers of a queue on a shared topic, each with its types AND its pattern', async () => {
    const prefix = uniqueName('sfu');
    const queue = `${prefix}-q`;
    const { TopicArn: shared } = await sns.send(new CreateTopicCommand({ Name: `${prefix}-all` }));
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
    app = await createTestApp(
      { providers: [Mixed] },
      {
        transports: [
          new SnsSqsTransport({
            ...awsTestConfig(emulator),
            topics: { arn: shared! },
            queues: [{ name: queue, waitTimeSeconds: 1 }],
            provision: true,
            sqsClient: sqs.client,
          }),
        ],
      },
    );
    const { Subscriptions } = await sns.send(
      new ListSubscriptionsByTopicCommand({ TopicArn: shared }),
    );
    const { Attributes } = await sns.send(
      new GetSubscriptionAttributesCommand({
        SubscriptionArn: Subscriptions![0].SubscriptionArn,
      }),
    );
    expect(JSON.parse(Attributes!.FilterPolicy)).toEqual({
      $or: [{ type: ['thing.noted'] }, { type: ['payment.made'], ...BIG }],
    });
    expect(Attributes!.FilterPolicyScope).toBe('MessageBody');

    const small = PaymentMade.create({ amount: 50, reference: 'a' });
    const note = ThingNoted.create({ note: 'n' });
    const large = PaymentMade.create({ amount: 150_000, reference: 'c' });
    await app.app.get(EventBus).publishAll([small, note, large]);
    const handlers = app.app.get(Mixed);
    await until(() => handlers.seen.length === 2, 10_000, 'the note and the large payment');
    const receives = sqs.receives;
    await until(() => sqs.receives >= receives + 2, 10_000, 'two more polls');

    expect(handlers.seen.sort()).toEqual(['note n', 'payment 150000']);
    expect(sqs.including(small.id)).toEqual([]);
    expect(app.probe.of('skipped')).toEqual([]);
  });
});

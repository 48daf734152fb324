import { SnsSqsTransport } from '../sns-sqs.transport';

describe('SnsSqsTransport.describeTopology', () => {
  // Describing makes no call: clients that would fail if used prove it.
  const clients = { snsClient: {} as never, sqsClient: {} as never };

  it('describes queues, topics, filtered raw subscriptions and queue policies', () => {
    const transport = new SnsSqsTransport({
      ...clients,
      topics: { prefix: 'shop-' },
      queues: [{ name: 'notifications', maxReceiveCount: 3 }],
    });
    const topology = transport.describeTopology({
      subscriptions: [
        {
          handler: 'A.web',
          eventTypes: ['order.created'],
          pattern: { data: { channel: ['web'] } },
        },
        { handler: 'B.all', eventTypes: ['user.registered'] },
      ],
      publishes: ['email.sent'],
    });
    expect(topology).toEqual({
      transport: 'sns-sqs',
      kind: 'sns-sqs',
      queues: [
        {
          name: 'notifications',
          fifo: false,
          deadLetterQueue: 'notifications-dlq',
          maxReceiveCount: 3,
          visibilityTimeoutSeconds: 30,
          handlers: ['A.web', 'B.all'],
          eventTypes: ['order.created', 'user.registered'],
        },
      ],
      topics: [
        { name: 'shop-order-created', fifo: false, eventTypes: ['order.created'] },
        { name: 'shop-user-registered', fifo: false, eventTypes: ['user.registered'] },
        { name: 'shop-email-sent', fifo: false, eventTypes: ['email.sent'] },
      ],
      subscriptions: [
        {
          topic: 'shop-order-created',
          queue: 'notifications',
          rawMessageDelivery: true,
          filterPolicy: { data: { channel: ['web'] } },
          filterPolicyScope: 'MessageBody',
        },
        { topic: 'shop-user-registered', queue: 'notifications', rawMessageDelivery: true },
      ],
      buses: [],
      rules: [],
      queuePolicies: [
        {
          queue: 'notifications',
          service: 'sns.amazonaws.com',
          sources: [
            { kind: 'topic', name: 'shop-order-created' },
            { kind: 'topic', name: 'shop-user-registered' },
          ],
        },
      ],
      notes: [],
    });
  });

  it('names the handler whose queue the transport does not have', () => {
    const transport = new SnsSqsTransport({ ...clients, queues: [{ name: 'q' }] });
    expect(() =>
      transport.describeTopology({
        subscriptions: [{ handler: 'A.h', eventTypes: ['a'], queue: 'other' }],
      }),
    ).toThrow('A.h consumes from queue "other", but transport "sns-sqs" has no such queue');
  });
});

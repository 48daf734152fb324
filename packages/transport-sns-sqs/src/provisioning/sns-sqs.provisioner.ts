import type * as Sns from '@aws-sdk/client-sns';
import type * as Sqs from '@aws-sdk/client-sqs';
import { Logger } from '@nestjs/common';
import { EventsConfigurationError } from '@nestjs-events/core';
import { EVENT_ATTRIBUTES } from '../codec/message-attributes';
import type { TopicResolver } from '../publishing/topic.resolver';

export interface QueueToProvision {
  readonly name: string;
  /** Event types and selectors (`order.*`) its handlers take. */
  readonly eventTypes: readonly string[];
  readonly deadLetterQueue: string;
  readonly maxReceiveCount: number;
  readonly visibilityTimeoutSeconds: number;
}

/**
 * Creates what the handlers need, for local development and tests: each queue with its
 * dead-letter queue and redrive policy, the topics, raw-delivery subscriptions, and the queue
 * policy that lets those topics send to it. Every call is idempotent.
 */
export class SnsSqsProvisioner {
  private readonly logger = new Logger(SnsSqsProvisioner.name);

  constructor(
    private readonly sns: typeof Sns,
    private readonly snsClient: Sns.SNSClient,
    private readonly sqs: typeof Sqs,
    private readonly sqsClient: Sqs.SQSClient,
    private readonly topics: TopicResolver,
    private readonly fifo: boolean,
  ) {}

  async provision(queue: QueueToProvision): Promise<void> {
    const dlq = await this.createQueue(queue.deadLetterQueue, {});
    const main = await this.createQueue(queue.name, {
      VisibilityTimeout: String(queue.visibilityTimeoutSeconds),
      RedrivePolicy: JSON.stringify({
        deadLetterTargetArn: dlq.arn,
        maxReceiveCount: queue.maxReceiveCount,
      }),
    });
    const topicArns = await this.subscribe(queue, main.arn);
    await this.sqsClient.send(
      new this.sqs.SetQueueAttributesCommand({
        QueueUrl: main.url,
        Attributes: { Policy: JSON.stringify(queuePolicy(main.arn, topicArns)) },
      }),
    );
    this.logger.log(
      `Provisioned queue "${queue.name}" (dead letters: "${queue.deadLetterQueue}") for ${queue.eventTypes.join(', ')}`,
    );
  }

  private async subscribe(queue: QueueToProvision, queueArn: string): Promise<string[]> {
    if (this.topics.shared) {
      const topicArn = await this.topics.arnFor(queue.eventTypes[0]);
      const filter = typeFilterPolicy(queue.eventTypes);
      await this.subscribeQueue(topicArn, queueArn, filter);
      return [topicArn];
    }
    const wildcard = queue.eventTypes.find((type) => type.includes('*'));
    if (wildcard) {
      throw new EventsConfigurationError(
        `Cannot provision "${wildcard}" for queue "${queue.name}": with one topic per event type, ` +
          'a wildcard names no topic. List the types, or use a shared topic (topics: { arn }).',
      );
    }
    const arns = await Promise.all(queue.eventTypes.map((type) => this.topics.arnFor(type)));
    await Promise.all(arns.map((arn) => this.subscribeQueue(arn, queueArn, undefined)));
    return arns;
  }

  private async subscribeQueue(
    topicArn: string,
    queueArn: string,
    filter: object | undefined,
  ): Promise<void> {
    const attributes: Record<string, string> = { RawMessageDelivery: 'true' };
    if (filter) {
      attributes.FilterPolicy = JSON.stringify(filter);
      attributes.FilterPolicyScope = 'MessageAttributes';
    }
    await this.snsClient.send(
      new this.sns.SubscribeCommand({
        TopicArn: topicArn,
        Protocol: 'sqs',
        Endpoint: queueArn,
        Attributes: attributes,
        ReturnSubscriptionArn: true,
      }),
    );
  }

  private async createQueue(
    name: string,
    attributes: Record<string, string>,
  ): Promise<{ url: string; arn: string }> {
    const fifo = this.fifo ? { FifoQueue: 'true' } : {};
    const { QueueUrl } = await this.sqsClient.send(
      new this.sqs.CreateQueueCommand({ QueueName: name, Attributes: fifo }),
    );
    // Set separately: CreateQueue refuses attributes that differ from an existing queue's.
    if (Object.keys(attributes).length) {
      await this.sqsClient.send(
        new this.sqs.SetQueueAttributesCommand({ QueueUrl, Attributes: attributes }),
      );
    }
    const { Attributes } = await this.sqsClient.send(
      new this.sqs.GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
    );
    return { url: QueueUrl!, arn: Attributes!.QueueArn! };
  }
}

/** SNS filter policy on the `event-type` attribute: exact types, and prefixes for wildcards. */
export function typeFilterPolicy(eventTypes: readonly string[]): object | undefined {
  if (eventTypes.some((type) => type === '**' || type.startsWith('**.') || type.startsWith('*.'))) {
    return undefined;
  }
  const values = eventTypes.map((type) => {
    const star = type.indexOf('*');
    // `order.*` and `order.**` both start with `order.`; the in-process match stays the final word.
    return star === -1 ? type : { prefix: type.slice(0, star) };
  });
  return { [EVENT_ATTRIBUTES.type]: values };
}

function queuePolicy(queueArn: string, topicArns: readonly string[]): object {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'AllowSnsTopics',
        Effect: 'Allow',
        Principal: { Service: 'sns.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Resource: queueArn,
        Condition: { ArnEquals: { 'aws:SourceArn': topicArns } },
      },
    ],
  };
}

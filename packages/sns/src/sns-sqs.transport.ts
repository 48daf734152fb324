import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { Logger } from '@nestjs/common';
import {
  createPublishRetry,
  type DescribesTopology,
  type TopologyRequest,
  type TransportTopology,
} from '@nestjs-events/core/transport';
import {
  clientConfig,
  serviceQueuePolicy,
  SqsConsumingTransport,
} from '@nestjs-events/sqs/transport';
import { SnsSqsProvisioner } from './provisioning/sns-sqs.provisioner';
import { describeSnsSqsTopology } from './provisioning/sns-sqs.topology';
import { SnsPublisher } from './publishing/sns.publisher';
import { TopicResolver } from './publishing/topic.resolver';
import type { SnsSqsTransportOptions } from './sns-sqs-transport-options.interface';

/**
 * Publishes through SNS and consumes from SQS. Handlers are grouped by queue (`queue` option, or
 * the first queue); each queue gets its own long-poll consumer once the application has started,
 * or, with `consume: 'lambda'`, its messages come from Lambda through `createSqsLambdaHandler`.
 */
export class SnsSqsTransport extends SqsConsumingTransport implements DescribesTopology {
  /** Publishes to SNS, consumes from SQS (`messaging.system` of its spans). */
  readonly messaging = this.messagingOf('aws_sns');
  private readonly logger = new Logger(SnsSqsTransport.name);
  private readonly snsClient: SNSClient;
  private readonly sqsClient: SQSClient;
  private readonly topics: TopicResolver;
  protected readonly publisher: SnsPublisher;

  constructor(private readonly options: SnsSqsTransportOptions = {}) {
    const name = options.name ?? 'sns-sqs';
    const sqsClient = options.sqsClient ?? new SQSClient(clientConfig(options));
    const fifo = options.fifo ?? false;
    super(name, sqsClient, options, { fifo });
    this.sqsClient = sqsClient;
    this.snsClient = options.snsClient ?? new SNSClient(clientConfig(options));
    this.topics = new TopicResolver(
      this.snsClient,
      options.topics ?? {},
      fifo,
      options.provision ?? false,
      name,
    );
    this.publisher = new SnsPublisher(
      this.snsClient,
      this.topics,
      fifo,
      createPublishRetry(options.publishRetry),
    );
  }

  protected async beforeConsuming(): Promise<void> {
    if (this.options.provision) await this.provision();
  }

  protected closeClients(): void {
    if (!this.options.snsClient) this.snsClient.destroy();
    if (!this.options.sqsClient) this.sqsClient.destroy();
  }

  /**
   * The queues of `subscriptions` with their dead-letter queues, the topics they read and that
   * `publishes` go to, the subscriptions with their filter policies, and the queue policies: what
   * `provision: true` creates (topics of published types on their first publish).
   */
  describeTopology({ subscriptions, publishes = [] }: TopologyRequest): TransportTopology {
    return describeSnsSqsTopology({
      transport: this.name,
      fifo: this.options.fifo ?? false,
      topics: this.topics,
      consumption: this.consumption,
      subscriptions,
      publishes,
    });
  }

  private async provision(): Promise<void> {
    const topology = this.describeTopology({ subscriptions: this.consumption.subscribed() });
    for (const note of topology.notes) this.logger.warn(note);
    const provisioner = new SnsSqsProvisioner(this.snsClient);
    const queues = await this.consumption.provision();
    const topicArns = new Map<string, Promise<string>>(
      topology.topics.map((topic) => [topic.name, this.topics.arnFor(topic.eventTypes[0])]),
    );
    for (const queue of queues) {
      const name = queue.options.name;
      const own = topology.subscriptions.filter((subscription) => subscription.queue === name);
      const arns = await Promise.all(own.map(({ topic }) => topicArns.get(topic)!));
      await Promise.all(
        own.map((subscription, index) =>
          provisioner.subscribe(arns[index], queue.arn, subscription),
        ),
      );
      this.logger.log(`Subscribed queue "${name}" to ${queue.eventTypes.join(', ')}`);
      await this.consumption.setQueuePolicy(
        queue.url,
        serviceQueuePolicy(queue.arn, 'sns.amazonaws.com', [...new Set(arns)]),
      );
    }
    this.logger.log(`Provisioned ${queues.length} queue(s)`);
  }
}

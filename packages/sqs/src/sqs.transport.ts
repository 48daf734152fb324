import { SQSClient } from '@aws-sdk/client-sqs';
import { Logger } from '@nestjs/common';
import {
  createPublishRetry,
  type DescribesTopology,
  type TopologyQueue,
  type TopologyRequest,
  type TransportTopology,
} from '@nestjs-events/core/transport';
import { clientConfig } from './client-config';
import { MAX_SQS_MESSAGE_BYTES } from './codec/message-attributes';
import { DEFAULT_CONSUMER_OPTIONS } from './consuming/sqs-consumer-options.interface';
import {
  deadLetterQueueName,
  DEFAULT_MAX_RECEIVE_COUNT,
  SqsQueueProvisioner,
} from './provisioning/sqs-queue.provisioner';
import { SqsPublisher } from './publishing/sqs.publisher';
import { SqsConsumingTransport } from './sqs-consuming.transport';
import type { SqsTransportOptions } from './sqs-transport-options.interface';

/**
 * Point-to-point over SQS: publishes straight to queues (`publishTo`) and consumes queues with a
 * long-poll consumer per queue that has handlers (or, with `consume: 'lambda'`, through
 * `createSqsLambdaHandler`). Handlers pick a queue with `queue`; the first queue is the default.
 */
export class SqsTransport extends SqsConsumingTransport implements DescribesTopology {
  /** SQS both ways (`messaging.system` of its spans). */
  readonly messaging = this.messagingOf('aws_sqs');
  private readonly logger = new Logger(SqsTransport.name);
  private readonly client: SQSClient;
  protected readonly publisher: SqsPublisher;

  constructor(private readonly options: SqsTransportOptions = {}) {
    const name = options.name ?? 'sqs';
    const client = options.sqsClient ?? new SQSClient(clientConfig(options));
    const fifo = options.fifo ?? false;
    // What this transport publishes may use SQS's whole message size.
    super(name, client, options, { fifo, maxEventBytes: MAX_SQS_MESSAGE_BYTES });
    this.client = client;
    this.publisher = new SqsPublisher(
      client,
      name,
      options.publishTo,
      fifo,
      createPublishRetry(options.publishRetry),
    );
  }

  protected async beforeConsuming(): Promise<void> {
    if (this.options.provision) await this.provision();
  }

  protected closeClients(): void {
    if (!this.options.sqsClient) this.client.destroy();
  }

  /**
   * The consumed queues of `subscriptions` and the queues published to, each with its
   * dead-letter queue and redrive policy: what `provision: true` creates.
   */
  describeTopology({ subscriptions }: TopologyRequest): TransportTopology {
    const fifo = this.options.fifo ?? false;
    const queues: TopologyQueue[] = this.consumption
      .group(subscriptions)
      .map((group) => this.consumption.describeQueue(group));
    for (const name of this.publisher.queues) {
      if (queues.some((queue) => queue.name === name)) continue;
      queues.push({
        name,
        fifo,
        deadLetterQueue: deadLetterQueueName(name, fifo),
        maxReceiveCount: DEFAULT_MAX_RECEIVE_COUNT,
        visibilityTimeoutSeconds: DEFAULT_CONSUMER_OPTIONS.visibilityTimeoutSeconds,
        handlers: [],
        eventTypes: [],
      });
    }
    return {
      transport: this.name,
      kind: 'sqs',
      queues,
      topics: [],
      subscriptions: [],
      buses: [],
      rules: [],
      queuePolicies: [],
      notes: [],
    };
  }

  private async provision(): Promise<void> {
    const { queues } = this.describeTopology({ subscriptions: this.consumption.subscribed() });
    const provisioner = new SqsQueueProvisioner(this.client, this.options.fifo ?? false);
    for (const queue of queues) await provisioner.provision(queue);
    const consumed = queues.filter((queue) => queue.handlers.length > 0).length;
    this.logger.log(
      `Provisioned ${consumed} consumed queue(s) and ${this.publisher.queues.length} published to`,
    );
  }
}

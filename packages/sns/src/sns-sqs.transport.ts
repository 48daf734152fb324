import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { Logger } from '@nestjs/common';
import { createPublishRetry } from '@nestjs-events/core/transport';
import { clientConfig, SqsConsumingTransport } from '@nestjs-events/sqs/transport';
import { SnsSqsProvisioner } from './provisioning/sns-sqs.provisioner';
import { SnsPublisher } from './publishing/sns.publisher';
import { TopicResolver } from './publishing/topic.resolver';
import type { SnsSqsTransportOptions } from './sns-sqs-transport-options.interface';

/**
 * Publishes through SNS and consumes from SQS. Handlers are grouped by queue (`queue` option, or
 * the first queue); each queue gets its own long-poll consumer once the application has started,
 * or, with `consume: 'lambda'`, its messages come from Lambda through `createSqsLambdaHandler`.
 */
export class SnsSqsTransport extends SqsConsumingTransport {
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

  private async provision(): Promise<void> {
    const provisioner = new SnsSqsProvisioner(this.snsClient, this.topics);
    const queues = await this.consumption.provision();
    for (const queue of queues) {
      const topicArns = await provisioner.subscribe(queue);
      await this.consumption.setQueuePolicy(queue.url, provisioner.queuePolicy(queue, topicArns));
    }
    this.logger.log(`Provisioned ${queues.length} queue(s)`);
  }
}

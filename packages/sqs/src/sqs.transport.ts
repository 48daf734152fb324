import { SQSClient } from '@aws-sdk/client-sqs';
import { Logger } from '@nestjs/common';
import { createPublishRetry } from '@nestjs-events/core/transport';
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
export class SqsTransport extends SqsConsumingTransport {
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

  private async provision(): Promise<void> {
    const consumed = await this.consumption.provision();
    const names = new Set(consumed.map((queue) => queue.options.name));
    const fifo = this.options.fifo ?? false;
    const provisioner = new SqsQueueProvisioner(this.client, fifo);
    for (const queue of this.publisher.queues) {
      if (names.has(queue)) continue;
      await provisioner.provision({
        name: queue,
        deadLetterQueue: deadLetterQueueName(queue, fifo),
        maxReceiveCount: DEFAULT_MAX_RECEIVE_COUNT,
        visibilityTimeoutSeconds: DEFAULT_CONSUMER_OPTIONS.visibilityTimeoutSeconds,
      });
    }
    this.logger.log(
      `Provisioned ${consumed.length} consumed queue(s) and ${this.publisher.queues.length} published to`,
    );
  }
}

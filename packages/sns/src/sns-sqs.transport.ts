import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { Logger } from '@nestjs/common';
import type { EventEnvelope, Transport, TransportHealth } from '@nestjs-events/core';
import { createPublishRetry, type EventSubscription } from '@nestjs-events/core/transport';
import type { SqsBatchResponse, SqsEventRecord, SqsRecordsOptions } from '@nestjs-events/sqs';
import { clientConfig, SqsConsumption, type SqsLambdaConsumer } from '@nestjs-events/sqs/transport';
import { SnsSqsProvisioner } from './provisioning/sns-sqs.provisioner';
import { SnsPublisher } from './publishing/sns.publisher';
import { TopicResolver } from './publishing/topic.resolver';
import type { SnsSqsTransportOptions } from './sns-sqs-transport-options.interface';

/**
 * Publishes through SNS and consumes from SQS. Handlers are grouped by queue (`queue` option, or
 * the first queue); each queue gets its own long-poll consumer once the application has started,
 * or, with `consume: 'lambda'`, its messages come from Lambda through `createSqsLambdaHandler`.
 */
export class SnsSqsTransport implements Transport, SqsLambdaConsumer {
  readonly name: string;
  private readonly logger = new Logger(SnsSqsTransport.name);
  private readonly snsClient: SNSClient;
  private readonly sqsClient: SQSClient;
  private readonly topics: TopicResolver;
  private readonly publisher: SnsPublisher;
  private readonly consumption: SqsConsumption;

  constructor(private readonly options: SnsSqsTransportOptions = {}) {
    this.name = options.name ?? 'sns-sqs';
    const config = clientConfig(options);
    this.snsClient = options.snsClient ?? new SNSClient(config);
    this.sqsClient = options.sqsClient ?? new SQSClient(config);
    const fifo = options.fifo ?? false;
    this.topics = new TopicResolver(
      this.snsClient,
      options.topics ?? {},
      fifo,
      options.provision ?? false,
      this.name,
    );
    this.publisher = new SnsPublisher(
      this.snsClient,
      this.topics,
      fifo,
      createPublishRetry(options.publishRetry),
    );
    this.consumption = new SqsConsumption({
      transport: this.name,
      client: this.sqsClient,
      queues: options.queues,
      consumer: options.consumer,
      consume: options.consume,
      fifo,
    });
  }

  /** How this transport's queues are consumed. */
  get consume(): 'poll' | 'lambda' {
    return this.consumption.consume;
  }

  publish(events: readonly EventEnvelope[]): Promise<void> {
    return this.publisher.publish(events);
  }

  subscribe(subscription: EventSubscription): void {
    this.consumption.subscribe(subscription);
  }

  async start(): Promise<void> {
    if (this.options.provision) await this.provision();
    await this.consumption.start();
  }

  /**
   * Runs the records of an SQS event (from a Lambda event source mapping with
   * `ReportBatchItemFailures`) through the handlers of their queue, and returns the records that
   * must come back: retried, unhandled, or dead-lettered without a copy in the dead-letter queue.
   * Needs `consume: 'lambda'` and a started application; `createSqsLambdaHandler` does both.
   */
  handleLambdaRecords(
    records: readonly SqsEventRecord[],
    options?: SqsRecordsOptions,
  ): Promise<SqsBatchResponse> {
    return this.consumption.handleLambdaRecords(records, options);
  }

  async stop({ deadlineMs }: { deadlineMs: number }): Promise<void> {
    await this.consumption.stop(deadlineMs);
    if (!this.options.snsClient) this.snsClient.destroy();
    if (!this.options.sqsClient) this.sqsClient.destroy();
  }

  health(): TransportHealth {
    return this.consumption.health(this.publisher, {});
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

/* eslint-disable @typescript-eslint/no-require-imports -- optional peers are required lazily, on purpose */
import type * as Sns from '@aws-sdk/client-sns';
import type * as Sqs from '@aws-sdk/client-sqs';
import { Logger } from '@nestjs/common';
import {
  EventsConfigurationError,
  loadOptionalDependency,
  type EventEnvelope,
  type EventSubscription,
  type Transport,
  type TransportHealth,
} from '@nestjs-events/core';
import type { SqsConsumer } from './consuming/sqs.consumer';
import { SqsQueues, type ConsumedQueue } from './consuming/sqs-queues';
import { sqsTransportHealth } from './health/transport-health';
import { LambdaQueues } from './lambda/lambda-queues';
import type { SqsBatchResponse, SqsEventRecord } from './lambda/sqs-event.interface';
import type { SqsRecordsOptions } from './lambda/sqs-lambda-handler-options.interface';
import { resolveRecordsOptions, SqsRecordsRunner } from './lambda/sqs-records.runner';
import { SnsSqsProvisioner } from './provisioning/sns-sqs.provisioner';
import { createPublishRetry } from './publishing/publish-retry';
import { SnsPublisher } from './publishing/sns.publisher';
import { TopicResolver } from './publishing/topic.resolver';
import type { SnsSqsTransportOptions } from './sns-sqs-transport-options.interface';

const DEFAULT_MAX_RECEIVE_COUNT = 5;
const USED_FOR = 'the SNS/SQS transport';

/**
 * Publishes through SNS and consumes from SQS. Handlers are grouped by queue (`queue` option, or
 * the first queue); each queue gets its own long-poll consumer once the application has started,
 * or, with `consume: 'lambda'`, its messages come from Lambda through `handleLambdaRecords`.
 */
export class SnsSqsTransport implements Transport {
  readonly name: string;
  private readonly logger = new Logger(SnsSqsTransport.name);
  private readonly sns: typeof Sns;
  private readonly sqs: typeof Sqs;
  private readonly snsClient: Sns.SNSClient;
  private readonly sqsClient: Sqs.SQSClient;
  private readonly ownsClients: boolean;
  private readonly topics: TopicResolver;
  private readonly publisher: SnsPublisher;
  private readonly queues: SqsQueues;
  private lambda: SqsRecordsRunner | undefined;

  constructor(private readonly options: SnsSqsTransportOptions = {}) {
    this.name = options.name ?? 'sns-sqs';
    if (
      options.consume !== undefined &&
      options.consume !== 'poll' &&
      options.consume !== 'lambda'
    ) {
      throw new EventsConfigurationError(
        `Transport "${this.name}": consume must be 'poll' or 'lambda' (got ${JSON.stringify(options.consume)}).`,
      );
    }
    // Loaded here, not imported, so that importing this package never needs the SDKs.
    this.sns = loadOptionalDependency('@aws-sdk/client-sns', USED_FOR, () =>
      require('@aws-sdk/client-sns'),
    );
    this.sqs = loadOptionalDependency('@aws-sdk/client-sqs', USED_FOR, () =>
      require('@aws-sdk/client-sqs'),
    );
    const config = {
      ...(options.region && { region: options.region }),
      ...(options.endpoint && { endpoint: options.endpoint }),
      ...(options.credentials && { credentials: options.credentials }),
    };
    this.ownsClients = !options.snsClient || !options.sqsClient;
    this.snsClient = options.snsClient ?? new this.sns.SNSClient(config);
    this.sqsClient = options.sqsClient ?? new this.sqs.SQSClient(config);
    const fifo = options.fifo ?? false;
    this.topics = new TopicResolver(
      this.sns,
      this.snsClient,
      options.topics ?? {},
      fifo,
      options.provision ?? false,
    );
    this.publisher = new SnsPublisher(
      this.sns,
      this.snsClient,
      this.topics,
      fifo,
      createPublishRetry(options.publishRetry),
    );
    this.queues = new SqsQueues(
      this.sqs,
      this.sqsClient,
      this.name,
      options.queues,
      options.consumer,
    );
  }

  /** SNS calls made by the publisher so far (PublishBatch counts once for up to 10 events). */
  get publishCalls(): number {
    return this.publisher.calls;
  }

  publish(events: readonly EventEnvelope[]): Promise<void> {
    return this.publisher.publish(events);
  }

  subscribe(subscription: EventSubscription): void {
    this.queues.subscribe(subscription);
  }

  /** How this transport's queues are consumed. */
  get consume(): 'poll' | 'lambda' {
    return this.options.consume ?? 'poll';
  }

  async start(): Promise<void> {
    if (this.options.provision) await this.provision(this.queues.consumed());
    if (this.consume === 'lambda') {
      this.lambda = new SqsRecordsRunner(
        this.name,
        new LambdaQueues(this.sqs, this.sqsClient, this.queues.consumed()),
        this.logger,
      );
      return;
    }
    await this.queues.start();
  }

  /**
   * Runs the records of an SQS event (from a Lambda event source mapping with
   * `ReportBatchItemFailures`) through the handlers of their queue, and returns the records that
   * must come back: retried, unhandled, or dead-lettered without a copy in the dead-letter queue.
   * Needs `consume: 'lambda'` and a started application; `createSqsLambdaHandler` does both.
   */
  async handleLambdaRecords(
    records: readonly SqsEventRecord[],
    options?: SqsRecordsOptions,
  ): Promise<SqsBatchResponse> {
    if (!this.lambda) {
      throw new EventsConfigurationError(
        this.consume === 'lambda'
          ? `Transport "${this.name}" has not started: initialise the application (app.init()) first.`
          : `Transport "${this.name}" polls its queues: set consume: 'lambda' on it to run records from Lambda.`,
      );
    }
    return this.lambda.run(records, resolveRecordsOptions(options));
  }

  async stop({ deadlineMs }: { deadlineMs: number }): Promise<void> {
    this.lambda = undefined;
    await this.queues.stop(deadlineMs);
    if (this.ownsClients) {
      if (!this.options.snsClient) this.snsClient.destroy();
      if (!this.options.sqsClient) this.sqsClient.destroy();
    }
  }

  health(): TransportHealth {
    // With Lambda consuming, this process runs no poll loop to watch: only the publisher counts.
    const polled = this.consume === 'poll' ? this.queues.consumed() : [];
    return sqsTransportHealth({
      queues: polled.map(({ options }) => ({ name: options.name, options })),
      consumers: this.queues.active,
      publisher: this.publisher,
      details: { consume: this.consume },
    });
  }

  /** @internal Consumers, for benchmarks and diagnostics. */
  get activeConsumers(): readonly SqsConsumer[] {
    return this.queues.active;
  }

  private async provision(queues: readonly ConsumedQueue[]): Promise<void> {
    const fifo = this.options.fifo ?? false;
    const provisioner = new SnsSqsProvisioner(
      this.sns,
      this.snsClient,
      this.sqs,
      this.sqsClient,
      this.topics,
      fifo,
    );
    for (const { options, eventTypes, subscriptions } of queues) {
      await provisioner.provision({
        name: options.name,
        eventTypes,
        subscriptions,
        deadLetterQueue: options.deadLetterQueue ?? deadLetterQueueName(options.name, fifo),
        maxReceiveCount: options.maxReceiveCount ?? DEFAULT_MAX_RECEIVE_COUNT,
        visibilityTimeoutSeconds: options.visibilityTimeoutSeconds,
      });
    }
    this.logger.log(`Provisioned ${queues.length} queue(s)`);
  }
}

export function deadLetterQueueName(queue: string, fifo: boolean): string {
  return fifo ? `${queue.replace(/\.fifo$/, '')}-dlq.fifo` : `${queue}-dlq`;
}

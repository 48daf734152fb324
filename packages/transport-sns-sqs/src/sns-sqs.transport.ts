/* eslint-disable @typescript-eslint/no-require-imports -- optional peers are required lazily, on purpose */
import type * as Sns from '@aws-sdk/client-sns';
import type * as Sqs from '@aws-sdk/client-sqs';
import { Logger } from '@nestjs/common';
import {
  loadOptionalDependency,
  type EventEnvelope,
  type EventSubscription,
  type Transport,
  type TransportHealth,
} from '@nestjs-events/core';
import type { SqsConsumer } from './consuming/sqs.consumer';
import { SqsQueues, type ConsumedQueue } from './consuming/sqs-queues';
import { SnsSqsProvisioner } from './provisioning/sns-sqs.provisioner';
import { createPublishRetry } from './publishing/publish-retry';
import { SnsPublisher } from './publishing/sns.publisher';
import { TopicResolver } from './publishing/topic.resolver';
import type { SnsSqsTransportOptions } from './sns-sqs-transport-options.interface';

const DEFAULT_MAX_RECEIVE_COUNT = 5;
const USED_FOR = 'the SNS/SQS transport';

/**
 * Publishes through SNS and consumes from SQS. Handlers are grouped by queue (`queue` option, or
 * the first queue); each queue gets its own long-poll consumer once the application has started.
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

  constructor(private readonly options: SnsSqsTransportOptions = {}) {
    this.name = options.name ?? 'sns-sqs';
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

  async start(): Promise<void> {
    if (this.options.provision) await this.provision(this.queues.consumed());
    await this.queues.start();
  }

  async stop({ deadlineMs }: { deadlineMs: number }): Promise<void> {
    await this.queues.stop(deadlineMs);
    if (this.ownsClients) {
      if (!this.options.snsClient) this.snsClient.destroy();
      if (!this.options.sqsClient) this.sqsClient.destroy();
    }
  }

  health(): TransportHealth {
    const consumers = this.queues.status();
    const down = consumers.filter((c) => !c.running || c.consecutiveFailures > 0);
    const publisherDown =
      this.publisher.lastError !== undefined &&
      (this.publisher.lastSuccessAt === undefined ||
        this.publisher.lastError.at > this.publisher.lastSuccessAt);
    return {
      status: down.length || publisherDown ? 'down' : 'up',
      details: {
        consumers,
        publisher: {
          lastSuccessAt: this.publisher.lastSuccessAt,
          lastError: this.publisher.lastError,
        },
      },
    };
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

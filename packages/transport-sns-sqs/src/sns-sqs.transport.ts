import type * as Sns from '@aws-sdk/client-sns';
import type * as Sqs from '@aws-sdk/client-sqs';
import { Logger } from '@nestjs/common';
import {
  EventsConfigurationError,
  type EventEnvelope,
  type EventSubscription,
  type Transport,
  type TransportHealth,
} from '@nestjs-events/core';
import { loadAwsSdk } from './aws/aws-sdk.loader';
import { SqsConsumer } from './consuming/sqs.consumer';
import {
  checkConsumerOptions,
  DEFAULT_CONSUMER_OPTIONS,
  type SqsConsumerOptions,
} from './consuming/sqs-consumer-options.interface';
import { SnsSqsProvisioner } from './provisioning/sns-sqs.provisioner';
import { createPublishRetry } from './publishing/publish-retry';
import { SnsPublisher } from './publishing/sns.publisher';
import { TopicResolver } from './publishing/topic.resolver';
import type {
  SnsSqsTransportOptions,
  SqsQueueOptions,
} from './sns-sqs-transport-options.interface';
import { resolveDeadLetterQueueUrl, resolveQueueUrl } from './consuming/queue-urls';

const DEFAULT_MAX_RECEIVE_COUNT = 5;

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
  private readonly queues: ReadonlyArray<SqsQueueOptions & Required<SqsConsumerOptions>>;
  private readonly subscriptions = new Map<string, EventSubscription[]>();
  private consumers: SqsConsumer[] = [];

  constructor(private readonly options: SnsSqsTransportOptions = {}) {
    this.name = options.name ?? 'sns-sqs';
    this.sns = loadAwsSdk<typeof Sns>('@aws-sdk/client-sns', 'the SNS/SQS transport');
    this.sqs = loadAwsSdk<typeof Sqs>('@aws-sdk/client-sqs', 'the SNS/SQS transport');
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
    this.queues = (options.queues ?? []).map((queue) => {
      const merged = { ...DEFAULT_CONSUMER_OPTIONS, ...options.consumer, ...queue };
      checkConsumerOptions(queue.name, merged);
      return merged;
    });
    const names = new Set<string>();
    for (const { name } of this.queues) {
      if (names.has(name))
        throw new EventsConfigurationError(`SNS/SQS transport: queue "${name}" is listed twice.`);
      names.add(name);
    }
  }

  /** SNS calls made by the publisher so far (PublishBatch counts once for up to 10 events). */
  get publishCalls(): number {
    return this.publisher.calls;
  }

  publish(events: readonly EventEnvelope[]): Promise<void> {
    return this.publisher.publish(events);
  }

  subscribe(subscription: EventSubscription): void {
    const queue = subscription.queue ?? this.queues[0]?.name;
    if (!queue || !this.queues.some((q) => q.name === queue)) {
      const known = this.queues.map((q) => `"${q.name}"`).join(', ') || 'none';
      throw new EventsConfigurationError(
        `${subscription.handler} consumes from ${queue ? `queue "${queue}"` : 'the SNS/SQS transport'}, ` +
          `but the transport "${this.name}" has no such queue (queues: ${known}). Add it to "queues".`,
      );
    }
    const list = this.subscriptions.get(queue) ?? [];
    list.push(subscription);
    this.subscriptions.set(queue, list);
  }

  async start(): Promise<void> {
    const consumed = this.queues.filter((queue) => this.subscriptions.has(queue.name));
    if (this.options.provision) await this.provision(consumed);
    this.consumers = await Promise.all(
      consumed.map(async (queue) => {
        const queueUrl = await resolveQueueUrl(this.sqs, this.sqsClient, queue.name);
        const deadLetterQueueUrl = await resolveDeadLetterQueueUrl(
          this.sqs,
          this.sqsClient,
          queue,
          queueUrl,
        );
        return new SqsConsumer({
          sdk: this.sqs,
          client: this.sqsClient,
          queueName: queue.name,
          queueUrl,
          deadLetterQueueUrl,
          subscriptions: this.subscriptions.get(queue.name)!,
          options: queue,
        });
      }),
    );
    for (const consumer of this.consumers) consumer.start();
  }

  async stop({ deadlineMs }: { deadlineMs: number }): Promise<void> {
    await Promise.all(this.consumers.map((consumer) => consumer.stop(deadlineMs)));
    this.consumers = [];
    if (this.ownsClients) {
      if (!this.options.snsClient) this.snsClient.destroy();
      if (!this.options.sqsClient) this.sqsClient.destroy();
    }
  }

  health(): TransportHealth {
    const consumers = this.consumers.map((consumer) => consumer.status());
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
    return this.consumers;
  }

  private async provision(
    queues: ReadonlyArray<SqsQueueOptions & Required<SqsConsumerOptions>>,
  ): Promise<void> {
    const provisioner = new SnsSqsProvisioner(
      this.sns,
      this.snsClient,
      this.sqs,
      this.sqsClient,
      this.topics,
      this.options.fifo ?? false,
    );
    for (const queue of queues) {
      const eventTypes = [
        ...new Set(this.subscriptions.get(queue.name)!.flatMap((s) => s.eventTypes)),
      ];
      await provisioner.provision({
        name: queue.name,
        eventTypes,
        deadLetterQueue:
          queue.deadLetterQueue ?? deadLetterQueueName(queue.name, this.options.fifo ?? false),
        maxReceiveCount: queue.maxReceiveCount ?? DEFAULT_MAX_RECEIVE_COUNT,
        visibilityTimeoutSeconds: queue.visibilityTimeoutSeconds,
      });
    }
    this.logger.log(`Provisioned ${queues.length} queue(s)`);
  }
}

export function deadLetterQueueName(queue: string, fifo: boolean): string {
  return fifo ? `${queue.replace(/\.fifo$/, '')}-dlq.fifo` : `${queue}-dlq`;
}

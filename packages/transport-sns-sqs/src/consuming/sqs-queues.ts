import type * as Sqs from '@aws-sdk/client-sqs';
import { EventsConfigurationError, type EventSubscription } from '@nestjs-events/core';
import type { SqsQueueOptions } from '../sns-sqs-transport-options.interface';
import { resolveDeadLetterQueueUrl, resolveQueueUrl } from './queue-urls';
import { SqsConsumer, type SqsConsumerStatus } from './sqs.consumer';
import {
  checkConsumerOptions,
  DEFAULT_CONSUMER_OPTIONS,
  type SqsConsumerOptions,
} from './sqs-consumer-options.interface';

export type ResolvedQueueOptions = SqsQueueOptions & Required<SqsConsumerOptions>;

/** A queue that has handlers, with the event types they select. */
export interface ConsumedQueue {
  readonly options: ResolvedQueueOptions;
  readonly subscriptions: readonly EventSubscription[];
  readonly eventTypes: readonly string[];
}

/**
 * The SQS queues of one transport and their consumers: assigns handlers to queues, starts one
 * consumer per queue that has handlers, stops them with a drain deadline. Shared by every
 * transport that delivers into SQS (SNS/SQS, EventBridge).
 */
export class SqsQueues {
  private readonly queues: readonly ResolvedQueueOptions[];
  private readonly subscriptions = new Map<string, EventSubscription[]>();
  private consumers: SqsConsumer[] = [];

  constructor(
    private readonly sdk: typeof Sqs,
    private readonly client: Sqs.SQSClient,
    private readonly transport: string,
    queues: readonly SqsQueueOptions[] = [],
    defaults: SqsConsumerOptions = {},
  ) {
    const names = new Set<string>();
    this.queues = queues.map((queue) => {
      if (names.has(queue.name)) {
        throw new EventsConfigurationError(
          `Transport "${transport}": queue "${queue.name}" is listed twice.`,
        );
      }
      names.add(queue.name);
      const resolved = { ...DEFAULT_CONSUMER_OPTIONS, ...defaults, ...queue };
      checkConsumerOptions(queue.name, resolved);
      return resolved;
    });
  }

  /** Assigns a handler to its queue (`queue` option, or the first queue). */
  subscribe(subscription: EventSubscription): void {
    const queue = subscription.queue ?? this.queues[0]?.name;
    if (!queue || !this.queues.some((q) => q.name === queue)) {
      const known = this.queues.map((q) => `"${q.name}"`).join(', ') || 'none';
      throw new EventsConfigurationError(
        `${subscription.handler} consumes from ${queue ? `queue "${queue}"` : `transport "${this.transport}"`}, ` +
          `but transport "${this.transport}" has no such queue (queues: ${known}). Add it to "queues".`,
      );
    }
    const list = this.subscriptions.get(queue) ?? [];
    list.push(subscription);
    this.subscriptions.set(queue, list);
  }

  /** Queues with at least one handler. */
  consumed(): ConsumedQueue[] {
    return this.queues
      .filter((queue) => this.subscriptions.has(queue.name))
      .map((options) => {
        const subscriptions = this.subscriptions.get(options.name)!;
        const eventTypes = [...new Set(subscriptions.flatMap((s) => s.eventTypes))];
        return { options, subscriptions, eventTypes };
      });
  }

  /** Looks up every consumed queue and its dead-letter queue (failing with their names), then polls. */
  async start(): Promise<void> {
    this.consumers = await Promise.all(
      this.consumed().map(async ({ options, subscriptions }) => {
        const queueUrl = await resolveQueueUrl(this.sdk, this.client, options.name);
        const deadLetterQueueUrl = await resolveDeadLetterQueueUrl(
          this.sdk,
          this.client,
          options,
          queueUrl,
        );
        return new SqsConsumer({
          sdk: this.sdk,
          client: this.client,
          queueName: options.name,
          queueUrl,
          deadLetterQueueUrl,
          subscriptions,
          options,
        });
      }),
    );
    for (const consumer of this.consumers) consumer.start();
  }

  async stop(deadlineMs: number): Promise<void> {
    await Promise.all(this.consumers.map((consumer) => consumer.stop(deadlineMs)));
    this.consumers = [];
  }

  status(): SqsConsumerStatus[] {
    return this.consumers.map((consumer) => consumer.status());
  }

  /** @internal For benchmarks and diagnostics. */
  get active(): readonly SqsConsumer[] {
    return this.consumers;
  }
}

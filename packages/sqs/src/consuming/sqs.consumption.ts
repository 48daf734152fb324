import type { SQSClient } from '@aws-sdk/client-sqs';
import { Logger } from '@nestjs/common';
import { EventsConfigurationError, type TransportHealth } from '@nestjs-events/core';
import type {
  EventSubscription,
  SubscriptionOutline,
  TopologyQueue,
  TransportContext,
} from '@nestjs-events/core/transport';
import { DEFAULT_DECODER_OPTIONS, type DecoderOptions } from '../codec/message.decoder';
import type { MessageUnwrapper } from '../codec/message-unwrapper.interface';
import { sqsTransportHealth, type PublisherHealthInput } from '../health/transport-health';
import { LambdaQueues } from '../lambda/lambda-queues';
import type { SqsBatchResponse, SqsEventRecord } from '../lambda/sqs-event.interface';
import type { SqsRecordsOptions } from '../lambda/sqs-lambda-handler-options.interface';
import { resolveRecordsOptions, SqsRecordsRunner } from '../lambda/sqs-records.runner';
import {
  deadLetterQueueName,
  DEFAULT_MAX_RECEIVE_COUNT,
  SqsQueueProvisioner,
} from '../provisioning/sqs-queue.provisioner';
import type { SqsQueueOptions } from '../sqs-queue-options.interface';
import { QueueReporter } from './queue.reporter';
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

/** Queues with the handlers assigned to them, as `subscribe` assigns them. */
export interface QueueGroup<S extends SubscriptionOutline = SubscriptionOutline> {
  readonly options: ResolvedQueueOptions;
  readonly subscriptions: readonly S[];
  readonly eventTypes: readonly string[];
}

/** A consumed queue once provisioning created it (and its dead-letter queue). */
export interface ProvisionedQueue extends ConsumedQueue {
  readonly url: string;
  readonly arn: string;
  readonly deadLetterQueue: string;
  /** The dead-letter queue's URL and ARN. */
  readonly deadLetter: { readonly url: string; readonly arn: string };
}

export interface SqsConsumptionConfig {
  /** Name of the transport, for errors and logs. */
  readonly transport: string;
  readonly client: SQSClient;
  readonly queues?: readonly SqsQueueOptions[];
  /** Defaults for every queue's consumer. */
  readonly consumer?: SqsConsumerOptions;
  /** @default 'poll' */
  readonly consume?: 'poll' | 'lambda';
  /** FIFO queues (provisioning). @default false */
  readonly fifo?: boolean;
  /** Wire formats the queues' messages may arrive in; raw envelopes are always read. */
  readonly unwrappers?: readonly MessageUnwrapper[];
  /** Largest event accepted, in bytes. @default 262144 */
  readonly maxEventBytes?: number;
}

/**
 * How one transport consumes SQS: assigns handlers to queues, creates the queues when
 * provisioning, then either runs one long-poll consumer per queue that has handlers, or (with
 * `consume: 'lambda'`) runs the records Lambda hands over; stops with a drain deadline; reports
 * health. Every transport that delivers into SQS (SQS itself, SNS, EventBridge) consumes through
 * one of these.
 */
export class SqsConsumption {
  readonly consume: 'poll' | 'lambda';
  private readonly logger: Logger;
  private readonly queues: readonly ResolvedQueueOptions[];
  private readonly subscriptions = new Map<string, EventSubscription[]>();
  private readonly decoder: DecoderOptions;
  private consumers: SqsConsumer[] = [];
  private lambda: SqsRecordsRunner | undefined;

  constructor(private readonly config: SqsConsumptionConfig) {
    const { transport } = config;
    this.logger = new Logger(`SqsConsumption(${transport})`);
    if (config.consume !== undefined && config.consume !== 'poll' && config.consume !== 'lambda') {
      throw new EventsConfigurationError(
        `Transport "${transport}": consume must be 'poll' or 'lambda' (got ${JSON.stringify(config.consume)}).`,
      );
    }
    this.consume = config.consume ?? 'poll';
    this.decoder = {
      unwrappers: config.unwrappers ?? DEFAULT_DECODER_OPTIONS.unwrappers,
      maxEventBytes: config.maxEventBytes ?? DEFAULT_DECODER_OPTIONS.maxEventBytes,
    };
    const names = new Set<string>();
    this.queues = (config.queues ?? []).map((queue) => {
      if (names.has(queue.name)) {
        throw new EventsConfigurationError(
          `Transport "${transport}": queue "${queue.name}" is listed twice.`,
        );
      }
      names.add(queue.name);
      const resolved = { ...DEFAULT_CONSUMER_OPTIONS, ...config.consumer, ...queue };
      checkConsumerOptions(queue.name, resolved);
      return resolved;
    });
  }

  /** Assigns a handler to its queue (`queue` option, or the first queue). */
  subscribe(subscription: EventSubscription): void {
    const queue = this.queueOf(subscription);
    const list = this.subscriptions.get(queue) ?? [];
    list.push(subscription);
    this.subscriptions.set(queue, list);
  }

  /** The queue a handler with the `queue` option `queue` consumes from. */
  queueNameFor(queue: string | undefined): string | undefined {
    return queue ?? this.queues[0]?.name;
  }

  /** Queues with at least one handler. */
  consumed(): ConsumedQueue[] {
    return this.group([...this.subscriptions.values()].flat());
  }

  /** The handlers given to `subscribe` so far. */
  subscribed(): EventSubscription[] {
    return [...this.subscriptions.values()].flat();
  }

  /** Groups `subscriptions` by queue as `subscribe` would; queues without any are left out. */
  group<S extends SubscriptionOutline>(subscriptions: readonly S[]): QueueGroup<S>[] {
    const byQueue = new Map<string, S[]>();
    for (const subscription of subscriptions) {
      const queue = this.queueOf(subscription);
      byQueue.set(queue, [...(byQueue.get(queue) ?? []), subscription]);
    }
    return this.queues
      .filter((queue) => byQueue.has(queue.name))
      .map((options) => {
        const list = byQueue.get(options.name)!;
        const eventTypes = [...new Set(list.flatMap((s) => s.eventTypes))];
        return { options, subscriptions: list, eventTypes };
      });
  }

  /** What provisioning creates for a queue with handlers: the queue, its DLQ and redrive. */
  describeQueue({ options, subscriptions, eventTypes }: QueueGroup): TopologyQueue {
    const fifo = this.config.fifo ?? false;
    return {
      name: options.name,
      fifo,
      deadLetterQueue: options.deadLetterQueue ?? deadLetterQueueName(options.name, fifo),
      maxReceiveCount: options.maxReceiveCount ?? DEFAULT_MAX_RECEIVE_COUNT,
      visibilityTimeoutSeconds: options.visibilityTimeoutSeconds,
      handlers: subscriptions.map((subscription) => subscription.handler),
      eventTypes,
    };
  }

  private queueOf(subscription: SubscriptionOutline): string {
    const { transport } = this.config;
    const queue = subscription.queue ?? this.queues[0]?.name;
    if (!queue || !this.queues.some((q) => q.name === queue)) {
      const known = this.queues.map((q) => `"${q.name}"`).join(', ') || 'none';
      throw new EventsConfigurationError(
        `${subscription.handler} consumes from ${queue ? `queue "${queue}"` : `transport "${transport}"`}, ` +
          `but transport "${transport}" has no such queue (queues: ${known}). Add it to "queues".`,
      );
    }
    return queue;
  }

  /**
   * Creates every consumed queue with its dead-letter queue and redrive policy (idempotent), for
   * local development and tests; the transport then lets its broker send to them.
   */
  async provision(): Promise<ProvisionedQueue[]> {
    const provisioner = new SqsQueueProvisioner(this.config.client, this.config.fifo ?? false);
    const provisioned: ProvisionedQueue[] = [];
    for (const queue of this.consumed()) {
      const described = this.describeQueue(queue);
      const created = await provisioner.provision(described);
      provisioned.push({ ...queue, ...created, deadLetterQueue: described.deadLetterQueue });
    }
    return provisioned;
  }

  /** Replaces a provisioned queue's access policy (which broker may send to it). */
  async setQueuePolicy(queueUrl: string, policy: object): Promise<void> {
    await new SqsQueueProvisioner(this.config.client).setPolicy(queueUrl, policy);
  }

  /**
   * Polling: looks up every consumed queue and its dead-letter queue (failing with their names),
   * then polls. Lambda: makes no SQS call, so a cold start stays short. What the consumers report
   * goes to `context.monitor`; `context.deliveries` keeps which handlers are done with a message.
   */
  async start(context?: TransportContext): Promise<void> {
    const { client, transport } = this.config;
    const deliveries = context?.deliveries;
    const servicesOf = (queue: string) => ({
      reports: new QueueReporter(transport, queue, context?.monitor),
      deliveries,
    });
    if (this.consume === 'lambda') {
      this.lambda = new SqsRecordsRunner(
        transport,
        new LambdaQueues(client, this.consumed(), this.decoder, transport, servicesOf),
        this.logger,
      );
      return;
    }
    this.consumers = await Promise.all(
      this.consumed().map(async ({ options, subscriptions }) => {
        const queueUrl = await resolveQueueUrl(client, options.name, transport);
        const deadLetterQueueUrl = await resolveDeadLetterQueueUrl(
          client,
          options,
          queueUrl,
          transport,
        );
        return new SqsConsumer({
          client,
          queueName: options.name,
          queueUrl,
          deadLetterQueueUrl,
          subscriptions,
          options,
          decoder: this.decoder,
          ...servicesOf(options.name),
        });
      }),
    );
    for (const consumer of this.consumers) consumer.start();
  }

  /** Drains the consumers, then forgets the handlers: a later start serves new ones only. */
  async stop(deadlineMs: number): Promise<void> {
    this.lambda = undefined;
    await Promise.all(this.consumers.map((consumer) => consumer.stop(deadlineMs)));
    this.consumers = [];
    this.subscriptions.clear();
  }

  /**
   * Runs the records of an SQS event (from a Lambda event source mapping with
   * `ReportBatchItemFailures`) through the handlers of their queue, and returns the records that
   * must come back. Needs `consume: 'lambda'` and a started application.
   */
  handleLambdaRecords(
    records: readonly SqsEventRecord[],
    options?: SqsRecordsOptions,
  ): Promise<SqsBatchResponse> {
    const { transport } = this.config;
    if (!this.lambda) {
      throw new EventsConfigurationError(
        this.consume === 'lambda'
          ? `Transport "${transport}" has not started: initialise the application (app.init()) first.`
          : `Transport "${transport}" polls its queues: set consume: 'lambda' on it to run records from Lambda.`,
      );
    }
    return this.lambda.run(records, resolveRecordsOptions(options));
  }

  /** What the consumers report, once started. */
  status(): SqsConsumerStatus[] {
    return this.consumers.map((consumer) => consumer.status());
  }

  /**
   * The transport's health: its consumers (with Lambda consuming, this process runs no poll loop
   * to watch) and its publisher; `details` are listed first.
   */
  health(publisher: PublisherHealthInput, details: Record<string, unknown>): TransportHealth {
    const polled = this.consume === 'poll' ? this.consumed() : [];
    return sqsTransportHealth({
      queues: polled.map(({ options }) => ({ name: options.name, options })),
      consumers: this.consumers,
      publisher,
      details: { ...details, consume: this.consume },
    });
  }
}

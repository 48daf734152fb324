import {
  EventsConfigurationError,
  type EventEnvelope,
  type Transport,
  type TransportHealth,
} from '@nestjs-events/core';
import type {
  EventSubscription,
  TransportContext,
  TransportMessaging,
} from '@nestjs-events/core/transport';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { SqsConsumption, type SqsConsumptionConfig } from './consuming/sqs.consumption';
import type { PublisherHealthInput } from './health/transport-health';
import type { SqsBatchResponse, SqsEventRecord } from './lambda/sqs-event.interface';
import type { SqsLambdaConsumer } from './lambda/sqs-lambda-consumer.interface';
import type { SqsRecordsOptions } from './lambda/sqs-lambda-handler-options.interface';

/** A publisher as a transport built on this base uses it. */
export interface TransportPublisher extends PublisherHealthInput {
  publish(events: readonly EventEnvelope[]): Promise<void>;
}

/**
 * What every transport that consumes from SQS does the same way: handlers go to its
 * `SqsConsumption`, which polls (or runs Lambda's records), drains and reports health; events go
 * to its publisher. A subclass supplies the two, what runs before consuming starts (provisioning,
 * checks) and which clients it closes.
 */
export abstract class SqsConsumingTransport implements Transport, SqsLambdaConsumer {
  readonly name: string;
  protected readonly consumption: SqsConsumption;
  private readonly sqs: SQSClient;
  protected abstract readonly publisher: TransportPublisher;

  /**
   * @param name the transport's name
   * @param client the SQS client its queues are consumed with
   * @param queues what the user configured about its queues
   * @param consumption what the transport itself sets: FIFO, wire formats, size limit
   */
  protected constructor(
    name: string,
    client: SQSClient,
    queues: Pick<SqsConsumptionConfig, 'queues' | 'consumer' | 'consume'>,
    consumption: Pick<SqsConsumptionConfig, 'fifo' | 'unwrappers' | 'maxEventBytes'> = {},
  ) {
    this.name = name;
    this.sqs = client;
    this.consumption = new SqsConsumption({
      transport: name,
      client,
      queues: queues.queues,
      consumer: queues.consumer,
      consume: queues.consume,
      ...consumption,
    });
  }

  /**
   * Its spans' `messaging.*` attributes: `publish` is what it sends to; handlers consume from
   * SQS, from the queue they are assigned to.
   */
  protected messagingOf(publish: string): TransportMessaging {
    return {
      publish,
      consume: 'aws_sqs',
      destinationOf: (queue) => this.consumption.queueNameFor(queue) ?? this.name,
    };
  }

  /** How the transport's queues are consumed. */
  get consume(): 'poll' | 'lambda' {
    return this.consumption.consume;
  }

  publish(events: readonly EventEnvelope[]): Promise<void> {
    return this.publisher.publish(events);
  }

  subscribe(subscription: EventSubscription): void {
    this.consumption.subscribe(subscription);
  }

  async start(context?: TransportContext): Promise<void> {
    await this.requireRegion();
    await this.beforeConsuming();
    await this.consumption.start(context);
  }

  /** Without a region the SDK only says "Region is missing" on the first call: say it here. */
  private async requireRegion(): Promise<void> {
    // A client that is not the SDK's (a test double) has no resolved configuration to ask.
    const region = (this.sqs as { config?: { region?: () => Promise<string> } }).config?.region;
    if (typeof region !== 'function') return;
    try {
      await region();
    } catch {
      throw new EventsConfigurationError(
        `Transport "${this.name}" has no AWS region: set region on it, or AWS_REGION in the ` +
          'environment (any value for an emulator such as LocalStack, e.g. us-east-1).',
      );
    }
  }

  /**
   * Drains and lets go of the application's handlers, so that the instance can serve the next
   * application (the next test of a file that creates it once): the SDK clients it closes open
   * new connections when called again.
   */
  async stop({ deadlineMs }: { deadlineMs: number }): Promise<void> {
    await this.consumption.stop(deadlineMs);
    this.closeClients();
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

  health(): TransportHealth {
    return this.consumption.health(this.publisher, this.healthDetails());
  }

  /** Provisioning (when asked for) and checks, before the first receive. */
  protected abstract beforeConsuming(): Promise<void>;

  /** Destroys the SDK clients the transport built (never the ones it was given). */
  protected abstract closeClients(): void;

  /** Details of the transport's own, listed first in its health. */
  protected healthDetails(): Record<string, unknown> {
    return {};
  }
}

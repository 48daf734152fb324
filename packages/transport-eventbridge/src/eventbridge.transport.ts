/* eslint-disable @typescript-eslint/no-require-imports -- optional peers are required lazily, on purpose */
import type * as EventBridge from '@aws-sdk/client-eventbridge';
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
import {
  deadLetterQueueName,
  SqsQueues,
  sqsTransportHealth,
  createPublishRetry,
} from '@nestjs-events/sns-sqs';
import { lookUpEventBus } from './bus/event-bus.lookup';
import type { EventBridgeTransportOptions } from './eventbridge-transport-options.interface';
import { EventBridgeProvisioner } from './provisioning/eventbridge.provisioner';
import { EventBridgePublisher } from './publishing/eventbridge.publisher';

const DEFAULT_MAX_RECEIVE_COUNT = 5;
const USED_FOR = 'the EventBridge transport';

/**
 * Publishes to an EventBridge bus with PutEvents and consumes from SQS queues that rules on the
 * bus feed. Handlers are grouped by queue (`queue` option, or the first queue); each queue gets
 * its own long-poll consumer once the application has started.
 */
export class EventBridgeTransport implements Transport {
  readonly name: string;
  private readonly logger = new Logger(EventBridgeTransport.name);
  private readonly events: typeof EventBridge;
  private readonly sqs: typeof Sqs;
  private readonly eventsClient: EventBridge.EventBridgeClient;
  private readonly sqsClient: Sqs.SQSClient;
  private readonly eventBusName: string;
  private readonly publisher: EventBridgePublisher;
  private readonly queues: SqsQueues;

  constructor(private readonly options: EventBridgeTransportOptions) {
    this.name = options.name ?? 'eventbridge';
    if (!options.eventBusName) {
      throw new EventsConfigurationError(
        `Transport "${this.name}": set eventBusName, the event bus to publish to ('default' for ` +
          "the account's default bus).",
      );
    }
    this.eventBusName = options.eventBusName;
    // Loaded here, not imported, so that importing this package never needs the SDKs.
    this.events = loadOptionalDependency<typeof EventBridge>(
      '@aws-sdk/client-eventbridge',
      USED_FOR,
      () => require('@aws-sdk/client-eventbridge'),
    );
    const config = {
      ...(options.region && { region: options.region }),
      ...(options.endpoint && { endpoint: options.endpoint }),
      ...(options.credentials && { credentials: options.credentials }),
    };
    this.eventsClient = options.eventBridgeClient ?? new this.events.EventBridgeClient(config);
    this.publisher = new EventBridgePublisher(
      this.events,
      this.eventsClient,
      this.eventBusName,
      createPublishRetry(options.publishRetry),
    );
    this.sqs = loadOptionalDependency('@aws-sdk/client-sqs', USED_FOR, () =>
      require('@aws-sdk/client-sqs'),
    );
    this.sqsClient = options.sqsClient ?? new this.sqs.SQSClient(config);
    this.queues = new SqsQueues(
      this.sqs,
      this.sqsClient,
      this.name,
      options.queues,
      options.consumer,
    );
  }

  /** PutEvents calls made by the publisher so far (one for up to 10 events). */
  get putEventsCalls(): number {
    return this.publisher.calls;
  }

  publish(events: readonly EventEnvelope[]): Promise<void> {
    return this.publisher.publish(events);
  }

  subscribe(subscription: EventSubscription): void {
    this.queues.subscribe(subscription);
  }

  async start(): Promise<void> {
    if (this.options.provision) await this.provision();
    else await this.checkEventBus();
    await this.queues.start();
  }

  async stop({ deadlineMs }: { deadlineMs: number }): Promise<void> {
    await this.queues.stop(deadlineMs);
    if (!this.options.eventBridgeClient) this.eventsClient.destroy();
    if (!this.options.sqsClient) this.sqsClient.destroy();
  }

  health(): TransportHealth {
    return sqsTransportHealth({
      queues: this.queues.consumed().map(({ options }) => ({ name: options.name, options })),
      consumers: this.queues.active,
      publisher: this.publisher,
      details: { eventBus: this.eventBusName },
    });
  }

  private async checkEventBus(): Promise<void> {
    const state = await lookUpEventBus(this.events, this.eventsClient, this.eventBusName);
    if (state === 'missing') {
      throw new EventsConfigurationError(
        `EventBridge event bus "${this.eventBusName}" does not exist. Create it, or set ` +
          `provision: true on transport "${this.name}" for local development.`,
      );
    }
    if (state === 'unknown') {
      this.logger.warn(
        `Not allowed to describe event bus "${this.eventBusName}" (events:DescribeEventBus); ` +
          'starting without checking that it exists.',
      );
    }
  }

  private async provision(): Promise<void> {
    const provisioner = new EventBridgeProvisioner(
      this.events,
      this.eventsClient,
      this.sqs,
      this.sqsClient,
      this.eventBusName,
    );
    await provisioner.provisionEventBus();
    const consumed = this.queues.consumed();
    for (const { options, eventTypes, subscriptions } of consumed) {
      await provisioner.provisionQueue({
        name: options.name,
        eventTypes,
        subscriptions,
        deadLetterQueue: options.deadLetterQueue ?? deadLetterQueueName(options.name, false),
        maxReceiveCount: options.maxReceiveCount ?? DEFAULT_MAX_RECEIVE_COUNT,
        visibilityTimeoutSeconds: options.visibilityTimeoutSeconds,
      });
    }
    this.logger.log(`Provisioned bus "${this.eventBusName}" and ${consumed.length} queue(s)`);
  }
}

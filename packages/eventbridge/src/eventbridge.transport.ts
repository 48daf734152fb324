import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SQSClient } from '@aws-sdk/client-sqs';
import { Logger } from '@nestjs/common';
import { EventsConfigurationError } from '@nestjs-events/core';
import {
  createPublishRetry,
  type DescribesTopology,
  type TopologyRequest,
  type TransportTopology,
} from '@nestjs-events/core/transport';
import {
  clientConfig,
  describeClientTarget,
  serviceQueuePolicy,
  snsUnwrapper,
  SqsConsumingTransport,
} from '@nestjs-events/sqs/transport';
import { eventBusNameOf, isDefaultEventBus, lookUpEventBus } from './bus/event-bus.lookup';
import { eventBridgeUnwrapper } from './envelope/eventbridge.envelope';
import type { EventBridgeTransportOptions } from './eventbridge-transport-options.interface';
import { EventBridgeProvisioner } from './provisioning/eventbridge.provisioner';
import { EventBridgePublisher } from './publishing/eventbridge.publisher';

/**
 * Publishes to an EventBridge bus with PutEvents and consumes from SQS queues that rules on the
 * bus feed. Handlers are grouped by queue (`queue` option, or the first queue); each queue gets
 * its own long-poll consumer once the application has started, or, with `consume: 'lambda'`, its
 * messages come from Lambda through `createSqsLambdaHandler`.
 */
export class EventBridgeTransport extends SqsConsumingTransport implements DescribesTopology {
  /**
   * Publishes to EventBridge, consumes from SQS (`messaging.system` of its spans). The
   * OpenTelemetry registry has no value for EventBridge: `aws_eventbridge`, after `aws_sns`.
   */
  readonly messaging = this.messagingOf('aws_eventbridge');
  private readonly logger = new Logger(EventBridgeTransport.name);
  private readonly eventsClient: EventBridgeClient;
  private readonly sqsClient: SQSClient;
  private readonly eventBusName: string;
  protected readonly publisher: EventBridgePublisher;

  constructor(private readonly options: EventBridgeTransportOptions) {
    const name = options.name ?? 'eventbridge';
    if (!options.eventBusName) {
      throw new EventsConfigurationError(
        `Transport "${name}": set eventBusName, the event bus to publish to ('default' for ` +
          "the account's default bus).",
      );
    }
    const sqsClient = options.sqsClient ?? new SQSClient(clientConfig(options));
    super(name, sqsClient, options, { unwrappers: [eventBridgeUnwrapper, snsUnwrapper] });
    this.sqsClient = sqsClient;
    this.eventBusName = options.eventBusName;
    this.eventsClient = options.eventBridgeClient ?? new EventBridgeClient(clientConfig(options));
    this.publisher = new EventBridgePublisher(
      this.eventsClient,
      this.eventBusName,
      createPublishRetry(options.publishRetry),
    );
  }

  protected async beforeConsuming(): Promise<void> {
    if (this.options.provision) await this.provision();
    // With Lambda consuming, a cold start makes no call it does not need.
    else if (this.consume === 'poll') await this.checkEventBus();
  }

  protected closeClients(): void {
    if (!this.options.eventBridgeClient) this.eventsClient.destroy();
    if (!this.options.sqsClient) this.sqsClient.destroy();
  }

  protected override healthDetails(): Record<string, unknown> {
    return { eventBus: this.eventBusName };
  }

  private async checkEventBus(): Promise<void> {
    const state = await lookUpEventBus(this.eventsClient, this.eventBusName);
    if (state === 'missing') {
      throw new EventsConfigurationError(
        `EventBridge event bus "${this.eventBusName}" does not exist at ` +
          `${await describeClientTarget(this.eventsClient)}. Create it, check the region, or set ` +
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

  /**
   * The bus, the queues of `subscriptions` with their dead-letter queues, a rule per queue with
   * the queue as its target, and the queue policies that let the rules send: what
   * `provision: true` creates.
   */
  describeTopology({ subscriptions }: TopologyRequest): TransportTopology {
    const provisioner = new EventBridgeProvisioner(this.eventsClient, this.eventBusName);
    const notes: string[] = [];
    const groups = this.consumption.group(subscriptions);
    const queues = groups.map((group) => this.consumption.describeQueue(group));
    const rules = groups.map((group, index) =>
      provisioner.describeRule({ ...group, deadLetterQueue: queues[index].deadLetterQueue }, notes),
    );
    return {
      transport: this.name,
      kind: 'eventbridge',
      queues,
      topics: [],
      subscriptions: [],
      buses: [
        {
          name: eventBusNameOf(this.eventBusName),
          // The default bus always exists and cannot be created.
          create: !isDefaultEventBus(this.eventBusName),
        },
      ],
      rules,
      // The queue and its dead-letter queue take what the rule sends and could not deliver.
      queuePolicies: rules.flatMap((rule) =>
        rule.targets.flatMap(({ queue, deadLetterQueue }) =>
          [queue, deadLetterQueue].flatMap((name) =>
            name
              ? [
                  {
                    queue: name,
                    service: 'events.amazonaws.com',
                    sources: [{ kind: 'rule' as const, name: rule.name }],
                  },
                ]
              : [],
          ),
        ),
      ),
      notes,
    };
  }

  private async provision(): Promise<void> {
    const provisioner = new EventBridgeProvisioner(this.eventsClient, this.eventBusName);
    await provisioner.provisionEventBus();
    const queues = await this.consumption.provision();
    for (const queue of queues) {
      const ruleArn = await provisioner.provisionRule(queue);
      await this.consumption.setQueuePolicy(queue.url, provisioner.queuePolicy(queue, ruleArn));
      await this.consumption.setQueuePolicy(
        queue.deadLetter.url,
        serviceQueuePolicy(queue.deadLetter.arn, 'events.amazonaws.com', ruleArn),
      );
    }
    this.logger.log(`Provisioned bus "${this.eventBusName}" and ${queues.length} queue(s)`);
  }
}

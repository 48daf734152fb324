import type * as Sns from '@aws-sdk/client-sns';
import type * as Sqs from '@aws-sdk/client-sqs';
import { Logger } from '@nestjs/common';
import { EventsConfigurationError, type EventSubscription } from '@nestjs-events/core';
import { EVENT_ATTRIBUTES } from '../codec/message-attributes';
import type { TopicResolver } from '../publishing/topic.resolver';
import { serviceQueuePolicy, SqsQueueProvisioner } from './sqs-queue.provisioner';
import { typeFilterValues, unionFilterPolicy, type FilterPolicyPart } from './sns-filter-policy';

export interface QueueToProvision {
  readonly name: string;
  /** Event types and selectors (`order.*`) its handlers take. */
  readonly eventTypes: readonly string[];
  /** The handlers reading from it: their types and content patterns make the filter policies. */
  readonly subscriptions: readonly Pick<EventSubscription, 'eventTypes' | 'pattern'>[];
  readonly deadLetterQueue: string;
  readonly maxReceiveCount: number;
  readonly visibilityTimeoutSeconds: number;
}

/** A subscription filter policy and what SNS applies it to. */
export interface SubscriptionFilter {
  readonly policy: object;
  readonly scope: 'MessageAttributes' | 'MessageBody';
}

/**
 * Creates what the handlers need, for local development and tests: each queue with its
 * dead-letter queue and redrive policy, the topics, raw-delivery subscriptions, and the queue
 * policy that lets those topics send to it. Every call is idempotent.
 *
 * Subscriptions filter at the broker as far as SNS can: on the body (the JSON envelope) with the
 * handlers' content patterns when SNS's filter language expresses them, otherwise on the type
 * alone; what a filter lets through too much, the handlers' own matching skips.
 */
export class SnsSqsProvisioner {
  private readonly logger = new Logger(SnsSqsProvisioner.name);
  private readonly queues: SqsQueueProvisioner;

  constructor(
    private readonly sns: typeof Sns,
    private readonly snsClient: Sns.SNSClient,
    sqs: typeof Sqs,
    sqsClient: Sqs.SQSClient,
    private readonly topics: TopicResolver,
    fifo: boolean,
  ) {
    this.queues = new SqsQueueProvisioner(sqs, sqsClient, fifo);
  }

  async provision(queue: QueueToProvision): Promise<void> {
    const main = await this.queues.provision(queue);
    const topicArns = await this.subscribe(queue, main.arn);
    await this.queues.setPolicy(
      main.url,
      serviceQueuePolicy(main.arn, 'sns.amazonaws.com', topicArns),
    );
    this.logger.log(
      `Provisioned queue "${queue.name}" (dead letters: "${queue.deadLetterQueue}") for ${queue.eventTypes.join(', ')}`,
    );
  }

  private async subscribe(queue: QueueToProvision, queueArn: string): Promise<string[]> {
    if (this.topics.shared) {
      const topicArn = await this.topics.arnFor(queue.eventTypes[0]);
      await this.subscribeQueue(topicArn, queueArn, this.sharedTopicFilter(queue));
      return [topicArn];
    }
    const wildcard = queue.eventTypes.find((type) => type.includes('*'));
    if (wildcard) {
      throw new EventsConfigurationError(
        `Cannot provision "${wildcard}" for queue "${queue.name}": with one topic per event type, ` +
          'a wildcard names no topic. List the types, or use a shared topic (topics: { arn }).',
      );
    }
    const arns = await Promise.all(queue.eventTypes.map((type) => this.topics.arnFor(type)));
    await Promise.all(
      arns.map((arn, index) =>
        this.subscribeQueue(arn, queueArn, this.typeTopicFilter(queue, queue.eventTypes[index])),
      ),
    );
    return arns;
  }

  /** The filter of a queue's subscription to the shared topic, which carries every type. */
  private sharedTopicFilter(queue: QueueToProvision): SubscriptionFilter | undefined {
    const byType = typeFilterPolicy(queue.eventTypes);
    const attributes: SubscriptionFilter | undefined = byType && {
      policy: byType,
      scope: 'MessageAttributes',
    };
    if (!queue.subscriptions.some((subscription) => subscription.pattern !== undefined)) {
      return attributes;
    }
    const body = sharedTopicBodyPolicy(queue.subscriptions);
    if (body) return { policy: body, scope: 'MessageBody' };
    this.logger.warn(
      `The content patterns of queue "${queue.name}" are beyond SNS filter policies; its ` +
        'subscription filters on event-type only and the handlers skip the rest.',
    );
    return attributes;
  }

  /** The filter of a queue's subscription to the topic of `type`: its handlers' patterns. */
  private typeTopicFilter(queue: QueueToProvision, type: string): SubscriptionFilter | undefined {
    const handlers = queue.subscriptions.filter((subscription) =>
      subscription.eventTypes.includes(type),
    );
    // A handler without a pattern takes every event of the topic.
    if (!handlers.every((handler) => handler.pattern !== undefined)) return undefined;
    const policy = unionFilterPolicy(handlers.map(({ pattern }) => ({ pattern })));
    if (policy) return { policy, scope: 'MessageBody' };
    this.logger.warn(
      `The content patterns of queue "${queue.name}" for "${type}" are beyond SNS filter ` +
        'policies; its subscription takes every event of the topic and the handlers skip the rest.',
    );
    return undefined;
  }

  private async subscribeQueue(
    topicArn: string,
    queueArn: string,
    filter: SubscriptionFilter | undefined,
  ): Promise<void> {
    const attributes: Record<string, string> = { RawMessageDelivery: 'true' };
    if (filter) {
      attributes.FilterPolicy = JSON.stringify(filter.policy);
      attributes.FilterPolicyScope = filter.scope;
    }
    await this.snsClient.send(
      new this.sns.SubscribeCommand({
        TopicArn: topicArn,
        Protocol: 'sqs',
        Endpoint: queueArn,
        Attributes: attributes,
        ReturnSubscriptionArn: true,
      }),
    );
  }
}

/**
 * SNS filter policy on the `event-type` attribute: exact types, prefixes and suffixes for
 * wildcards (see `typeFilterValues`); undefined when a selector takes every type.
 */
export function typeFilterPolicy(eventTypes: readonly string[]): object | undefined {
  const values = typeFilterValues(eventTypes);
  return values && { [EVENT_ATTRIBUTES.type]: values };
}

/**
 * A MessageBody filter policy for a queue on the shared topic: for each handler, its types on the
 * body's `type` AND its pattern, joined with `$or`; the handlers without a pattern share one
 * alternative listing all their types. Undefined when SNS cannot express it, or when a handler
 * without a pattern takes every type (then only the type filter, if any, applies).
 */
export function sharedTopicBodyPolicy(
  subscriptions: readonly Pick<EventSubscription, 'eventTypes' | 'pattern'>[],
): object | undefined {
  const parts: FilterPolicyPart[] = [];
  const plainTypes = subscriptions
    .filter((subscription) => subscription.pattern === undefined)
    .flatMap((subscription) => subscription.eventTypes);
  const plain = new Set(plainTypes);
  if (plainTypes.length > 0) {
    const type = typeFilterValues(plainTypes);
    if (!type) return undefined;
    parts.push({ type });
  }
  for (const { eventTypes, pattern } of subscriptions) {
    if (pattern === undefined) continue;
    // Types a handler without a pattern also takes need no narrower alternative of their own.
    if (eventTypes.every((type) => plain.has(type))) continue;
    parts.push({ type: typeFilterValues(eventTypes), pattern });
  }
  return unionFilterPolicy(parts);
}

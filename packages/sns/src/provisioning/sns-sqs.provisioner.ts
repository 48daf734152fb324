import * as Sns from '@aws-sdk/client-sns';
import { Logger } from '@nestjs/common';
import { EventsConfigurationError } from '@nestjs-events/core';
import type { EventSubscription } from '@nestjs-events/core/transport';
import { EVENT_ATTRIBUTES } from '@nestjs-events/sqs';
import { serviceQueuePolicy } from '@nestjs-events/sqs/transport';
import type { TopicResolver } from '../publishing/topic.resolver';
import { typeFilterValues, unionFilterPolicy, type FilterPolicyPart } from './sns-filter-policy';

/** A provisioned queue, as the SNS side sees it. */
export interface QueueToSubscribe {
  readonly arn: string;
  readonly options: { readonly name: string };
  /** Event types and selectors (`order.*`) its handlers take. */
  readonly eventTypes: readonly string[];
  /** The handlers reading from it: their types and content patterns make the filter policies. */
  readonly subscriptions: readonly Pick<EventSubscription, 'eventTypes' | 'pattern'>[];
}

/** A subscription filter policy and what SNS applies it to. */
export interface SubscriptionFilter {
  readonly policy: object;
  readonly scope: 'MessageAttributes' | 'MessageBody';
}

/**
 * Connects provisioned queues to their topics, for local development and tests: the topics,
 * raw-delivery subscriptions, and the queue policy that lets those topics send to the queue.
 * Every call is idempotent.
 *
 * Subscriptions filter at the broker as far as SNS can: on the body (the JSON envelope) with the
 * handlers' content patterns when SNS's filter language expresses them, otherwise on the type
 * alone; what a filter lets through too much, the handlers' own matching skips.
 */
export class SnsSqsProvisioner {
  private readonly logger = new Logger(SnsSqsProvisioner.name);

  constructor(
    private readonly snsClient: Sns.SNSClient,
    private readonly topics: TopicResolver,
  ) {}

  /** Subscribes the queue to the topics of its handlers' types; resolves with their ARNs. */
  async subscribe(queue: QueueToSubscribe): Promise<string[]> {
    const name = queue.options.name;
    let arns: string[];
    if (this.topics.shared) {
      arns = [await this.topics.arnFor(queue.eventTypes[0])];
      await this.subscribeQueue(arns[0], queue.arn, this.sharedTopicFilter(queue));
    } else {
      const wildcard = queue.eventTypes.find((type) => type.includes('*'));
      if (wildcard) {
        throw new EventsConfigurationError(
          `Cannot provision "${wildcard}" for queue "${name}": with one topic per event type, ` +
            'a wildcard names no topic. List the types, or use a shared topic (topics: { arn }).',
        );
      }
      arns = await Promise.all(queue.eventTypes.map((type) => this.topics.arnFor(type)));
      await Promise.all(
        arns.map((arn, index) =>
          this.subscribeQueue(arn, queue.arn, this.typeTopicFilter(queue, queue.eventTypes[index])),
        ),
      );
    }
    this.logger.log(`Subscribed queue "${name}" to ${queue.eventTypes.join(', ')}`);
    return arns;
  }

  /** The access policy that lets the topics `topicArns` send to the queue. */
  queuePolicy(queue: QueueToSubscribe, topicArns: readonly string[]): object {
    return serviceQueuePolicy(queue.arn, 'sns.amazonaws.com', topicArns);
  }

  /** The filter of a queue's subscription to the shared topic, which carries every type. */
  private sharedTopicFilter(queue: QueueToSubscribe): SubscriptionFilter | undefined {
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
      `The content patterns of queue "${queue.options.name}" are beyond SNS filter policies; its ` +
        'subscription filters on event-type only and the handlers skip the rest.',
    );
    return attributes;
  }

  /** The filter of a queue's subscription to the topic of `type`: its handlers' patterns. */
  private typeTopicFilter(queue: QueueToSubscribe, type: string): SubscriptionFilter | undefined {
    const handlers = queue.subscriptions.filter((subscription) =>
      subscription.eventTypes.includes(type),
    );
    // A handler without a pattern takes every event of the topic.
    if (!handlers.every((handler) => handler.pattern !== undefined)) return undefined;
    const policy = unionFilterPolicy(handlers.map(({ pattern }) => ({ pattern })));
    if (policy) return { policy, scope: 'MessageBody' };
    this.logger.warn(
      `The content patterns of queue "${queue.options.name}" for "${type}" are beyond SNS filter ` +
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
      new Sns.SubscribeCommand({
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

import * as Sns from '@aws-sdk/client-sns';
import type { EventSubscription, TopologySubscription } from '@nestjs-events/core/transport';
import { EVENT_ATTRIBUTES } from '@nestjs-events/sqs';
import { typeFilterValues, unionFilterPolicy, type FilterPolicyPart } from './sns-filter-policy';

/**
 * Creates what `describeSnsSqsTopology` describes, for local development and tests: the
 * raw-delivery subscriptions of provisioned queues to their topics. Every call is idempotent.
 */
export class SnsSqsProvisioner {
  constructor(private readonly snsClient: Sns.SNSClient) {}

  async subscribe(
    topicArn: string,
    queueArn: string,
    subscription: TopologySubscription,
  ): Promise<void> {
    const attributes: Record<string, string> = {
      RawMessageDelivery: String(subscription.rawMessageDelivery),
    };
    if (subscription.filterPolicy) {
      attributes.FilterPolicy = JSON.stringify(subscription.filterPolicy);
      attributes.FilterPolicyScope = subscription.filterPolicyScope ?? 'MessageAttributes';
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

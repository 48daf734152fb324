import { EventsConfigurationError } from '@nestjs-events/core';
import type {
  SubscriptionOutline,
  TopologySubscription,
  TopologyTopic,
  TransportTopology,
} from '@nestjs-events/core/transport';
import type { QueueGroup, SqsConsumption } from '@nestjs-events/sqs/transport';
import type { TopicResolver } from '../publishing/topic.resolver';
import { unionFilterPolicy } from './sns-filter-policy';
import { sharedTopicBodyPolicy, typeFilterPolicy } from './sns-sqs.provisioner';

/** A subscription filter policy and what SNS applies it to. */
export interface SubscriptionFilter {
  readonly policy: object;
  readonly scope: 'MessageAttributes' | 'MessageBody';
}

/** What `describeSnsSqsTopology` needs of the transport. */
export interface SnsSqsTopologyInput {
  readonly transport: string;
  readonly fifo: boolean;
  readonly topics: TopicResolver;
  readonly consumption: SqsConsumption;
  readonly subscriptions: readonly SubscriptionOutline[];
  readonly publishes: readonly string[];
}

/**
 * What the SNS/SQS transport's provisioning creates: the queues of the handlers with their
 * dead-letter queues, the topics of the types they read and the application publishes, one
 * raw-delivery subscription per queue and topic, filtering at the broker as far as SNS can (on the
 * body with the handlers' content patterns when SNS's filter language expresses them, otherwise
 * on the type alone; what a filter lets through too much, the handlers' own matching skips), and
 * the queue policies that let those topics send.
 */
export function describeSnsSqsTopology(input: SnsSqsTopologyInput): TransportTopology {
  const { topics, fifo } = input;
  const groups = input.consumption.group(input.subscriptions);
  const notes: string[] = [];
  const topicList = new Map<string, TopologyTopic>();
  const addTopic = (type: string) => {
    const arn = topics.sharedArn;
    const name = arn ? arn.slice(arn.lastIndexOf(':') + 1) : topics.nameFor(type);
    const known = topicList.get(name);
    if (known && !known.eventTypes.includes(type)) {
      topicList.set(name, { ...known, eventTypes: [...known.eventTypes, type] });
    } else if (!known) {
      topicList.set(name, { name, fifo, eventTypes: [type], ...(arn ? { arn } : {}) });
    }
    return name;
  };
  const subscriptions: TopologySubscription[] = [];
  const queuePolicies: TransportTopology['queuePolicies'][number][] = [];
  for (const group of groups) {
    const queue = group.options.name;
    const sources = new Set<string>();
    if (topics.shared) {
      const topic = addTopic(group.eventTypes[0]);
      for (const type of group.eventTypes.slice(1)) addTopic(type);
      subscriptions.push(subscription(topic, queue, sharedTopicFilter(group, notes)));
      sources.add(topic);
    } else {
      const wildcard = group.eventTypes.find((type) => type.includes('*'));
      if (wildcard) {
        throw new EventsConfigurationError(
          `Cannot provision "${wildcard}" for queue "${queue}": with one topic per event type, ` +
            'a wildcard names no topic. List the types, or use a shared topic (topics: { arn }).',
        );
      }
      for (const type of group.eventTypes) {
        const topic = addTopic(type);
        subscriptions.push(subscription(topic, queue, typeTopicFilter(group, type, notes)));
        sources.add(topic);
      }
    }
    queuePolicies.push({
      queue,
      service: 'sns.amazonaws.com',
      sources: [...sources].map((name) => ({ kind: 'topic', name })),
    });
  }
  for (const type of input.publishes) {
    if (!type.includes('*')) addTopic(type);
    else if (!topics.shared) {
      notes.push(`Published selector "${type}" names no topic: list the types it publishes.`);
    }
  }
  return {
    transport: input.transport,
    kind: 'sns-sqs',
    queues: groups.map((group) => input.consumption.describeQueue(group)),
    topics: [...topicList.values()],
    subscriptions,
    buses: [],
    rules: [],
    queuePolicies,
    notes,
  };
}

function subscription(
  topic: string,
  queue: string,
  filter: SubscriptionFilter | undefined,
): TopologySubscription {
  return {
    topic,
    queue,
    rawMessageDelivery: true,
    ...(filter ? { filterPolicy: filter.policy, filterPolicyScope: filter.scope } : {}),
  };
}

/** The filter of a queue's subscription to the shared topic, which carries every type. */
function sharedTopicFilter(group: QueueGroup, notes: string[]): SubscriptionFilter | undefined {
  const byType = typeFilterPolicy(group.eventTypes);
  const attributes: SubscriptionFilter | undefined = byType && {
    policy: byType,
    scope: 'MessageAttributes',
  };
  if (!group.subscriptions.some((subscription) => subscription.pattern !== undefined)) {
    return attributes;
  }
  const body = sharedTopicBodyPolicy(group.subscriptions);
  if (body) return { policy: body, scope: 'MessageBody' };
  notes.push(
    `The content patterns of queue "${group.options.name}" are beyond SNS filter policies; its ` +
      'subscription filters on event-type only and the handlers skip the rest.',
  );
  return attributes;
}

/** The filter of a queue's subscription to the topic of `type`: its handlers' patterns. */
function typeTopicFilter(
  group: QueueGroup,
  type: string,
  notes: string[],
): SubscriptionFilter | undefined {
  const handlers = group.subscriptions.filter((subscription) =>
    subscription.eventTypes.includes(type),
  );
  // A handler without a pattern takes every event of the topic.
  if (!handlers.every((handler) => handler.pattern !== undefined)) return undefined;
  const policy = unionFilterPolicy(handlers.map(({ pattern }) => ({ pattern })));
  if (policy) return { policy, scope: 'MessageBody' };
  notes.push(
    `The content patterns of queue "${group.options.name}" for "${type}" are beyond SNS filter ` +
      'policies; its subscription takes every event of the topic and the handlers skip the rest.',
  );
  return undefined;
}

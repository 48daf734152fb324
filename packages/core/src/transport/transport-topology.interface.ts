import type { EventSubscription } from './transport.interface';

/**
 * What a transport needs to know of a handler to say what the broker must hold for it: the
 * part of an `EventSubscription` that is plain data, which tools can build from metadata alone.
 */
export type SubscriptionOutline = Pick<
  EventSubscription,
  'handler' | 'eventTypes' | 'queue' | 'pattern'
>;

/** A queue, with the dead-letter queue and redrive policy that provisioning gives it. */
export interface TopologyQueue {
  readonly name: string;
  readonly fifo: boolean;
  readonly deadLetterQueue: string;
  /** Receives before the redrive policy moves a message to `deadLetterQueue`. */
  readonly maxReceiveCount: number;
  readonly visibilityTimeoutSeconds: number;
  /** Handlers reading the queue; empty for a queue this application only sends to. */
  readonly handlers: readonly string[];
  /** Event types and selectors its handlers take. */
  readonly eventTypes: readonly string[];
}

/** A topic; `arn` is set when the topic is configured by ARN and so not created. */
export interface TopologyTopic {
  readonly name: string;
  readonly fifo: boolean;
  /** Event types published to or read from the topic. */
  readonly eventTypes: readonly string[];
  readonly arn?: string;
}

/** A subscription of a queue to a topic. */
export interface TopologySubscription {
  readonly topic: string;
  readonly queue: string;
  readonly rawMessageDelivery: boolean;
  readonly filterPolicy?: object;
  readonly filterPolicyScope?: 'MessageAttributes' | 'MessageBody';
}

/** An event bus; `create` is false for the account's default bus and for one given by ARN. */
export interface TopologyBus {
  readonly name: string;
  readonly create: boolean;
}

/** A rule on a bus with its targets (queues, by name). */
export interface TopologyRule {
  readonly name: string;
  readonly bus: string;
  readonly pattern: object;
  readonly description: string;
  readonly targets: readonly {
    readonly id: string;
    readonly queue: string;
    /** Where the bus puts events it could not deliver to `queue` (the target's DLQ). */
    readonly deadLetterQueue?: string;
  }[];
}

/** The access policy of a queue: which AWS service may send to it, from which topics or rules. */
export interface TopologyQueuePolicy {
  readonly queue: string;
  readonly service: string;
  readonly sources: readonly { readonly kind: 'topic' | 'rule'; readonly name: string }[];
}

/**
 * What a transport's broker holds for an application: plain data, the same that the transport's
 * own provisioning (`provision: true`) creates, so that tools can print it or turn it into
 * infrastructure code. Names only: ARNs and URLs are the broker's to assign.
 */
export interface TransportTopology {
  readonly transport: string;
  /** The kind of broker: `sqs`, `sns-sqs`, `eventbridge`, or a third-party transport's own. */
  readonly kind: string;
  readonly queues: readonly TopologyQueue[];
  readonly topics: readonly TopologyTopic[];
  readonly subscriptions: readonly TopologySubscription[];
  readonly buses: readonly TopologyBus[];
  readonly rules: readonly TopologyRule[];
  readonly queuePolicies: readonly TopologyQueuePolicy[];
  /** What provisioning warns about (a pattern beyond the broker's filters, …). */
  readonly notes: readonly string[];
}

/** What `describeTopology` is asked about. */
export interface TopologyRequest {
  /** The application's handlers on this transport. */
  readonly subscriptions: readonly SubscriptionOutline[];
  /** Event types (or selectors) the application publishes on this transport. @default [] */
  readonly publishes?: readonly string[];
}

/** A transport that can say what its broker must hold; optional in the `Transport` SPI. */
export interface DescribesTopology {
  describeTopology(request: TopologyRequest): TransportTopology;
}

/** True when `transport` implements `describeTopology`. */
export function describesTopology(transport: object): transport is DescribesTopology {
  return typeof (transport as Partial<DescribesTopology>).describeTopology === 'function';
}

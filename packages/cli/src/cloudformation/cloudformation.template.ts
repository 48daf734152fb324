import type {
  TopologyQueue,
  TopologyQueuePolicy,
  TopologyRule,
  TopologySubscription,
  TopologyTopic,
  TransportTopology,
} from '@nestjs-events/core/transport';
import { CliUsageError } from '../cli/cli.error';
import { loadSqsTransportPackage } from '../loading/optional-packages';
import type { ApplicationTopology, IdempotencyTable } from '../topology/application-topology';

/** A CloudFormation template, as JSON. */
export interface CloudFormationTemplate {
  AWSTemplateFormatVersion: '2010-09-09';
  Description: string;
  Parameters: Record<string, { Type: 'String'; Default: string; Description: string }>;
  Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
  Outputs: Record<string, { Description: string; Value: unknown }>;
}

type Intrinsic = Record<string, unknown>;
const ref = (id: string): Intrinsic => ({ Ref: id });
const arnOf = (id: string): Intrinsic => ({ 'Fn::GetAtt': [id, 'Arn'] });

/**
 * A template of what `provision: true` creates for the applications: topics, queues and their
 * dead-letter queues with the redrive policy, raw-delivery subscriptions with their filter
 * policies, queue policies, buses, rules with their queue targets, and the DynamoDB idempotency
 * table with TTL. Every name is a parameter, defaulting to the name the application uses.
 * Resources several applications share (the topic one publishes to and another reads) appear once.
 */
export function buildCloudFormationTemplate(
  apps: readonly ApplicationTopology[],
): CloudFormationTemplate {
  const template: CloudFormationTemplate = {
    AWSTemplateFormatVersion: '2010-09-09',
    Description: `Event topology of ${apps.map((app) => app.name).join(', ')} (@nestjs-events/cli)`,
    Parameters: {},
    Resources: {},
    Outputs: {},
  };
  const builder = new TemplateBuilder(template);
  for (const app of apps) {
    for (const { topology } of app.transports) if (topology) builder.addTopology(topology);
    if (app.idempotencyTable) builder.addTable(app.idempotencyTable);
  }
  return template;
}

class TemplateBuilder {
  /** Logical ids by resource name, per kind. */
  private readonly queues = new Map<string, string>();
  private readonly topics = new Map<string, Intrinsic | string>();
  private readonly buses = new Map<string, Intrinsic | string>();
  private readonly rules = new Map<string, string>();

  constructor(private readonly template: CloudFormationTemplate) {}

  addTopology(topology: TransportTopology): void {
    for (const bus of topology.buses) this.addBus(bus.name, bus.create);
    for (const topic of topology.topics) this.addTopic(topic);
    for (const queue of topology.queues) this.addQueue(queue);
    for (const subscription of topology.subscriptions) this.addSubscription(subscription);
    for (const rule of topology.rules) this.addRule(rule);
    for (const policy of topology.queuePolicies) this.addQueuePolicy(policy);
  }

  addTable(table: IdempotencyTable): void {
    const id = `IdempotencyTable${pascal(table.tableName)}`;
    this.put(id, 'AWS::DynamoDB::Table', {
      TableName: this.nameParameter(id, table.tableName, 'the DynamoDB idempotency table'),
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: table.keyAttribute, AttributeType: 'S' }],
      KeySchema: [{ AttributeName: table.keyAttribute, KeyType: 'HASH' }],
      TimeToLiveSpecification: { AttributeName: table.ttlAttribute, Enabled: true },
    });
    this.output(`${id}Arn`, `ARN of the idempotency table ${table.tableName}`, arnOf(id));
  }

  private addBus(name: string, create: boolean): void {
    if (this.buses.has(name)) return;
    if (!create) {
      this.buses.set(name, name);
      return;
    }
    const id = `EventBus${pascal(name)}`;
    this.put(id, 'AWS::Events::EventBus', {
      Name: this.nameParameter(id, name, 'the EventBridge event bus'),
    });
    // Ref of an event bus is its name.
    this.buses.set(name, ref(id));
    // Not `<id>Name`: that is the parameter's logical id.
    this.output(`${id}Arn`, `ARN of the event bus ${name}`, arnOf(id));
  }

  private addTopic(topic: TopologyTopic): void {
    if (this.topics.has(topic.name)) return;
    if (topic.arn) {
      this.topics.set(topic.name, topic.arn);
      return;
    }
    const id = `Topic${pascal(topic.name)}`;
    this.put(id, 'AWS::SNS::Topic', {
      TopicName: this.nameParameter(
        id,
        topic.name,
        `the SNS topic for ${topic.eventTypes.join(', ')}`,
      ),
      ...(topic.fifo ? { FifoTopic: true, ContentBasedDeduplication: false } : {}),
    });
    this.topics.set(topic.name, ref(id));
    this.output(`${id}Arn`, `ARN of the topic ${topic.name}`, ref(id));
  }

  private addQueue(queue: TopologyQueue): void {
    const known = this.queues.get(queue.name);
    if (known) {
      const redrive = this.template.Resources[known].Properties.RedrivePolicy as
        { maxReceiveCount?: number } | undefined;
      if (redrive && redrive.maxReceiveCount !== queue.maxReceiveCount) {
        throw new CliUsageError(
          `Queue "${queue.name}" is configured twice with different maxReceiveCount ` +
            `(${redrive.maxReceiveCount} and ${queue.maxReceiveCount}). Give both the same.`,
        );
      }
      return;
    }
    const dlqId = this.plainQueue(queue.deadLetterQueue, queue.fifo, 'the dead-letter queue');
    const id = `Queue${pascal(queue.name)}`;
    this.put(id, 'AWS::SQS::Queue', {
      QueueName: this.nameParameter(id, queue.name, 'the SQS queue'),
      ...(queue.fifo ? { FifoQueue: true } : {}),
      VisibilityTimeout: queue.visibilityTimeoutSeconds,
      RedrivePolicy: { deadLetterTargetArn: arnOf(dlqId), maxReceiveCount: queue.maxReceiveCount },
    });
    this.queues.set(queue.name, id);
    this.output(`${id}Url`, `URL of the queue ${queue.name}`, ref(id));
  }

  /** A queue without a redrive policy: a dead-letter queue. */
  private plainQueue(name: string, fifo: boolean, what: string): string {
    const known = this.queues.get(name);
    if (known) return known;
    const id = `Queue${pascal(name)}`;
    this.put(id, 'AWS::SQS::Queue', {
      QueueName: this.nameParameter(id, name, what),
      ...(fifo ? { FifoQueue: true } : {}),
    });
    this.queues.set(name, id);
    this.output(`${id}Url`, `URL of ${what} ${name}`, ref(id));
    return id;
  }

  private addSubscription(subscription: TopologySubscription): void {
    const queue = this.queueId(subscription.queue);
    const id = `Subscription${pascal(subscription.topic)}To${pascal(subscription.queue)}`;
    this.put(id, 'AWS::SNS::Subscription', {
      TopicArn: this.topics.get(subscription.topic),
      Protocol: 'sqs',
      Endpoint: arnOf(queue),
      RawMessageDelivery: subscription.rawMessageDelivery,
      ...(subscription.filterPolicy
        ? {
            FilterPolicy: subscription.filterPolicy,
            FilterPolicyScope: subscription.filterPolicyScope ?? 'MessageAttributes',
          }
        : {}),
    });
  }

  private addRule(rule: TopologyRule): void {
    const id = `Rule${pascal(rule.name)}`;
    this.put(id, 'AWS::Events::Rule', {
      Name: rule.name,
      EventBusName: this.buses.get(rule.bus) ?? rule.bus,
      EventPattern: rule.pattern,
      State: 'ENABLED',
      Description: rule.description,
      Targets: rule.targets.map((target) => ({
        Id: target.id,
        Arn: arnOf(this.queueId(target.queue)),
        ...(target.deadLetterQueue
          ? { DeadLetterConfig: { Arn: arnOf(this.queueId(target.deadLetterQueue)) } }
          : {}),
      })),
    });
    this.rules.set(rule.name, id);
  }

  private addQueuePolicy(policy: TopologyQueuePolicy): void {
    const { serviceQueuePolicy } = loadSqsTransportPackage('A queue policy');
    const queue = this.queueId(policy.queue);
    const sources = policy.sources.map((source) =>
      source.kind === 'topic' ? this.topics.get(source.name) : arnOf(this.rules.get(source.name)!),
    );
    const id = `QueuePolicy${pascal(policy.queue)}${pascal(policy.service.split('.')[0])}`;
    this.put(id, 'AWS::SQS::QueuePolicy', {
      Queues: [ref(queue)],
      // The same document provisioning sets, with the ARNs CloudFormation assigns.
      PolicyDocument: serviceQueuePolicy(
        arnOf(queue) as unknown as string,
        policy.service,
        // As provisioning passes them: a rule's one ARN alone, a queue's topics as a list.
        (policy.sources.every((source) => source.kind === 'rule') && sources.length === 1
          ? sources[0]
          : sources) as unknown as string[],
      ),
    });
  }

  private queueId(name: string): string {
    const id = this.queues.get(name);
    if (!id) throw new Error(`Queue "${name}" is referenced before it is described.`);
    return id;
  }

  private nameParameter(id: string, name: string, what: string): Intrinsic {
    const parameter = `${id}Name`;
    this.template.Parameters[parameter] = {
      Type: 'String',
      Default: name,
      Description: `Name of ${what} (default ${name})`,
    };
    return ref(parameter);
  }

  private put(id: string, type: string, properties: Record<string, unknown>): void {
    if (this.template.Resources[id]) {
      throw new CliUsageError(
        `Two resources would have the logical id ${id}: rename one of the queues, topics or rules ` +
          'whose names differ only in punctuation.',
      );
    }
    this.template.Resources[id] = { Type: type, Properties: properties };
  }

  private output(id: string, description: string, value: unknown): void {
    this.template.Outputs[id] = { Description: description, Value: value };
  }
}

/** A name as a part of a logical id: letters and digits, each word capitalised. */
function pascal(name: string): string {
  return name
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((word) => word[0].toUpperCase() + word.slice(1))
    .join('');
}

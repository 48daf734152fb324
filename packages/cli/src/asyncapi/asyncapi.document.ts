import type { EventDefinition } from '@nestjs-events/core';
import type { TransportTopology } from '@nestjs-events/core/transport';
import type { ApplicationTopology, TransportView } from '../topology/application-topology';
import { eventVersionsOf, messageId } from './event-messages';
import { dataSchemaOf, envelopeSchema } from './json-schema.converter';

type Json = Record<string, unknown>;

/** The binding versions AsyncAPI 3.0.0 documents validate against. */
const SNS_BINDING = '0.1.0';
const SQS_BINDING = '0.2.0';

/** The AsyncAPI document, with what could not go into it. */
export interface AsyncApiResult {
  readonly document: Json;
  /** Event versions whose payload schema could not be generated, and why. */
  readonly notes: readonly string[];
}

const id = (kind: string, name: string) => `${kind}-${name}`.replace(/[^\w.-]/g, '_');
const channelRef = (channel: string) => ({ $ref: `#/channels/${channel}` });
const messageRef = (channel: string, message: string) => ({
  $ref: `#/channels/${channel}/messages/${message}`,
});

/**
 * An AsyncAPI 3.0 document of one application: a channel per topic, queue and bus it uses; a
 * `send` operation per event version it publishes, a `receive` operation per handler and per
 * subscription of its queues to topics; a message per event type and version, whose payload is
 * the envelope with the data's JSON Schema from the definition's validator. SNS and SQS details
 * are bindings; EventBridge, which has none, is described in `x-eventbridge`.
 */
export function buildAsyncApiDocument(app: ApplicationTopology): AsyncApiResult {
  const notes: string[] = [];
  const messages: Json = {};
  for (const definition of eventVersionsOf(app)) {
    const { schema, problem } = dataSchemaOf(definition, 'draft-07');
    if (problem) notes.push(`${definition.type} v${definition.version}: ${problem}`);
    messages[messageId(definition)] = {
      name: definition.type,
      title: `${definition.type} v${definition.version}`,
      contentType: 'application/json',
      payload: {
        schemaFormat: 'application/schema+json;version=draft-07',
        schema: envelopeSchema(definition, schema, 'draft-07'),
      },
    };
  }
  const channels: Json = {};
  const operations: Json = {};
  for (const transport of app.transports) {
    if (transport.topology) {
      describeTransport(transport, transport.topology, app.accepts, channels, operations);
    }
  }
  return {
    document: {
      asyncapi: '3.0.0',
      info: {
        title: app.title ?? app.name,
        version: app.version ?? '1.0.0',
        description: `Events of ${app.name}, from its handlers and EventsModule options (@nestjs-events/cli).`,
      },
      defaultContentType: 'application/json',
      channels,
      operations,
      components: { messages },
    },
    notes,
  };
}

function describeTransport(
  view: TransportView,
  topology: TransportTopology,
  accepts: readonly EventDefinition[],
  channels: Json,
  operations: Json,
): void {
  const handled = [...view.handlers.flatMap((h) => h.definitions), ...accepts];
  const definitionsOf = (types: readonly string[], published: boolean) =>
    [...(published ? view.publishes : []), ...handled].filter((definition) =>
      types.includes(definition.type),
    );
  const channel = (key: string, body: Json, definitions: readonly EventDefinition[]) => {
    const refs: Json = {};
    for (const definition of definitions) {
      refs[messageId(definition)] = { $ref: `#/components/messages/${messageId(definition)}` };
    }
    const known = channels[key] as { messages: Json } | undefined;
    if (known) Object.assign(known.messages, refs);
    else channels[key] = { ...body, messages: refs };
  };
  for (const topic of topology.topics) {
    channel(
      id('topic', topic.name),
      {
        address: topic.name,
        title: `SNS topic ${topic.name}`,
        bindings: {
          sns: {
            name: topic.arn ?? topic.name,
            ...(topic.fifo ? { ordering: { type: 'FIFO', contentBasedDeduplication: false } } : {}),
            bindingVersion: SNS_BINDING,
          },
        },
      },
      definitionsOf(topic.eventTypes, true),
    );
  }
  for (const queue of topology.queues) {
    const deadLetter = { name: queue.deadLetterQueue, fifoQueue: queue.fifo };
    channel(
      id('queue', queue.name),
      {
        address: queue.name,
        title: `SQS queue ${queue.name}`,
        bindings: {
          sqs: {
            queue: {
              name: queue.name,
              fifoQueue: queue.fifo,
              visibilityTimeout: queue.visibilityTimeoutSeconds,
              redrivePolicy: {
                deadLetterQueue: { name: queue.deadLetterQueue },
                maxReceiveCount: queue.maxReceiveCount,
              },
            },
            deadLetterQueue: deadLetter,
            bindingVersion: SQS_BINDING,
          },
        },
      },
      definitionsOf(queue.eventTypes, false),
    );
  }
  for (const bus of topology.buses) {
    const rules = topology.rules.filter((rule) => rule.bus === bus.name);
    channel(
      id('bus', bus.name),
      {
        address: bus.name,
        title: `EventBridge event bus ${bus.name}`,
        'x-eventbridge': {
          eventBus: bus.name,
          rules: rules.map((rule) => ({
            name: rule.name,
            eventPattern: rule.pattern,
            targets: rule.targets.map((target) => ({
              id: target.id,
              sqsQueue: target.queue,
              ...(target.deadLetterQueue ? { deadLetterQueue: target.deadLetterQueue } : {}),
            })),
          })),
        },
      },
      definitionsOf(
        [...view.publishes.map((d) => d.type), ...view.handlers.flatMap((h) => h.eventTypes)],
        true,
      ),
    );
  }
  // What the application publishes: to its type's topic, or to the bus.
  for (const definition of view.publishes) {
    const topic = topology.topics.find((t) => t.eventTypes.includes(definition.type));
    const bus = topology.buses[0];
    const target = topic ? id('topic', topic.name) : bus ? id('bus', bus.name) : undefined;
    if (!target) continue;
    operations[id('send', messageId(definition))] = {
      action: 'send',
      title: `Publish ${definition.type} v${definition.version}`,
      channel: channelRef(target),
      messages: [messageRef(target, messageId(definition))],
      ...(bus && !topic
        ? { 'x-eventbridge': { detailType: definition.type, eventBus: bus.name } }
        : {}),
    };
  }
  // How events reach the queues: SNS subscriptions, with their filter policies.
  for (const subscription of topology.subscriptions) {
    const topic = id('topic', subscription.topic);
    const queue = id('queue', subscription.queue);
    operations[id('subscription', `${subscription.topic}-to-${subscription.queue}`)] = {
      action: 'receive',
      title: `SNS delivers ${subscription.topic} to ${subscription.queue}`,
      channel: channelRef(topic),
      bindings: {
        sns: {
          topic: { name: subscription.topic },
          consumers: [
            {
              protocol: 'sqs',
              endpoint: { name: subscription.queue },
              rawMessageDelivery: subscription.rawMessageDelivery,
              ...(subscription.filterPolicy
                ? {
                    filterPolicy: subscription.filterPolicy,
                    filterPolicyScope: subscription.filterPolicyScope ?? 'MessageAttributes',
                  }
                : {}),
            },
          ],
          bindingVersion: SNS_BINDING,
        },
      },
      'x-delivers-to': channelRef(queue),
    };
  }
  // The handlers, each reading its queue.
  for (const handler of view.handlers) {
    const queue = topology.queues.find((q) => q.handlers.includes(handler.handler));
    if (!queue) continue;
    const channelId = id('queue', queue.name);
    operations[id('receive', handler.handler)] = {
      action: 'receive',
      title: `${handler.handler} handles ${handler.eventTypes.join(', ')}`,
      channel: channelRef(channelId),
      ...(handler.definitions.length
        ? {
            messages: [
              ...handler.definitions,
              ...accepts.filter((old) => handler.definitions.some((d) => d.type === old.type)),
            ].map((d) => messageRef(channelId, messageId(d))),
          }
        : {}),
      'x-nestjs-events': {
        handler: handler.handler,
        eventTypes: handler.eventTypes,
        ...(handler.filterPattern ? { pattern: handler.filterPattern } : {}),
      },
    };
  }
}

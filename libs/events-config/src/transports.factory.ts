import type { ConfigService } from '@nestjs/config';
import { EventsConfigurationError, InMemoryTransport, type Transport } from '@nestjs-events/core';
import { EventBridgeTransport } from '@nestjs-events/eventbridge';
import { SnsSqsTransport } from '@nestjs-events/sns';

/** What a service consumes, when it consumes anything. */
export interface ConsumerSettings {
  /** Queue its handlers read from, unless `EVENTS_QUEUE` names another. */
  readonly queue?: string;
}

/**
 * Builds the transport named by `EVENTS_TRANSPORT` from the environment. The handlers never
 * change: moving a service from memory to SNS/SQS or EventBridge is configuration only.
 *
 * | variable | used by | default |
 * | --- | --- | --- |
 * | `EVENTS_TRANSPORT` | all | `memory` (or `sns-sqs`, `eventbridge`) |
 * | `AWS_REGION`, `AWS_ENDPOINT_URL` | AWS transports | SDK defaults |
 * | `EVENTS_TOPIC_PREFIX` | sns-sqs | `shop-` |
 * | `EVENT_BUS_NAME` | eventbridge | `shop` |
 * | `EVENTS_QUEUE` | AWS transports, consumers | the service's default queue |
 * | `EVENTS_PROVISION` | AWS transports | `false`; `true` creates topics, queues, rules |
 */
export function transportsFromConfig(
  config: ConfigService,
  consumer: ConsumerSettings = {},
): Transport[] {
  const kind = config.get<string>('EVENTS_TRANSPORT', 'memory');
  const aws = {
    region: config.get<string>('AWS_REGION'),
    endpoint: config.get<string>('AWS_ENDPOINT_URL'),
  };
  const provision = config.get<string>('EVENTS_PROVISION') === 'true';
  const queue = consumer.queue && config.get<string>('EVENTS_QUEUE', consumer.queue);
  const queues = queue ? [{ name: queue }] : [];
  switch (kind) {
    case 'memory':
      return [new InMemoryTransport()];
    case 'sns-sqs':
      return [
        new SnsSqsTransport({
          ...aws,
          topics: { prefix: config.get<string>('EVENTS_TOPIC_PREFIX', 'shop-') },
          queues,
          provision,
        }),
      ];
    case 'eventbridge':
      return [
        new EventBridgeTransport({
          ...aws,
          eventBusName: config.get<string>('EVENT_BUS_NAME', 'shop'),
          queues,
          provision,
        }),
      ];
    default:
      throw new EventsConfigurationError(
        `EVENTS_TRANSPORT=${kind} is not a transport: use memory, sns-sqs or eventbridge.`,
      );
  }
}

import type { EventEnvelope } from '@nestjs-events/core';

/** Names of the message attributes every published event carries, for subscription filters. */
export const EVENT_ATTRIBUTES = {
  type: 'event-type',
  version: 'event-version',
  source: 'event-source',
  aggregateId: 'aggregate-id',
  correlationId: 'correlation-id',
} as const;

/** Attributes added to a message sent to a dead-letter queue, saying why it is there. */
export const DEAD_LETTER_ATTRIBUTES = {
  reason: 'dead-letter-reason',
  handler: 'dead-letter-handler',
  error: 'dead-letter-error',
  attempts: 'dead-letter-attempts',
  sourceQueue: 'dead-letter-source-queue',
} as const;

export interface StringAttribute {
  DataType: 'String' | 'Number';
  StringValue: string;
}

export function eventAttributes(event: EventEnvelope): Record<string, StringAttribute> {
  const attributes: Record<string, StringAttribute> = {
    [EVENT_ATTRIBUTES.type]: { DataType: 'String', StringValue: event.type },
    [EVENT_ATTRIBUTES.version]: { DataType: 'Number', StringValue: String(event.version) },
    [EVENT_ATTRIBUTES.source]: { DataType: 'String', StringValue: event.source },
    [EVENT_ATTRIBUTES.correlationId]: {
      DataType: 'String',
      StringValue: event.metadata.correlationId,
    },
  };
  if (event.aggregateId) {
    attributes[EVENT_ATTRIBUTES.aggregateId] = {
      DataType: 'String',
      StringValue: event.aggregateId,
    };
  }
  return attributes;
}

/** Bytes a message counts against SNS's and SQS's limits: body plus attribute names and values. */
export function messageSize(body: string, attributes: Record<string, StringAttribute>): number {
  let size = Buffer.byteLength(body);
  for (const [name, value] of Object.entries(attributes)) {
    size +=
      Buffer.byteLength(name) +
      Buffer.byteLength(value.DataType) +
      Buffer.byteLength(value.StringValue);
  }
  return size;
}

/** One SNS message may hold at most 256 KiB, attributes included. */
export const MAX_MESSAGE_BYTES = 262_144;

/** One SQS message may hold at most 1 MiB, attributes included; so may one batch call. */
export const MAX_SQS_MESSAGE_BYTES = 1_048_576;

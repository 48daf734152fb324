import type { EventEnvelope } from '@nestjs-events/core';
import { OversizeEventError } from '@nestjs-events/core/transport';
import { eventAttributes, messageSize, type StringAttribute } from './message-attributes';

/** An envelope as an SNS or SQS message: JSON body, filterable attributes, counted size. */
export interface EncodedMessage {
  readonly event: EventEnvelope;
  readonly body: string;
  readonly attributes: Record<string, StringAttribute>;
  readonly size: number;
}

/** Encodes `event`, refusing it before anything is sent when it is over `maxBytes`. */
export function encodeMessage(event: EventEnvelope, maxBytes: number): EncodedMessage {
  const body = JSON.stringify(event);
  const attributes = eventAttributes(event);
  const size = messageSize(body, attributes);
  if (size > maxBytes) throw new OversizeEventError(event.id, event.type, size, maxBytes);
  return { event, body, attributes, size };
}

import { assertEventEnvelope, InvalidEventError, type EventEnvelope } from '@nestjs-events/core';
import { MAX_MESSAGE_BYTES } from './message-attributes';

/** Why a message cannot be handled by anyone: it goes to the dead-letter queue at once. */
export type PoisonReason = 'malformed-json' | 'not-an-event' | 'unknown-event-type' | 'oversize';

export class PoisonMessageError extends InvalidEventError {
  override name = 'PoisonMessageError';

  constructor(
    readonly reason: PoisonReason,
    message: string,
  ) {
    super(message);
  }
}

/** Which wrapper an event arrived in. */
export type Wrapping = 'sns' | 'raw' | 'eventbridge';

interface SnsNotification {
  Type: 'Notification';
  Message: string;
  TopicArn?: string;
}

interface EventBridgeEvent {
  'detail-type': string;
  source: string;
  time?: string;
  detail: Partial<EventEnvelope>;
}

function parse(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new PoisonMessageError(
      'malformed-json',
      `${what} is not JSON (${(error as Error).message}); it starts with ${JSON.stringify(text.slice(0, 80))}`,
    );
  }
}

function isSnsNotification(value: unknown): value is SnsNotification {
  const candidate = value as Partial<SnsNotification>;
  return candidate?.Type === 'Notification' && typeof candidate.Message === 'string';
}

function isEventBridgeEvent(value: unknown): value is EventBridgeEvent {
  const candidate = value as Partial<EventBridgeEvent>;
  return (
    typeof candidate?.['detail-type'] === 'string' &&
    typeof candidate.source === 'string' &&
    typeof candidate.detail === 'object' &&
    candidate.detail !== null
  );
}

/**
 * The envelope of an EventBridge event as the EventBridge transport sends it: `source` and
 * `detail-type` carry the source and type, `detail` the rest of the envelope.
 */
function fromEventBridge(event: EventBridgeEvent): unknown {
  const { detail } = event;
  return {
    ...detail,
    type: event['detail-type'],
    source: event.source,
    occurredAt: detail.occurredAt ?? event.time,
  };
}

/**
 * Reads an SQS message body, whichever way it was delivered: an SNS notification (raw delivery
 * off), the envelope itself (raw delivery on, or sent to SQS directly), or an EventBridge event
 * (a rule with an SQS target). Throws `PoisonMessageError` for anything that is not an event.
 */
export function decodeMessage(body: string | undefined): {
  event: EventEnvelope;
  wrapping: Wrapping;
} {
  let value = parse(body ?? '', 'The message body');
  let wrapping: Wrapping = 'raw';
  let text = body ?? '';
  if (isSnsNotification(value)) {
    text = value.Message;
    value = parse(value.Message, 'The SNS notification\'s "Message"');
    wrapping = 'sns';
  }
  // Publishers refuse events over the limit; one that arrives anyway was not sent through them.
  // (EventBridge enforces the same limit on PutEvents, so its wrapper is not measured.)
  const bytes = Buffer.byteLength(text);
  if (bytes > MAX_MESSAGE_BYTES && !isEventBridgeEvent(value)) {
    throw new PoisonMessageError(
      'oversize',
      `The event is ${bytes} bytes, over the ${MAX_MESSAGE_BYTES}-byte limit of one event. ` +
        'Publish large payloads to object storage and send a reference.',
    );
  }
  if (isEventBridgeEvent(value)) {
    value = fromEventBridge(value);
    wrapping = 'eventbridge';
  }
  try {
    assertEventEnvelope(value, 'consume');
  } catch (error) {
    throw new PoisonMessageError('not-an-event', (error as Error).message);
  }
  const event = value.metadata ? value : { ...value, metadata: { correlationId: value.id } };
  return { event, wrapping };
}

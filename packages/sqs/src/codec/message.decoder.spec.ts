import {
  eventBridgeUnwrapper,
  toPutEventsEntry,
} from '../../../eventbridge/src/envelope/eventbridge.envelope';
import type { EventEnvelope } from '@nestjs-events/core';
import { envelope } from '../sqs.spec-helpers';
import { DEFAULT_DECODER_OPTIONS, decodeMessage, type DecoderOptions } from './message.decoder';
import { PoisonMessageError } from './poison-message.error';

const withEventBridge: DecoderOptions = {
  ...DEFAULT_DECODER_OPTIONS,
  unwrappers: [...DEFAULT_DECODER_OPTIONS.unwrappers, eventBridgeUnwrapper],
};

function snsNotification(message: string): string {
  return JSON.stringify({
    Type: 'Notification',
    MessageId: 'sns-1',
    TopicArn: 'arn:t',
    Message: message,
  });
}

/** An event as an EventBridge rule delivers it to SQS, built from what the producer puts. */
function eventBridgeEvent(event: EventEnvelope): string {
  const entry = toPutEventsEntry(event, 'default');
  return JSON.stringify({
    version: '0',
    id: 'eb-1',
    'detail-type': entry.DetailType,
    source: entry.Source,
    time: '2024-01-01T00:00:00Z',
    detail: JSON.parse(entry.Detail!),
  });
}

/** The PoisonMessageError that decoding `body` throws. */
function poison(body: string | undefined, options?: DecoderOptions): PoisonMessageError {
  try {
    decodeMessage(body, options);
  } catch (error) {
    if (error instanceof PoisonMessageError) return error;
    throw error;
  }
  throw new Error('decoded without error');
}

describe('decodeMessage', () => {
  const event = envelope({ aggregateId: 'order-1' });

  it('reads a raw envelope', () => {
    expect(decodeMessage(JSON.stringify(event))).toEqual({ event, wrapping: 'raw' });
  });

  it('reads an SNS notification (raw message delivery off)', () => {
    expect(decodeMessage(snsNotification(JSON.stringify(event)))).toEqual({
      event,
      wrapping: 'sns',
    });
  });

  it('reads an EventBridge event when its unwrapper is given', () => {
    const body = eventBridgeEvent(event);

    expect(decodeMessage(body, withEventBridge)).toEqual({ event, wrapping: 'eventbridge' });
    // Without the unwrapper, the EventBridge event is no envelope.
    expect(poison(body).reason).toBe('not-an-event');
  });

  it('names the problem and the size of malformed JSON, never its content', () => {
    const body = '{"email":"a@b.c", ssn 123-45-6789';

    const error = poison(body);

    expect(error.reason).toBe('malformed-json');
    expect(error.message).toBe(`The message body is not JSON (SyntaxError; ${body.length} bytes).`);
    for (const secret of ['a@b.c', '123-45-6789', 'email', 'ssn']) {
      expect(error.message).not.toContain(secret);
    }
  });

  it('says which part is malformed inside an SNS notification', () => {
    const error = poison(snsNotification('{"email":"a@b.c"'));

    expect(error.reason).toBe('malformed-json');
    expect(error.message).toContain('The SNS notification\'s "Message" is not JSON');
    expect(error.message).not.toContain('a@b.c');
  });

  it('refuses an empty or missing body as malformed', () => {
    expect(poison('').reason).toBe('malformed-json');
    expect(poison(undefined).reason).toBe('malformed-json');
  });

  it('refuses JSON that is not an envelope, naming what is wrong', () => {
    const error = poison(JSON.stringify({ id: 'e-9', type: 'order.created' }));

    expect(error.reason).toBe('not-an-event');
    expect(error.message).toContain('"version" must be a positive integer');
  });

  it('refuses an envelope over maxEventBytes, raw or inside an SNS notification', () => {
    const body = JSON.stringify(event);
    const options = { ...DEFAULT_DECODER_OPTIONS, maxEventBytes: body.length - 1 };

    for (const wrapped of [body, snsNotification(body)]) {
      const error = poison(wrapped, options);
      expect(error.reason).toBe('oversize');
      expect(error.message).toContain(
        `The event is ${body.length} bytes, over the ${body.length - 1}-byte limit`,
      );
    }
    // At the limit is fine, and the SNS wrapper around it does not count.
    const atLimit = { ...options, maxEventBytes: body.length };
    expect(decodeMessage(snsNotification(body), atLimit).event).toEqual(event);
  });

  it('does not measure EventBridge bodies: EventBridge enforced its own limit', () => {
    const options = { ...withEventBridge, maxEventBytes: 10 };

    expect(decodeMessage(eventBridgeEvent(event), options).event).toEqual(event);
  });

  it('gives an envelope without metadata its id as correlationId', () => {
    const bare = { ...envelope({ id: 'e-7' }), metadata: undefined };

    expect(decodeMessage(JSON.stringify(bare)).event.metadata).toEqual({ correlationId: 'e-7' });
  });
});

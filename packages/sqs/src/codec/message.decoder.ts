import type { EventEnvelope } from '@nestjs-events/core';
import { assertEventEnvelope } from '@nestjs-events/core/transport';
import { PoisonMessageError } from './poison-message.error';
import type { MessageUnwrapper } from './message-unwrapper.interface';
import { snsUnwrapper } from './sns.unwrapper';

/** How a message body is read: the wire formats around the envelope, and the size limit. */
export interface DecoderOptions {
  /** Formats tried in order; a body none recognises is the envelope itself (`raw`). */
  readonly unwrappers: readonly MessageUnwrapper[];
  /** Largest envelope accepted, in bytes of JSON text. */
  readonly maxEventBytes: number;
}

/** SNS notifications and raw envelopes, within SNS's 256 KiB. */
export const DEFAULT_DECODER_OPTIONS: DecoderOptions = {
  unwrappers: [snsUnwrapper],
  maxEventBytes: 262_144,
};

function parse(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    // Name the problem, never the content: a body may carry personal data.
    throw new PoisonMessageError(
      'malformed-json',
      `${what} is not JSON (${(error as Error).name}; ${Buffer.byteLength(text)} bytes).`,
    );
  }
}

/**
 * Reads an SQS message body, whichever way it was delivered: wrapped in one of the formats of
 * `options.unwrappers` (an SNS notification, an EventBridge event, …), or the envelope itself
 * (raw delivery, or sent to SQS directly). Throws `PoisonMessageError` for anything that is not
 * an event.
 */
export function decodeMessage(
  body: string | undefined,
  options: DecoderOptions = DEFAULT_DECODER_OPTIONS,
): { event: EventEnvelope; wrapping: string } {
  let value = parse(body ?? '', 'The message body');
  let text: string | undefined = body ?? '';
  let wrapping = 'raw';
  for (const unwrapper of options.unwrappers) {
    const inner = unwrapper.unwrap(value);
    if (!inner) continue;
    wrapping = unwrapper.wrapping;
    if ('text' in inner) {
      text = inner.text;
      value = parse(inner.text, inner.what);
    } else {
      text = undefined;
      value = inner.value;
    }
    break;
  }
  // Publishers refuse events over the limit; one that arrives anyway was not sent through them.
  const bytes = text === undefined ? 0 : Buffer.byteLength(text);
  if (bytes > options.maxEventBytes) {
    throw new PoisonMessageError(
      'oversize',
      `The event is ${bytes} bytes, over the ${options.maxEventBytes}-byte limit of one event. ` +
        'Publish large payloads to object storage and send a reference.',
    );
  }
  try {
    assertEventEnvelope(value, 'consume');
  } catch (error) {
    throw new PoisonMessageError('not-an-event', (error as Error).message);
  }
  const event = value.metadata ? value : { ...value, metadata: { correlationId: value.id } };
  return { event, wrapping };
}

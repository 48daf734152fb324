/** What an unwrapper found inside a message body. */
export type UnwrappedMessage =
  /** The envelope as JSON text, still to parse; it counts against the message size limit. */
  | { readonly text: string; readonly what: string }
  /** The envelope as a value, from a broker that enforced its own size limit. */
  | { readonly value: unknown };

/**
 * One wire format an event may arrive in on an SQS queue, around the envelope: an SNS
 * notification, an EventBridge event, … A body no unwrapper recognises is the envelope itself.
 * Transports that deliver into SQS in a format of their own pass its unwrapper to the consumer.
 */
export interface MessageUnwrapper {
  /** Name of the format (`sns`, `eventbridge`), reported as how the event arrived. */
  readonly wrapping: string;
  /** What `message` (the parsed body) carries, or undefined when it is not in this format. */
  unwrap(message: unknown): UnwrappedMessage | undefined;
}

import type { MessageUnwrapper } from './message-unwrapper.interface';

interface SnsNotification {
  Type: 'Notification';
  Message: string;
}

function isSnsNotification(value: unknown): value is SnsNotification {
  const candidate = value as Partial<SnsNotification> | null;
  return candidate?.Type === 'Notification' && typeof candidate.Message === 'string';
}

/**
 * An SNS notification, as SQS holds it when the subscription's raw message delivery is off: the
 * envelope is the JSON text in `Message`.
 */
export const snsUnwrapper: MessageUnwrapper = {
  wrapping: 'sns',
  unwrap: (message) =>
    isSnsNotification(message)
      ? { text: message.Message, what: 'The SNS notification\'s "Message"' }
      : undefined,
};

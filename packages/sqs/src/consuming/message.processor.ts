import type { EventEnvelope } from '@nestjs-events/core';
import {
  SubscriptionSet,
  type DeliveryOutcome,
  type EventSubscription,
} from '@nestjs-events/core/transport';
import {
  decodeMessage,
  DEFAULT_DECODER_OPTIONS,
  type DecoderOptions,
} from '../codec/message.decoder';
import { PoisonMessageError } from '../codec/poison-message.error';

/** Why one handler (or `-` for the message as a whole) gave a message up. */
export interface DeadLetterNote {
  readonly reason: string;
  readonly handler: string;
  readonly error: unknown;
  readonly attempts: number;
}

/**
 * What should become of one SQS message once its handlers have run. The processor only decides;
 * whoever received the message (the long-poll consumer, the Lambda adapter) carries it out.
 */
export type MessageVerdict =
  /** Every handler handled or skipped it. */
  | { readonly action: 'delete' }
  /**
   * At least one handler wants it again after `delayMs`. `deadLetters` lists the handlers that
   * gave up on it meanwhile: a copy goes to the dead-letter queue for them, and the message stays.
   */
  | {
      readonly action: 'retry';
      readonly delayMs: number;
      readonly deadLetters: readonly DeadLetterNote[];
    }
  /** Poison (not an event, no handler for it), or every failing handler gave up on it. */
  | { readonly action: 'dead-letter'; readonly notes: readonly DeadLetterNote[] };

export interface ProcessHooks {
  /**
   * Called when handlers start running, which poison messages never reach; what it returns is
   * called once they have all settled. The consumer keeps the message invisible meanwhile.
   */
  readonly handling?: () => () => void;
}

const DELETE: MessageVerdict = { action: 'delete' };

/**
 * The part of consuming a queue that does not depend on how messages arrive: decodes a body,
 * picks the queue's handlers that take the event, runs them all and merges their outcomes into
 * one verdict. Makes no SQS call, so polling and Lambda share it.
 */
export class MessageProcessor {
  private readonly subscriptions: SubscriptionSet;

  constructor(
    readonly queueName: string,
    subscriptions: readonly EventSubscription[],
    private readonly decoder: DecoderOptions = DEFAULT_DECODER_OPTIONS,
  ) {
    this.subscriptions = new SubscriptionSet(subscriptions);
  }

  /** `attempt` is the message's receive count (1 for the first delivery). Never rejects. */
  async process(
    body: string | undefined,
    attempt: number,
    hooks: ProcessHooks = {},
  ): Promise<MessageVerdict> {
    let event: EventEnvelope;
    try {
      ({ event } = decodeMessage(body, this.decoder));
    } catch (error) {
      const reason = error instanceof PoisonMessageError ? error.reason : 'not-an-event';
      return deadLetter(reason, error, attempt);
    }
    const subscriptions = this.subscriptions.for(event.type);
    if (subscriptions.length === 0) {
      const error = new PoisonMessageError(
        'unknown-event-type',
        `No handler of queue "${this.queueName}" takes "${event.type}" (event ${event.id}). ` +
          'Add a handler, or stop routing this type to the queue.',
      );
      return deadLetter('unknown-event-type', error, attempt);
    }
    const settled = hooks.handling?.();
    let outcomes: DeliveryOutcome[];
    try {
      // In the order of `subscriptions`: many handlers filtering on content cost one lookup.
      const started: Promise<DeliveryOutcome>[] = [];
      this.subscriptions.dispatch(event, { attempt }, (outcome) => started.push(outcome));
      outcomes = await Promise.all(started);
    } finally {
      settled?.();
    }
    const dead: DeadLetterNote[] = [];
    let retryDelayMs: number | undefined;
    outcomes.forEach((outcome, index) => {
      if (outcome.status === 'dead-letter') {
        dead.push({ ...outcome, handler: subscriptions[index].handler });
      } else if (outcome.status === 'retry') {
        retryDelayMs = Math.max(retryDelayMs ?? 0, outcome.delayMs);
      }
    });
    // A message retried for one handler runs every handler of the queue again: that is why
    // handlers that have side effects should be @Idempotent().
    if (retryDelayMs !== undefined) {
      return { action: 'retry', delayMs: retryDelayMs, deadLetters: dead };
    }
    if (dead.length) return { action: 'dead-letter', notes: dead };
    return DELETE;
  }
}

function deadLetter(reason: string, error: unknown, attempts: number): MessageVerdict {
  return { action: 'dead-letter', notes: [{ reason, handler: '-', error, attempts }] };
}

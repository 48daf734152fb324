import { Logger } from '@nestjs/common';
import type { EventEnvelope } from '@nestjs-events/core';
import {
  describeError,
  SubscriptionSet,
  type DeliveryLedger,
  type DeliveryOutcome,
  type EventSubscription,
} from '@nestjs-events/core/transport';
import {
  decodeMessage,
  DEFAULT_DECODER_OPTIONS,
  type DecoderOptions,
} from '../codec/message.decoder';
import { PoisonMessageError } from '../codec/poison-message.error';
import { QueueReporter, type ReportedDeadLetter } from './queue.reporter';

/**
 * Why one handler (or `-` for the message as a whole) gave a message up; `event` is absent for
 * poison.
 */
export type DeadLetterNote = ReportedDeadLetter;

/** One received message, as the processor needs it. */
export interface ReceivedMessage {
  readonly messageId?: string;
  readonly body: string | undefined;
  /** `ApproximateReceiveCount`: 1 for the first delivery. */
  readonly receiveCount: number;
}

/** What a queue's processor is given besides its handlers. */
export interface QueueServices {
  readonly reports: QueueReporter;
  /** Marks per message; without it, a redelivery runs every handler again. */
  readonly deliveries?: DeliveryLedger;
}

/** Receives of one message looked back on for hold-backs: far beyond any retry policy's. */
const MAX_HELD_BACK_LOOKUPS = 64;

const doneMark = (handler: string): string => `done:${handler}`;
const heldBackMark = (receive: number): string => `held-back:${receive}`;

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
   * `done` lists those that handled or skipped it; once the copies are written, `remember` marks
   * both, so that the redelivery runs only the handlers that asked for it.
   */
  | {
      readonly action: 'retry';
      readonly delayMs: number;
      readonly deadLetters: readonly DeadLetterNote[];
      readonly done: readonly string[];
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
 *
 * With several handlers on the queue, a message one of them retries comes back to all of them:
 * the handlers that handled it, skipped it or gave it up are marked in the delivery ledger
 * (`remember`), and its redeliveries run the others only. In FIFO queues a message held back
 * behind a retried one of its group is received again without running; those receives are marked
 * too (`heldBack`), and do not count as attempts.
 */
export class MessageProcessor {
  private readonly subscriptions: SubscriptionSet;
  private readonly logger: Logger;
  private readonly fifo: boolean;

  constructor(
    readonly queueName: string,
    subscriptions: readonly EventSubscription[],
    private readonly decoder: DecoderOptions = DEFAULT_DECODER_OPTIONS,
    private readonly services: QueueServices = { reports: new QueueReporter('-', queueName) },
  ) {
    this.subscriptions = new SubscriptionSet(subscriptions);
    this.logger = new Logger(`MessageProcessor(${queueName})`);
    this.fifo = queueName.endsWith('.fifo');
  }

  get reports(): QueueReporter {
    return this.services.reports;
  }

  /** Never rejects. */
  async process(message: ReceivedMessage, hooks: ProcessHooks = {}): Promise<MessageVerdict> {
    const { receiveCount } = message;
    let event: EventEnvelope;
    try {
      ({ event } = decodeMessage(message.body, this.decoder));
    } catch (error) {
      const reason = error instanceof PoisonMessageError ? error.reason : 'not-an-event';
      return this.poison(message, reason, error);
    }
    let subscriptions = this.subscriptions.for(event.type);
    if (subscriptions.length === 0) {
      const error = new PoisonMessageError(
        'unknown-event-type',
        `No handler of queue "${this.queueName}" takes "${event.type}" (event ${event.id}). ` +
          'Add a handler, or stop routing this type to the queue.',
      );
      return this.poison(message, 'unknown-event-type', error);
    }
    const shared = subscriptions.length > 1;
    let attempt = receiveCount;
    let rerun = false;
    if (receiveCount > 1 && (shared || this.fifo)) {
      const before = await this.lookBack(message, shared ? subscriptions : []);
      attempt -= before.heldBack;
      if (before.done.size) {
        subscriptions = subscriptions.filter((s) => !before.done.has(s.handler));
        rerun = true;
      }
    }
    const settled = hooks.handling?.();
    let outcomes: DeliveryOutcome[];
    try {
      const started: Promise<DeliveryOutcome>[] = [];
      if (rerun) {
        for (const s of subscriptions) started.push(s.handle(event, { attempt }));
      } else {
        // In the order of `subscriptions`: many handlers filtering on content cost one lookup.
        this.subscriptions.dispatch(event, { attempt }, (outcome) => started.push(outcome));
      }
      outcomes = await Promise.all(started);
    } finally {
      settled?.();
    }
    const dead: DeadLetterNote[] = [];
    const done: string[] = [];
    let retryDelayMs: number | undefined;
    outcomes.forEach((outcome, index) => {
      const { handler } = subscriptions[index];
      if (outcome.status === 'dead-letter') {
        dead.push({ event, handler, ...outcome });
      } else if (outcome.status === 'retry') {
        retryDelayMs = Math.max(retryDelayMs ?? 0, outcome.delayMs);
      } else {
        done.push(handler);
      }
    });
    if (retryDelayMs !== undefined) {
      return { action: 'retry', delayMs: retryDelayMs, deadLetters: dead, done };
    }
    if (dead.length) return { action: 'dead-letter', notes: dead };
    return DELETE;
  }

  /**
   * Marks the handlers that are done with a message coming back (those in `done`, and those whose
   * dead letters were written). Never rejects: without the marks they run again, as they would
   * with no ledger (at least once).
   */
  async remember(messageId: string | undefined, handlers: readonly string[]): Promise<void> {
    const { deliveries } = this.services;
    if (!deliveries || !messageId || handlers.length === 0) return;
    try {
      await deliveries.mark(this.deliveryKey(messageId), handlers.map(doneMark));
    } catch (error) {
      this.logger.warn(
        `Could not record which handlers are done with message ${messageId} ` +
          `(${describeError(error)}); they run again when it comes back`,
      );
    }
  }

  /** Marks a FIFO message received without running (held back behind its group). */
  async heldBack(messageId: string | undefined, receiveCount: number): Promise<void> {
    const { deliveries } = this.services;
    if (!deliveries || !messageId) return;
    try {
      await deliveries.mark(this.deliveryKey(messageId), [heldBackMark(receiveCount)]);
    } catch (error) {
      this.logger.warn(
        `Could not record that message ${messageId} was held back (${describeError(error)}); ` +
          'that receive counts as an attempt',
      );
    }
  }

  /** The handlers done with the message, and how many of its receives were held back. */
  private async lookBack(
    { messageId, receiveCount }: ReceivedMessage,
    subscriptions: readonly EventSubscription[],
  ): Promise<{ done: ReadonlySet<string>; heldBack: number }> {
    const { deliveries } = this.services;
    const none = { done: new Set<string>(), heldBack: 0 };
    if (!deliveries || !messageId) return none;
    const marks = subscriptions.map((s) => doneMark(s.handler));
    if (this.fifo) {
      const first = Math.max(1, receiveCount - MAX_HELD_BACK_LOOKUPS);
      for (let receive = first; receive < receiveCount; receive++)
        marks.push(heldBackMark(receive));
    }
    let found: ReadonlySet<string>;
    try {
      found = await deliveries.marked(this.deliveryKey(messageId), marks);
    } catch (error) {
      this.logger.warn(
        `Could not read the marks of message ${messageId} (${describeError(error)}); ` +
          'every handler runs, and every receive counts as an attempt',
      );
      return none;
    }
    const done = new Set(subscriptions.map((s) => s.handler).filter((h) => found.has(doneMark(h))));
    let heldBack = 0;
    for (const mark of found) if (mark.startsWith('held-back:')) heldBack++;
    return { done, heldBack };
  }

  private deliveryKey(messageId: string): string {
    return `sqs:${this.queueName}:${messageId}`;
  }

  private poison(message: ReceivedMessage, reason: string, error: unknown): MessageVerdict {
    this.services.reports.poison(message.messageId, reason, error);
    const note = { reason, handler: '-', error, attempts: message.receiveCount };
    return { action: 'dead-letter', notes: [note] };
  }
}

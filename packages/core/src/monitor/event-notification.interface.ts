import type { EventEnvelope } from '../interfaces/event-envelope.interface';
import type { SkipReason } from '../context/event-context';
import type { DeadLetterReason } from '../transport/transport.interface';

/** What happened to an event, as reported on `EventsMonitor.notifications$`. */
export type EventNotification =
  | { readonly kind: 'published'; readonly event: EventEnvelope; readonly transport: string }
  | {
      readonly kind: 'handled';
      readonly event: EventEnvelope;
      readonly handler: string;
      readonly attempt: number;
      readonly durationMs: number;
    }
  | {
      readonly kind: 'skipped';
      readonly event: EventEnvelope;
      readonly handler: string;
      readonly reason: SkipReason;
    }
  | {
      readonly kind: 'retrying';
      readonly event: EventEnvelope;
      readonly handler: string;
      readonly attempt: number;
      readonly delayMs: number;
      readonly error: unknown;
    }
  | {
      /** A handler run outlived its timeout: the attempt failed, the run goes on (stuck). */
      readonly kind: 'timed-out';
      readonly event: EventEnvelope;
      readonly handler: string;
      readonly attempt: number;
      readonly timeoutMs: number;
    }
  | ({
      /** Reported by the transport once the dead letter is written. */
      readonly kind: 'dead-lettered';
      readonly event: EventEnvelope;
      readonly handler: string;
      readonly transport: string;
    } & DeadLetterReason)
  | {
      /**
       * A dead letter could not be written: the message stays where it is (SQS: it comes back,
       * and the queue's redrive policy moves it eventually). `event` is absent for poison.
       */
      readonly kind: 'dead-letter-failed';
      readonly event?: EventEnvelope;
      /** The handler that gave up, or `-` for poison. */
      readonly handler: string;
      readonly reason: string;
      readonly transport: string;
      readonly queue: string;
      readonly error: unknown;
    }
  | {
      /**
       * A message no handler could be given (malformed, unknown type, oversize, invalid
       * envelope or metadata), on its way to the dead letters.
       */
      readonly kind: 'poison';
      readonly transport: string;
      readonly queue: string;
      readonly messageId?: string;
      readonly reason: string;
      readonly error: unknown;
    }
  | {
      /** Handled messages could not be deleted: they come back (and are skipped if idempotent). */
      readonly kind: 'delete-failed';
      readonly transport: string;
      readonly queue: string;
      readonly messages: number;
      readonly error: unknown;
    }
  | {
      /** A receive failed, or (`stalled`) outlived its wait and margin and was abandoned. */
      readonly kind: 'receive-failed';
      readonly transport: string;
      readonly queue: string;
      readonly stalled: boolean;
      readonly consecutiveFailures: number;
      readonly error: unknown;
    }
  | OutboxNotification;

/** What a transactional outbox's relay reports about the events it sends. */
export type OutboxNotification =
  | {
      /** An event committed to the outbox reached the broker; `lagMs` since it occurred. */
      readonly kind: 'outbox-relayed';
      readonly event: EventEnvelope;
      readonly transport: string;
      readonly lagMs: number;
    }
  | {
      /** Sending it failed; the relay tries again after `delayMs`. */
      readonly kind: 'outbox-retrying';
      readonly event: EventEnvelope;
      readonly transport: string;
      readonly attempt: number;
      readonly delayMs: number;
      readonly error: unknown;
    }
  | {
      /** Sending it kept failing: the row is parked with its error until requeued. */
      readonly kind: 'outbox-parked';
      readonly event: EventEnvelope;
      readonly transport: string;
      readonly attempts: number;
      readonly error: unknown;
    };

/** Notifications about one handler's handling of one event, or its publication. */
export type EventScopedNotification = Exclude<
  Extract<EventNotification, { readonly event: EventEnvelope }>,
  OutboxNotification
>;

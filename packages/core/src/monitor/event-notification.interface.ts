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
      readonly kind: 'dead-lettered';
      readonly event: EventEnvelope;
      readonly handler: string;
    } & DeadLetterReason);

import { describeError, stackOf } from '../errors/describe-error';
import { Logger } from '@nestjs/common';
import type { EventEnvelope } from '../interfaces/event-envelope.interface';

/**
 * The fields of a log record about one event. They are passed to Nest's `Logger` after the
 * message, where Nest 12's `ConsoleLogger` treats them as structured params: appended to the
 * line in text mode, a `params` object in JSON mode (top-level fields with `flattenParams`).
 * A custom `LoggerService` receives them as its second argument.
 */
export interface EventLogFields {
  readonly eventId: string;
  readonly eventType: string;
  readonly eventVersion: number;
  /** Absent only for envelopes from elsewhere that carry no metadata. */
  readonly correlationId?: string;
  readonly causationId?: string;
  /** `ClassName.methodName` of the handler concerned. */
  readonly handler?: string;
  /** Delivery attempt (1 for the first), or the attempts made before dead-lettering. */
  readonly attempt?: number;
  /** Why the event was skipped or dead-lettered (`duplicate`, `max-attempts`, …). */
  readonly reason?: string;
  /** Backoff before the next attempt, for retries. */
  readonly delayMs?: number;
  /** `Name: message` of what the handler threw; the stack goes to the logger's stack argument. */
  readonly error?: string;
  /** The event's data: only with the module option `logPayloads: true`. */
  readonly data?: unknown;
}

/** What a log line adds to the event's own fields. */
export interface EventLogDetails {
  readonly handler?: string;
  readonly attempt?: number;
  readonly reason?: string;
  readonly delayMs?: number;
  readonly error?: unknown;
}

/**
 * The fields that identify `event` in a log record, plus `details`. Data is left out unless
 * `logPayloads` is set: payloads hold personal data more often than not, and logs are kept longer
 * and shared wider than the events themselves.
 */
export function eventLogFields(
  event: EventEnvelope,
  details: EventLogDetails = {},
  logPayloads = false,
): EventLogFields {
  const fields: { -readonly [K in keyof EventLogFields]: EventLogFields[K] } = {
    eventId: event.id,
    eventType: event.type,
    eventVersion: event.version,
  };
  // Keys are set only when there is a value, so text-mode lines carry no `undefined`s.
  const metadata = event.metadata as EventEnvelope['metadata'] | undefined;
  if (metadata?.correlationId !== undefined) fields.correlationId = metadata.correlationId;
  if (metadata?.causationId !== undefined) fields.causationId = metadata.causationId;
  if (details.handler !== undefined) fields.handler = details.handler;
  if (details.attempt !== undefined) fields.attempt = details.attempt;
  if (details.reason !== undefined) fields.reason = details.reason;
  if (details.delayMs !== undefined) fields.delayMs = details.delayMs;
  if (details.error !== undefined) fields.error = describeError(details.error);
  if (logPayloads) fields.data = event.data;
  return fields;
}

/**
 * Nest's `Logger` for log lines about one event: a readable message, then the event's fields (see
 * `EventLogFields`) as one object, so every line carries the event id, type and correlation id.
 */
export class EventLogger {
  private readonly logger: Logger;

  constructor(
    context: string,
    private readonly logPayloads = false,
  ) {
    this.logger = new Logger(context);
  }

  debug(message: string, event: EventEnvelope, details?: EventLogDetails): void {
    this.logger.debug(message, this.fields(event, details));
  }

  log(message: string, event: EventEnvelope, details?: EventLogDetails): void {
    this.logger.log(message, this.fields(event, details));
  }

  warn(message: string, event: EventEnvelope, details?: EventLogDetails): void {
    this.logger.warn(message, this.fields(event, details));
  }

  /** Passes the stack of `details.error`, when it has one, as Nest's stack argument. */
  error(message: string, event: EventEnvelope, details?: EventLogDetails): void {
    const fields = this.fields(event, details);
    const stack = stackOf(details?.error);
    if (stack === undefined) this.logger.error(message, fields);
    else this.logger.error(message, fields, stack);
  }

  private fields(event: EventEnvelope, details: EventLogDetails | undefined): EventLogFields {
    return eventLogFields(event, details, this.logPayloads);
  }
}

import * as EventBridge from '@aws-sdk/client-eventbridge';
import type { EventEnvelope, RetryPolicy } from '@nestjs-events/core';
import {
  OversizeEventError,
  TrackedPublisher,
  type BatchAttempt,
  type FailedEntry,
} from '@nestjs-events/core/transport';
import {
  entrySize,
  MAX_ENTRIES_PER_REQUEST,
  MAX_REQUEST_BYTES,
  RESERVED_SOURCE_PREFIX,
  toPutEventsEntry,
} from '../envelope/eventbridge.envelope';
import { ReservedEventSourceError } from './reserved-source.error';

interface Outgoing {
  readonly event: EventEnvelope;
  readonly entry: EventBridge.PutEventsRequestEntry;
  readonly size: number;
}

type Failure = BatchAttempt<Outgoing>['failed'][number];
const LIMITS = { maxEntries: MAX_ENTRIES_PER_REQUEST, maxBytes: MAX_REQUEST_BYTES };

/**
 * Entry error codes that may succeed when sent again. AWS documents `InternalFailure` and
 * `ThrottlingException` as the retryable ones; `InternalException` is what older responses (and
 * some emulators) call an internal failure. Every other code (`InvalidArgument`,
 * `MalformedDetail`, `AccessDeniedException`, `NotAuthorizedForSourceException`, …) describes the
 * entry or the caller's rights, which a retry does not change.
 */
const RETRYABLE_ENTRY_ERRORS: ReadonlySet<string> = new Set([
  'InternalFailure',
  'InternalException',
  'ThrottlingException',
]);

/** Whether an entry that PutEvents reported with `code` is worth sending again. */
export function isRetryableEntryError(code: string): boolean {
  return RETRYABLE_ENTRY_ERRORS.has(code);
}

/**
 * Publishes envelopes to one event bus: checks every entry before sending anything, sends
 * `PutEvents` calls of at most 10 entries and 256 KiB (in parallel, EventBridge keeps no order
 * anyway), and retries only the entries reported with a retryable `ErrorCode`. What still fails
 * is raised as a `PublishError` that lists the event ids.
 */
export class EventBridgePublisher extends TrackedPublisher<Outgoing> {
  constructor(
    private readonly client: EventBridge.EventBridgeClient,
    private readonly eventBusName: string,
    retry: RetryPolicy,
  ) {
    super(retry);
  }

  protected sendAll(entries: readonly Outgoing[]): Promise<FailedEntry[]> {
    return this.sendBatches(entries, LIMITS, (batch) => this.send(batch));
  }

  protected encode(event: EventEnvelope): Outgoing {
    if (event.source.startsWith(RESERVED_SOURCE_PREFIX)) {
      throw new ReservedEventSourceError(event.id, event.type, event.source);
    }
    const entry = toPutEventsEntry(event, this.eventBusName);
    const size = entrySize(entry);
    if (size > MAX_REQUEST_BYTES) {
      throw new OversizeEventError(event.id, event.type, size, MAX_REQUEST_BYTES);
    }
    return { event, entry, size };
  }

  private async send(batch: readonly Outgoing[]): Promise<BatchAttempt<Outgoing>> {
    const result = await this.client.send(
      new EventBridge.PutEventsCommand({ Entries: batch.map((message) => message.entry) }),
    );
    if (!result.FailedEntryCount) return { failed: [] };
    // Result entries come in the order of the request's entries; a failed one has an ErrorCode.
    const failed: Failure[] = [];
    batch.forEach((message, index) => {
      const outcome = result.Entries?.[index];
      if (!outcome) {
        // Some entries failed but this one has no result: whether it went through is unknown, and
        // sending it twice is safer than losing it (consumers deduplicate by event id).
        failed.push({ entry: message, retryable: true, reason: 'PutEvents returned no result' });
      } else if (outcome.ErrorCode) {
        failed.push({
          entry: message,
          retryable: isRetryableEntryError(outcome.ErrorCode),
          reason: `${outcome.ErrorCode}: ${outcome.ErrorMessage ?? 'no message'}`,
        });
      }
    });
    return { failed };
  }
}

import { PublishError } from '../../errors/publish.error';
import { redactSecrets } from '../../errors/redact-secrets';
import type { EventEnvelope } from '../../interfaces/event-envelope.interface';
import type { RetryPolicy } from '../../retry/retry-policy';
import { chunkBatches } from './batch.chunker';
import { mapLimited, PUBLISH_CALLS_IN_FLIGHT } from './map-limited';
import { sendWithRetry, type BatchAttempt } from './publish-retry';

/** An entry that still failed after its retries. */
export interface FailedEntry {
  readonly entry: { readonly event: EventEnvelope };
  readonly reason: string;
}

/** The broker's limits on one batch call. */
export interface BatchLimits {
  /** Entries per call. */
  readonly maxEntries: number;
  /** Bytes per call, all entries together. */
  readonly maxBytes: number;
}

/** An event encoded for the broker, with the bytes it counts against the batch limit. */
export interface OutgoingEntry {
  readonly event: EventEnvelope;
  readonly size: number;
}

/**
 * What publishers share: batching within the broker's limits with a bounded number of calls in
 * flight, retrying only the entries that failed, the outcome of the last publish (which the
 * health check reads), and the rule that what still failed after the retries is raised as a
 * `PublishError` with its event ids.
 */
export abstract class TrackedPublisher {
  lastError: { at: Date; message: string } | undefined;
  lastSuccessAt: Date | undefined;

  constructor(protected readonly retry: RetryPolicy) {}

  /**
   * Sends `entries` in batch calls of `send`, each retried for its failed entries. `ordered`
   * sends one batch after another (a FIFO destination, where a later batch must not overtake an
   * earlier one); otherwise up to `PUBLISH_CALLS_IN_FLIGHT` calls run at once. Resolves with the
   * entries that still failed.
   */
  protected async sendBatches<T extends OutgoingEntry>(
    entries: readonly T[],
    limits: BatchLimits,
    send: (batch: readonly T[]) => Promise<BatchAttempt<T>>,
    ordered = false,
  ): Promise<Array<BatchAttempt<T>['failed'][number]>> {
    const batches = chunkBatches(
      entries,
      (entry) => entry.size,
      limits.maxEntries,
      limits.maxBytes,
    );
    const sendBatch = (batch: T[]) => sendWithRetry(batch, send, this.retry);
    if (!ordered) return (await mapLimited(batches, PUBLISH_CALLS_IN_FLIGHT, sendBatch)).flat();
    const failed: Array<BatchAttempt<T>['failed'][number]> = [];
    for (const batch of batches) failed.push(...(await sendBatch(batch)));
    return failed;
  }

  /** Records the outcome; throws a `PublishError` naming the events of `failed`, if any. */
  protected settle(failed: readonly FailedEntry[]): void {
    if (failed.length === 0) {
      this.lastSuccessAt = new Date();
      return;
    }
    const reasons = [...new Set(failed.map((f) => f.reason))].join('; ');
    this.fail(
      failed.map((f) => f.entry.event.id),
      reasons,
    );
  }

  /** Records a failure of the events `eventIds` and throws it as a `PublishError`. */
  protected fail(eventIds: readonly string[], reason: string, cause?: unknown): never {
    // Brokers' messages may quote the signed request: masked before anyone can read them.
    const safe = redactSecrets(reason);
    this.lastError = { at: new Date(), message: safe };
    throw new PublishError(eventIds, safe, cause === undefined ? undefined : { cause });
  }
}

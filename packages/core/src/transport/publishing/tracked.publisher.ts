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

/** One `publish()` call waiting for the next send. */
interface WaitingPublish<T> {
  readonly entries: readonly T[];
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/**
 * What publishers share: every `publish()` encodes its events at once (so an event that cannot be
 * sent fails its own call before anything goes out), then joins the publishes issued in the same
 * turn of the event loop in one send, batched within the broker's limits with a bounded number
 * of calls in flight and retrying only the entries that failed. Each caller hears about its own
 * events only: what still failed is raised as a `PublishError` with their ids. The outcome of the
 * last send is kept for the health check.
 */
export abstract class TrackedPublisher<T extends OutgoingEntry = OutgoingEntry> {
  lastError: { at: Date; message: string } | undefined;
  lastSuccessAt: Date | undefined;
  private waiting: WaitingPublish<T>[] = [];

  constructor(protected readonly retry: RetryPolicy) {}

  /**
   * Sends `events`. Publishes issued in the same turn of the event loop (e.g. 25 concurrent
   * `EventBus.publish` calls) go out together: the linger is one `setImmediate`, so a lone
   * publish waits microseconds, not a timer.
   */
  publish(events: readonly EventEnvelope[]): Promise<void> {
    if (events.length === 0) return Promise.resolve();
    let entries: T[];
    try {
      entries = events.map((event) => this.encode(event));
    } catch (error) {
      // What encode threw (an OversizeEventError, …), passed on as it is.
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
      return Promise.reject(error);
    }
    return new Promise<void>((resolve, reject) => {
      if (this.waiting.length === 0) setImmediate(() => void this.flush());
      this.waiting.push({ entries, resolve, reject });
    });
  }

  /** What is sent for `event`; throws (an `OversizeEventError`, …) when it cannot be sent at all. */
  protected abstract encode(event: EventEnvelope): T;

  /**
   * Sends `entries` and resolves with those that still failed after their retries; throws when
   * none could be sent (a destination that cannot be resolved).
   */
  protected abstract sendAll(entries: readonly T[]): Promise<readonly FailedEntry[]>;

  private async flush(): Promise<void> {
    const callers = this.waiting;
    this.waiting = [];
    let failed: readonly FailedEntry[];
    try {
      failed = await this.sendAll(callers.flatMap((caller) => caller.entries));
    } catch (error) {
      const reason = this.recordFailure(error instanceof Error ? error.message : String(error));
      for (const { entries, reject } of callers) {
        reject(new PublishError(idsOf(entries), reason, { cause: error }));
      }
      return;
    }
    if (failed.length === 0) this.lastSuccessAt = new Date();
    const failedById = new Map(failed.map((f) => [f.entry.event.id, f.reason]));
    for (const { entries, resolve, reject } of callers) {
      const reasons = entries.flatMap(({ event }) => failedById.get(event.id) ?? []);
      if (reasons.length === 0) {
        resolve();
        continue;
      }
      const reason = this.recordFailure([...new Set(reasons)].join('; '));
      const ids = idsOf(entries.filter(({ event }) => failedById.has(event.id)));
      reject(new PublishError(ids, reason));
    }
  }

  /** Masks what the broker said (it may quote the signed request) and keeps it for health. */
  private recordFailure(reason: string): string {
    const safe = redactSecrets(reason);
    this.lastError = { at: new Date(), message: safe };
    return safe;
  }

  /**
   * Sends `entries` in batch calls of `send`, each retried for its failed entries. `ordered`
   * sends one batch after another (a FIFO destination, where a later batch must not overtake an
   * earlier one); otherwise up to `PUBLISH_CALLS_IN_FLIGHT` calls run at once. Resolves with the
   * entries that still failed.
   */
  protected async sendBatches<E extends OutgoingEntry>(
    entries: readonly E[],
    limits: BatchLimits,
    send: (batch: readonly E[]) => Promise<BatchAttempt<E>>,
    ordered = false,
  ): Promise<Array<BatchAttempt<E>['failed'][number]>> {
    const batches = chunkBatches(
      entries,
      (entry) => entry.size,
      limits.maxEntries,
      limits.maxBytes,
    );
    const sendBatch = (batch: E[]) => sendWithRetry(batch, send, this.retry);
    if (!ordered) return (await mapLimited(batches, PUBLISH_CALLS_IN_FLIGHT, sendBatch)).flat();
    const failed: Array<BatchAttempt<E>['failed'][number]> = [];
    for (const batch of batches) failed.push(...(await sendBatch(batch)));
    return failed;
  }
}

function idsOf(entries: readonly OutgoingEntry[]): string[] {
  return entries.map(({ event }) => event.id);
}

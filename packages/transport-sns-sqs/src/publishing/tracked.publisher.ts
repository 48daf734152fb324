import type { EventEnvelope } from '@nestjs-events/core';
import { PublishError } from './publish.error';

/** An entry that still failed after its retries. */
export interface FailedEntry {
  readonly entry: { readonly event: EventEnvelope };
  readonly reason: string;
}

/**
 * What publishers share: the outcome of the last publish, which the health check reads, and the
 * rule that what still failed after the retries is raised with its event ids.
 */
export abstract class TrackedPublisher {
  /** API calls made, for tests, benchmarks and health details. */
  calls = 0;
  lastError: { at: Date; message: string } | undefined;
  lastSuccessAt: Date | undefined;

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
    this.lastError = { at: new Date(), message: reason };
    throw new PublishError(eventIds, reason, cause === undefined ? undefined : { cause });
  }
}

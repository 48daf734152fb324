import { describeError } from '../../errors/describe-error';
import { RetryPolicy, type RetryOptions } from '../../retry/retry-policy';

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export const DEFAULT_PUBLISH_RETRY: RetryOptions = {
  maxAttempts: 4,
  baseDelayMs: 100,
  maxDelayMs: 2000,
};

/** Outcome of one batch call: the entries that failed and whether retrying them can help. */
export interface BatchAttempt<T> {
  readonly failed: ReadonlyArray<{
    readonly entry: T;
    readonly retryable: boolean;
    readonly reason: string;
  }>;
}

/**
 * Sends entries with `send`, then retries only the entries the broker reported as failed, with
 * backoff and jitter. Resolves with what still failed (empty when all went through).
 */
export async function sendWithRetry<T>(
  entries: readonly T[],
  send: (entries: readonly T[]) => Promise<BatchAttempt<T>>,
  retry: RetryPolicy,
  sleep: (ms: number) => Promise<void> = delay,
): Promise<BatchAttempt<T>['failed']> {
  const permanent: Array<BatchAttempt<T>['failed'][number]> = [];
  let pending = entries;
  for (let attempt = 1; ; attempt++) {
    let result: BatchAttempt<T>;
    try {
      result = await send(pending);
    } catch (error) {
      // The whole call failed (network, throttling, broker down): every entry is still pending.
      const reason = describeError(error);
      const retryable = isRetryableCallError(error);
      result = { failed: pending.map((entry) => ({ entry, retryable, reason })) };
    }
    permanent.push(...result.failed.filter((f) => !f.retryable));
    const retryable = result.failed.filter((f) => f.retryable);
    if (retryable.length === 0 || attempt >= retry.maxAttempts) return [...permanent, ...retryable];
    pending = retryable.map((f) => f.entry);
    await sleep(retry.delayAfter(attempt));
  }
}

function isRetryableCallError(error: unknown): boolean {
  const meta = (error as { $metadata?: { httpStatusCode?: number }; $fault?: string }) ?? {};
  // Client faults (bad request, missing topic, access denied) do not heal by retrying.
  if (meta.$fault === 'client') {
    const status = meta.$metadata?.httpStatusCode;
    return (
      status === 429 ||
      (error as Error).name === 'ThrottlingException' ||
      (error as Error).name === 'Throttling'
    );
  }
  return true;
}

/** The retry policy of a publisher: `options` over the defaults for publish calls. */
export function createPublishRetry(options: RetryOptions | undefined): RetryPolicy {
  return new RetryPolicy({ ...DEFAULT_PUBLISH_RETRY, ...options });
}

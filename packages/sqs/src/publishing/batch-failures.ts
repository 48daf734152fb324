import type { BatchAttempt } from '@nestjs-events/core/transport';

/** An entry a batch call reported as failed, as SQS's SendMessageBatch and SNS's PublishBatch do. */
export interface BatchResultError {
  readonly Id?: string;
  readonly SenderFault?: boolean;
  readonly Code?: string;
  readonly Message?: string;
}

/**
 * The entries of `batch` (sent with ids `"0"`, `"1"`, …) that `failed` lists, with whether
 * sending them again can help: a sender fault means the entry itself is wrong.
 */
export function batchFailures<T>(
  failed: readonly BatchResultError[] | undefined,
  batch: readonly T[],
): BatchAttempt<T>['failed'] {
  return (failed ?? []).map((failure) => ({
    entry: batch[Number(failure.Id)],
    retryable: !failure.SenderFault,
    reason: `${failure.Code ?? 'Failed'}: ${failure.Message ?? 'no message'}`,
  }));
}

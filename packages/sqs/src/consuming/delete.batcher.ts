import * as Sqs from '@aws-sdk/client-sqs';
import type { Logger } from '@nestjs/common';
import { redactSecrets } from '@nestjs-events/core/transport';
import type { QueueReporter } from './queue.reporter';

/**
 * Deletes handled messages in `DeleteMessageBatch` calls of up to 10, flushed when full or after
 * a short delay, so a busy consumer makes one delete call per ten messages.
 */
export class DeleteBatcher {
  private pending: Array<{ handle: string; messageId: string }> = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly flushing = new Set<Promise<void>>();

  constructor(
    private readonly client: Sqs.SQSClient,
    private readonly queueUrl: string,
    private readonly delayMs: number,
    private readonly logger: Logger,
    private readonly reports?: QueueReporter,
  ) {}

  add(messageId: string, handle: string): void {
    this.pending.push({ messageId, handle });
    if (this.pending.length >= 10) this.flushNow();
    else this.timer ??= setTimeout(() => this.flushNow(), this.delayMs);
  }

  /** Sends everything pending and waits for every delete call still under way. */
  async flush(): Promise<void> {
    this.flushNow();
    await Promise.all([...this.flushing]);
  }

  private flushNow(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    while (this.pending.length) {
      const batch = this.pending.splice(0, 10);
      const call = this.send(batch).finally(() => this.flushing.delete(call));
      this.flushing.add(call);
    }
  }

  private async send(batch: Array<{ handle: string; messageId: string }>): Promise<void> {
    try {
      const result = await this.client.send(
        new Sqs.DeleteMessageBatchCommand({
          QueueUrl: this.queueUrl,
          Entries: batch.map((entry, index) => ({
            Id: String(index),
            ReceiptHandle: entry.handle,
          })),
        }),
      );
      for (const failure of result.Failed ?? []) {
        this.logger.warn(
          `Could not delete message ${batch[Number(failure.Id)]?.messageId} (${failure.Code}: ` +
            `${failure.Message}); it will be delivered again and skipped if its handlers are idempotent`,
        );
      }
      const failed = result.Failed?.length ?? 0;
      if (failed) {
        const codes = [...new Set(result.Failed!.map((f) => f.Code))].join(', ');
        this.reports?.deleteFailed(
          failed,
          new Error(`DeleteMessageBatch entries failed: ${codes}`),
        );
      }
    } catch (error) {
      this.reports?.deleteFailed(batch.length, error);
      this.logger.warn(
        `DeleteMessageBatch failed for ${batch.length} message(s): ${redactSecrets((error as Error).message)}; ` +
          'they will be delivered again and skipped if their handlers are idempotent',
      );
    }
  }
}

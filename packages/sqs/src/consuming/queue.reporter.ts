import type { EventEnvelope } from '@nestjs-events/core';
import type { DeadLetterReason, TransportMonitor } from '@nestjs-events/core/transport';

type HandlerReason = DeadLetterReason['reason'];
const HANDLER_REASONS: ReadonlySet<string> = new Set<HandlerReason>([
  'non-retryable',
  'max-attempts',
  'shutdown',
  'overflow',
]);

/** One dead letter as it is reported: the handler that gave up (or `-` for poison), and why. */
export interface ReportedDeadLetter {
  readonly event?: EventEnvelope;
  readonly handler: string;
  readonly reason: string;
  readonly error: unknown;
  readonly attempts: number;
}

/**
 * What one queue's consumer reports to the application's monitor: dead letters once written,
 * poison, and the broker calls that failed. Builds nothing while nobody listens, and does nothing
 * before the transport has started (no monitor yet).
 */
export class QueueReporter {
  constructor(
    readonly transport: string,
    readonly queue: string,
    private readonly monitor?: TransportMonitor,
  ) {}

  poison(messageId: string | undefined, reason: string, error: unknown): void {
    if (!this.monitor?.observed) return;
    const { transport, queue } = this;
    this.monitor.notify({ kind: 'poison', transport, queue, messageId, reason, error });
  }

  /** The copy is in the dead-letter queue: one notification per handler that gave up. */
  deadLettered(notes: readonly ReportedDeadLetter[]): void {
    if (!this.monitor?.observed) return;
    const { transport } = this;
    for (const { event, handler, reason, error, attempts } of notes) {
      // Poison has no handler that gave up: it was reported as poison when it was read.
      if (!event || !HANDLER_REASONS.has(reason)) continue;
      this.monitor.notify({
        kind: 'dead-lettered',
        event,
        handler,
        transport,
        reason: reason as HandlerReason,
        error,
        attempts,
      });
    }
  }

  deadLetterFailed(notes: readonly ReportedDeadLetter[], error: unknown): void {
    if (!this.monitor?.observed) return;
    const { transport, queue } = this;
    for (const { event, handler, reason } of notes) {
      this.monitor.notify({
        kind: 'dead-letter-failed',
        event,
        handler,
        reason,
        transport,
        queue,
        error,
      });
    }
  }

  deleteFailed(messages: number, error: unknown): void {
    if (!this.monitor?.observed) return;
    const { transport, queue } = this;
    this.monitor.notify({ kind: 'delete-failed', transport, queue, messages, error });
  }

  receiveFailed(stalled: boolean, consecutiveFailures: number, error: unknown): void {
    if (!this.monitor?.observed) return;
    const { transport, queue } = this;
    this.monitor.notify({
      kind: 'receive-failed',
      transport,
      queue,
      stalled,
      consecutiveFailures,
      error,
    });
  }
}

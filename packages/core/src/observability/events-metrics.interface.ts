import type { SkipReason } from '../context/event-context';

/** Settings of `EventsMetrics`, the module option `metrics` in its object form. */
export interface EventsMetricsOptions {
  /**
   * Upper bounds, in milliseconds and increasing, of the handler latency histogram's buckets; one
   * more bucket counts what lies above the last bound. Used for the snapshot and as the advised
   * boundaries of the OpenTelemetry histogram.
   * @default [0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000]
   */
  histogramBuckets?: readonly number[];
  /**
   * Also record through `@opentelemetry/api` when it is installed (it is an optional peer: when it
   * is missing, this does nothing).
   * @default true
   */
  openTelemetry?: boolean;
}

/** Latency of successful handler runs, from delivery to completion, in milliseconds. */
export interface LatencySnapshot {
  readonly count: number;
  readonly sum: number;
  /** 0 while `count` is 0. */
  readonly min: number;
  /** 0 while `count` is 0. */
  readonly max: number;
  /** The upper bounds of the buckets (`histogramBuckets`). */
  readonly boundaries: readonly number[];
  /**
   * Runs per bucket, not cumulative, one longer than `boundaries`: `counts[i]` counts the runs in
   * (`boundaries[i - 1]`, `boundaries[i]`], the last one those above the last bound (the layout of
   * OpenTelemetry's explicit-bucket histograms).
   */
  readonly counts: readonly number[];
}

/** What happened to the events that reached one handler, or all of them. */
export interface HandlerMetricsSnapshot {
  /** Runs that succeeded. */
  readonly handled: number;
  /** Attempts that threw: `retried + deadLettered`. */
  readonly failed: number;
  /** Failed attempts that are retried. */
  readonly retried: number;
  /**
   * Failed attempts after which the event was dead-lettered (no retry left, or not retryable),
   * counted once the transport has written the dead letter.
   */
  readonly deadLettered: number;
  /** Deliveries acknowledged without running the handler, by reason. */
  readonly skipped: Readonly<Record<SkipReason, number>>;
  readonly latencyMs: LatencySnapshot;
}

/** What went wrong in one transport outside handlers. */
export interface TransportMetricsSnapshot {
  /** Messages no handler could be given (malformed, unknown type, oversize, invalid metadata). */
  readonly poison: number;
  /** Dead letters (poison included) that could not be written; the messages stayed queued. */
  readonly deadLetterFailures: number;
  /** Handled messages whose delete failed (they come back). */
  readonly deleteFailures: number;
  /** Receives that failed or stalled. */
  readonly receiveFailures: number;
  /** Events a transactional outbox's relay sent, sends it retries, rows it parked. */
  readonly outbox: { readonly relayed: number; readonly retried: number; readonly parked: number };
}

/** Counters and latency of one application's events since it started. */
export interface EventsMetricsSnapshot {
  /** False when the module option `metrics` is off: every count is then 0. */
  readonly enabled: boolean;
  /** Events published through this application's `EventBus`. */
  readonly published: number;
  /** All handlers together. */
  readonly total: HandlerMetricsSnapshot;
  /** By handler (`ClassName.methodName`), for each handler that has seen an event. */
  readonly handlers: Readonly<Record<string, HandlerMetricsSnapshot>>;
  /** By transport name, for each transport that has reported a problem. */
  readonly transports: Readonly<Record<string, TransportMetricsSnapshot>>;
}

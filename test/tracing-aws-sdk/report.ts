/** What the instrumented process reports on its last stdout line, after REPORT_PREFIX. */
export const REPORT_PREFIX = 'TRACE_REPORT ';

/** Scope of the spans the AWS SDK instrumentation records. */
export const AWS_SDK_SCOPE = '@opentelemetry/instrumentation-aws-sdk';

export interface SpanRecord {
  readonly name: string;
  /** `SpanKind` as a number. */
  readonly kind: number;
  /** Name of the tracer that recorded it: this library's, or the AWS SDK instrumentation's. */
  readonly scope: string;
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly attributes: Record<string, unknown>;
  readonly links: readonly { readonly traceId: string; readonly spanId: string }[];
  /** `SpanStatusCode` as a number. */
  readonly status: number;
}

/** One message as it was handed to the SDK (after the instrumentation's changes) or received. */
export interface MessageRecord {
  /** Message attribute names and their string values. */
  readonly attributes: Record<string, string>;
  /** The `traceparent` the event envelope in the body carries. */
  readonly envelopeTraceparent?: string;
  /** The event type in the body. */
  readonly eventType?: string;
}

export interface CallRecord {
  /** `Publish`, `PublishBatch`, `SendMessage`, `SendMessageBatch` or `ReceiveMessage`. */
  readonly command: string;
  /** Topic ARN or queue URL. */
  readonly destination: string;
  readonly messages: readonly MessageRecord[];
}

export interface TraceReport {
  readonly spans: readonly SpanRecord[];
  /** Every message sent or received by the applications' and the inspector's clients. */
  readonly calls: readonly CallRecord[];
  /** The dead-letter copy, as read back from the dead-letter queue. */
  readonly deadLetter: MessageRecord;
  /** The dead-letter queue's URL. */
  readonly deadLetterQueueUrl: string;
  /** Warnings OpenTelemetry logged while the applications ran. */
  readonly warnings: readonly string[];
}

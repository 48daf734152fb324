import type { PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import type { EventEnvelope } from '@nestjs-events/core';
import type { MessageUnwrapper } from '@nestjs-events/sqs/transport';

/** Entries of one PutEvents request at most. */
export const MAX_ENTRIES_PER_REQUEST = 10;

/** One PutEvents request may hold at most 256 KiB of entries, counted by `entrySize`. */
export const MAX_REQUEST_BYTES = 262_144;

/** Bytes EventBridge counts for a `Time`, whatever its value. */
const TIME_BYTES = 14;

/** Sources starting with this are reserved for AWS services; PutEvents refuses them. */
export const RESERVED_SOURCE_PREFIX = 'aws.';

/** The part of the envelope that travels in `Detail`: all but `type` and `source`. */
export interface EventDetail {
  readonly id: string;
  readonly version: number;
  readonly aggregateId?: string;
  readonly occurredAt: string;
  readonly data: unknown;
  readonly metadata: EventEnvelope['metadata'];
}

/**
 * The PutEvents entry of an envelope: `source` and `type` become `Source` and `DetailType`, where
 * rules can match them, and the rest of the envelope is the `Detail` (`eventBridgeUnwrapper` puts
 * them back together on the consuming side). `Time` is set from `occurredAt` too, so rules
 * and archives see when the event happened rather than when it was sent; `Detail` keeps the
 * millisecond precision that `Time` loses.
 */
export function toPutEventsEntry(
  event: EventEnvelope,
  eventBusName: string,
): PutEventsRequestEntry {
  const detail: EventDetail = {
    id: event.id,
    version: event.version,
    ...(event.aggregateId !== undefined && { aggregateId: event.aggregateId }),
    occurredAt: event.occurredAt,
    data: event.data,
    metadata: event.metadata,
  };
  const entry: PutEventsRequestEntry = {
    EventBusName: eventBusName,
    Source: event.source,
    DetailType: event.type,
    Detail: JSON.stringify(detail),
  };
  const time = new Date(event.occurredAt);
  if (!Number.isNaN(time.getTime())) entry.Time = time;
  const traceHeader = xrayTraceHeader(event.metadata.traceparent);
  if (traceHeader) entry.TraceHeader = traceHeader;
  return entry;
}

const TRACEPARENT = /^00-([0-9a-f]{8})([0-9a-f]{24})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/**
 * `TraceHeader` takes an X-Ray trace header (`X-Amzn-Trace-Id`), not a W3C `traceparent`: the
 * same trace and parent ids in X-Ray's form (`Root=1-<8 hex>-<24 hex>;Parent=<16 hex>;Sampled=<0|1>`),
 * as the X-Ray propagators map them. The envelope keeps the `traceparent` itself in `Detail`.
 */
export function xrayTraceHeader(traceparent: unknown): string | undefined {
  const match = typeof traceparent === 'string' && TRACEPARENT.exec(traceparent);
  if (!match) return undefined;
  const [, epoch, unique, parent, flags] = match;
  const sampled = parseInt(flags, 16) & 1;
  return `Root=1-${epoch}-${unique};Parent=${parent};Sampled=${sampled}`;
}

/**
 * Size of an entry as EventBridge counts it against the request limit ("Calculating PutEvents
 * event entry size"): `Time` is 14 bytes, `Source`, `DetailType`, `Detail` and each of
 * `Resources` their UTF-8 length. `EventBusName` and `TraceHeader` are not counted.
 */
export function entrySize(entry: PutEventsRequestEntry): number {
  let size = entry.Time ? TIME_BYTES : 0;
  size += Buffer.byteLength(entry.Source ?? '');
  size += Buffer.byteLength(entry.DetailType ?? '');
  if (entry.Detail) size += Buffer.byteLength(entry.Detail);
  for (const resource of entry.Resources ?? []) size += Buffer.byteLength(resource);
  return size;
}

/** An EventBridge event, as a rule with an SQS target delivers it. */
interface EventBridgeEvent {
  'detail-type': string;
  source: string;
  time?: string;
  detail: Partial<EventDetail>;
}

function isEventBridgeEvent(value: unknown): value is EventBridgeEvent {
  const candidate = value as Partial<EventBridgeEvent> | null;
  return (
    typeof candidate?.['detail-type'] === 'string' &&
    typeof candidate.source === 'string' &&
    typeof candidate.detail === 'object' &&
    candidate.detail !== null
  );
}

/**
 * The decoding side of `toPutEventsEntry`: an SQS message body holding an EventBridge event
 * becomes the envelope again (`source` and `detail-type` give back the source and type, `detail`
 * the rest). EventBridge enforces its size limit on PutEvents, so the wrapper is not measured.
 */
export const eventBridgeUnwrapper: MessageUnwrapper = {
  wrapping: 'eventbridge',
  unwrap: (message) => {
    if (!isEventBridgeEvent(message)) return undefined;
    const { detail } = message;
    return {
      value: {
        ...detail,
        type: message['detail-type'],
        source: message.source,
        occurredAt: detail.occurredAt ?? message.time,
      },
    };
  },
};

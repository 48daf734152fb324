import { InvalidEventError } from '../errors/invalid-event.error';
import type { EventEnvelope } from '../interfaces/event-envelope.interface';

const EVENT_TYPE = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;
/** An ISO-8601 time to the minute at least, with its offset; the date's range is checked apart. */
const ISO_TIME =
  /^\d{4}-\d{2}-\d{2}T(?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d{1,9})?)?(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)$/;
const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

/**
 * Longest value of each string field, in characters. An envelope travels in message attributes
 * and is copied into every event its handlers publish, so one oversized field would make each of
 * those publishes fail; the limits sit well above anything this library or a UUID produces, and
 * within what the brokers take (EventBridge: 128 characters of detail-type, 256 of source).
 */
export const ENVELOPE_LIMITS = {
  id: 256,
  type: 128,
  source: 256,
  aggregateId: 256,
  correlationId: 256,
  causationId: 256,
  tracestate: 512,
} as const;

/**
 * What a field holds, for an error message: its type and length, never its content (an envelope
 * from the wire may carry personal data, and a long one would flood the log).
 */
function describeValue(value: unknown): string {
  if (typeof value === 'string') return `a string of ${value.length} characters`;
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return `an array of ${value.length} items`;
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** True for an ISO-8601 time that names a real instant: 2024-02-30 and 24:00 are refused. */
function isRealIsoTime(text: string): boolean {
  // Checked on every decoded message: a test and a few character codes, no match array or Date.
  if (!ISO_TIME.test(text)) return false;
  const year = digitsAt(text, 0, 4);
  const month = digitsAt(text, 5, 7);
  const day = digitsAt(text, 8, 10);
  return month >= 1 && month <= 12 && day >= 1 && day <= daysIn(year, month);
}

/** The number written in `text` from `from` to `to`, known to be digits. */
function digitsAt(text: string, from: number, to: number): number {
  let value = 0;
  for (let i = from; i < to; i++) value = value * 10 + text.charCodeAt(i) - 48;
  return value;
}

/** Days of `month` (1 to 12) in the Gregorian calendar, as JavaScript's Date counts them. */
function daysIn(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

function checkString(
  problems: string[],
  name: string,
  value: unknown,
  limit: number,
  required: boolean,
): void {
  if (value === undefined && !required) return;
  if (typeof value !== 'string' || (required && value === '')) {
    problems.push(
      `"${name}" must be a${required ? ' non-empty' : ''} string, got ${describeValue(value)}`,
    );
  } else if (value.length > limit) {
    problems.push(`"${name}" is ${value.length} characters long, over the limit of ${limit}`);
  }
}

/** Lists what is wrong with something offered as an envelope; empty when nothing is. */
export function envelopeProblems(value: unknown): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return [`it is ${describeValue(value)}, not an object`];
  }
  const event = value as Partial<EventEnvelope>;
  const problems: string[] = [];
  checkString(problems, 'id', event.id, ENVELOPE_LIMITS.id, true);
  if (typeof event.type !== 'string' || !EVENT_TYPE.test(event.type)) {
    problems.push(`"type" must be a dotted event type, got ${describeValue(event.type)}`);
  } else if (event.type.length > ENVELOPE_LIMITS.type) {
    problems.push(
      `"type" is ${event.type.length} characters long, over the limit of ${ENVELOPE_LIMITS.type}`,
    );
  }
  if (!Number.isSafeInteger(event.version) || (event.version as number) < 1) {
    problems.push(`"version" must be a positive integer, got ${describeValue(event.version)}`);
  }
  if (typeof event.occurredAt !== 'string' || !isRealIsoTime(event.occurredAt)) {
    problems.push(
      `"occurredAt" must be an ISO-8601 time of a real date, got ${describeValue(event.occurredAt)}`,
    );
  }
  checkString(problems, 'source', event.source, ENVELOPE_LIMITS.source, false);
  checkString(problems, 'aggregateId', event.aggregateId, ENVELOPE_LIMITS.aggregateId, false);
  if (!('data' in event)) problems.push('"data" is missing');
  const metadata = event.metadata as Record<string, unknown> | undefined;
  if (metadata === undefined) return problems;
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
    problems.push(`"metadata" must be an object, got ${describeValue(metadata)}`);
    return problems;
  }
  for (const field of ['correlationId', 'causationId', 'tracestate'] as const) {
    checkString(problems, `metadata.${field}`, metadata[field], ENVELOPE_LIMITS[field], false);
  }
  const { traceparent } = metadata;
  if (
    traceparent !== undefined &&
    (typeof traceparent !== 'string' || !TRACEPARENT.test(traceparent))
  ) {
    problems.push(
      `"metadata.traceparent" must be a W3C traceparent, got ${describeValue(traceparent)}`,
    );
  }
  return problems;
}

/**
 * Throws `InvalidEventError` naming every problem of a would-be envelope; transports use it on
 * what they receive, the bus on what it publishes. Values are described, never quoted.
 */
export function assertEventEnvelope(
  value: unknown,
  action: string,
): asserts value is EventEnvelope {
  const problems = envelopeProblems(value);
  if (problems.length) {
    const id = (value as { id?: unknown } | null)?.id;
    const named = typeof id === 'string' && id.length <= ENVELOPE_LIMITS.id ? ` ${id}` : '';
    throw new InvalidEventError(
      `Cannot ${action} event${named}: ${problems.join('; ')}. ` +
        "Build events with a definition's create() or with EventFactory.",
    );
  }
}

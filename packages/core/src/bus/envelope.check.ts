import { InvalidEventError } from '../errors/invalid-event.error';
import type { EventEnvelope } from '../interfaces/event-envelope.interface';

const EVENT_TYPE = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;
const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

/** Lists what is wrong with something offered as an envelope; empty when nothing is. */
export function envelopeProblems(value: unknown): string[] {
  if (typeof value !== 'object' || value === null) return ['it is not an object'];
  const event = value as Partial<EventEnvelope>;
  const problems: string[] = [];
  if (typeof event.id !== 'string' || event.id === '')
    problems.push('"id" must be a non-empty string');
  if (typeof event.type !== 'string' || !EVENT_TYPE.test(event.type)) {
    problems.push(`"type" must be a dotted event type, got ${JSON.stringify(event.type)}`);
  }
  if (!Number.isSafeInteger(event.version) || (event.version as number) < 1) {
    problems.push(`"version" must be a positive integer, got ${JSON.stringify(event.version)}`);
  }
  if (
    typeof event.occurredAt !== 'string' ||
    !ISO_TIME.test(event.occurredAt) ||
    Number.isNaN(Date.parse(event.occurredAt))
  ) {
    problems.push(`"occurredAt" must be an ISO-8601 time, got ${JSON.stringify(event.occurredAt)}`);
  }
  if (event.source !== undefined && typeof event.source !== 'string')
    problems.push('"source" must be a string');
  if (event.aggregateId !== undefined && typeof event.aggregateId !== 'string') {
    problems.push('"aggregateId" must be a string');
  }
  if (!('data' in event)) problems.push('"data" is missing');
  const metadata = event.metadata;
  if (metadata !== undefined && (typeof metadata !== 'object' || metadata === null)) {
    problems.push('"metadata" must be an object');
  } else if (
    metadata?.traceparent !== undefined &&
    !TRACEPARENT.test(String(metadata.traceparent))
  ) {
    problems.push(
      `"metadata.traceparent" is not a W3C traceparent: ${JSON.stringify(metadata.traceparent)}`,
    );
  }
  return problems;
}

/**
 * Throws `InvalidEventError` naming every problem of a would-be envelope; transports use it on
 * what they receive, the bus on what it publishes.
 */
export function assertEventEnvelope(
  value: unknown,
  action: string,
): asserts value is EventEnvelope {
  const problems = envelopeProblems(value);
  if (problems.length) {
    const id = (value as { id?: unknown } | null)?.id;
    throw new InvalidEventError(
      `Cannot ${action} event${typeof id === 'string' ? ` ${id}` : ''}: ${problems.join('; ')}. ` +
        "Build events with a definition's create() or with EventFactory.",
    );
  }
}

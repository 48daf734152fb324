import type { EventMetadata } from '@nestjs-events/core';

/**
 * Event metadata taken from an incoming request: an `x-correlation-id` joins the events to the
 * caller's flow, a W3C `traceparent` to its trace.
 */
export function metadataFromHeaders(
  headers: Record<string, string | string[] | undefined>,
): Partial<EventMetadata> {
  const pick = (name: string) => {
    const value = headers[name];
    return Array.isArray(value) ? value[0] : value;
  };
  const metadata: Partial<EventMetadata> = {};
  const correlationId = pick('x-correlation-id');
  const traceparent = pick('traceparent');
  if (correlationId) metadata.correlationId = correlationId;
  if (traceparent) metadata.traceparent = traceparent;
  return metadata;
}

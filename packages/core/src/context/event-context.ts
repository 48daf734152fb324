import { AsyncLocalStorage } from 'node:async_hooks';
import type { EventEnvelope, EventMetadata } from '../interfaces/event-envelope.interface';

/**
 * Why a handler did not run for an event that reached it: its idempotency key was done, a guard
 * denied it, or its content pattern did not match.
 */
export type SkipReason = 'duplicate' | 'guard' | 'filtered';

/** What is known about the event being handled, for the code that runs inside its handler. */
export interface HandlingContext {
  readonly event: EventEnvelope;
  /** `ClassName.methodName` of the handler. */
  readonly handler: string;
  /** 1 for the first delivery, 2 for the first retry, … */
  readonly attempt: number;
  /** Set by what acknowledges without running the handler: idempotency, a guard's denial. */
  skipped?: SkipReason;
}

interface ContextStore {
  readonly handling?: HandlingContext;
  readonly metadata?: Partial<EventMetadata>;
}

// One storage for the process is deliberate: it holds nothing but the current async chain's
// context, so two applications in one process never see each other's values.
const storage = new AsyncLocalStorage<ContextStore>();

/** The handling context of the current async chain, when it runs inside an event handler. */
export function currentHandlingContext(): HandlingContext | undefined {
  return storage.getStore()?.handling;
}

/** Runs `fn` as the handler of an event: events published inside inherit its correlation. */
export function runInHandlingContext<T>(handling: HandlingContext, fn: () => T): T {
  return storage.run({ handling }, fn);
}

/**
 * Runs `fn` with metadata that events published inside it inherit, e.g. the correlation id and
 * `traceparent` of the HTTP request that causes them.
 */
export function runWithEventMetadata<T>(metadata: Partial<EventMetadata>, fn: () => T): T {
  return storage.run({ metadata }, fn);
}

/**
 * Metadata for a new event with id `eventId`: what the caller gave wins, then the event being
 * handled (its correlation, and itself as the cause), then metadata set with
 * `runWithEventMetadata`, then the new event itself starts a correlation.
 */
export function inheritMetadata(
  eventId: string,
  given: Partial<EventMetadata> | undefined,
): EventMetadata {
  const store = storage.getStore();
  const cause = store?.handling?.event;
  const ambient = cause ? cause.metadata : store?.metadata;
  const metadata: EventMetadata = {
    ...given,
    correlationId: given?.correlationId ?? ambient?.correlationId ?? eventId,
  };
  const causationId = given?.causationId ?? cause?.id ?? store?.metadata?.causationId;
  if (causationId !== undefined) metadata.causationId = causationId;
  const traceparent = given?.traceparent ?? ambient?.traceparent;
  if (traceparent !== undefined) {
    metadata.traceparent = traceparent;
    // A tracestate belongs to its own traceparent: never pair a given one with an inherited state.
    const tracestate =
      given?.traceparent !== undefined
        ? given.tracestate
        : (given?.tracestate ?? ambient?.tracestate);
    if (tracestate !== undefined) metadata.tracestate = tracestate;
  }
  return metadata;
}

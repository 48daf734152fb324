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
  /** Set by what the run holds (an idempotency lock); called when the run outlives its timeout. */
  abandon?: () => void;
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
 * `traceparent` of the HTTP request that causes them. That includes events created before and
 * published inside, unless their producer gave that metadata to `create()` itself.
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
  if (given === undefined && storage.getStore() === undefined) {
    // Nothing given, nothing to inherit: the event starts its own correlation. Marked by its
    // prototype rather than recorded in `inherited`, which costs more than the rest of creating
    // it; JSON and spreads ignore a prototype, and the object keeps V8's fast layout.
    const metadata = Object.create(SELF_STARTED) as EventMetadata;
    metadata.correlationId = eventId;
    return metadata;
  }
  const metadata = resolveMetadata(eventId, given);
  inherited.set(metadata, { given, correlationId: metadata.correlationId });
  return metadata;
}

/** Prototype of metadata that `inheritMetadata` built from nothing: `{ correlationId: eventId }`. */
const SELF_STARTED: object = Object.freeze({});

/**
 * Metadata objects that `inheritMetadata` built, with what their producer gave: whatever else
 * they hold came from the context they were created in, and is taken from the context of the
 * publish instead. Kept off the envelope, which JSON and spreads would otherwise carry.
 */
const inherited = new WeakMap<
  EventMetadata,
  { readonly given: Partial<EventMetadata> | undefined; readonly correlationId: string }
>();

/**
 * The metadata an event is published with: inherited again from the context of the publish when
 * it was inherited at creation, so that an event created before `runWithEventMetadata` (or the
 * handler) and published inside it joins that flow. What the producer gave still wins, and a
 * correlation id set on the envelope after creation counts as given.
 */
export function metadataAtPublish(eventId: string, metadata: EventMetadata): EventMetadata {
  const store = storage.getStore();
  // An event forwarded by its own handler is not its own cause.
  if (!store || store.handling?.event.id === eventId) return metadata;
  const origin =
    Object.getPrototypeOf(metadata) === SELF_STARTED
      ? { given: undefined, correlationId: eventId }
      : inherited.get(metadata);
  if (!origin || origin.correlationId !== metadata.correlationId) return metadata;
  // Extra fields stay; the links are resolved again, from what was given and the context here.
  const extra: Partial<EventMetadata> = { ...metadata };
  delete extra.correlationId;
  delete extra.causationId;
  delete extra.traceparent;
  delete extra.tracestate;
  const again = resolveMetadata(eventId, { ...extra, ...origin.given });
  if (sameLinks(again, metadata)) return metadata;
  inherited.set(again, { given: origin.given, correlationId: again.correlationId });
  return again;
}

function sameLinks(a: EventMetadata, b: EventMetadata): boolean {
  return (
    a.correlationId === b.correlationId &&
    a.causationId === b.causationId &&
    a.traceparent === b.traceparent &&
    a.tracestate === b.tracestate
  );
}

function resolveMetadata(
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

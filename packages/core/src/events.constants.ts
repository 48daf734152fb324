/** Context type that guards and interceptors see on event handlers: `context.getType() === 'events'`. */
export const EVENTS_CONTEXT_TYPE = 'events';

/** Metadata written by `@EventHandler()` on a handler method. */
export const EVENT_HANDLER_METADATA = Symbol('nestjs-events:handler');

/**
 * Metadata written by the parameter decorators (`@EventData()`, `@CurrentEvent()`). A string, not
 * a Symbol: Nest's ExternalContextCreator interpolates this key into a cache key.
 */
export const EVENT_HANDLER_ARGS_METADATA = '__nestjs_events_handler_args__';

/** Metadata written by `@Idempotent()`: the per-handler idempotency options. */
export const IDEMPOTENT_METADATA = Symbol('nestjs-events:idempotent');

/** Injection token of the `IdempotencyStore` that `IdempotencyInterceptor` uses. */
export const IDEMPOTENCY_STORE = Symbol('nestjs-events:idempotency-store');

/** Injection token of the transports of one EventsModule (`Transport[]`), e.g. for health checks. */
export const EVENTS_TRANSPORTS = Symbol('nestjs-events:transports');

/** Key under which an envelope remembers the definition that created it (non-enumerable). */
export const EVENT_DEFINITION_REF = Symbol('nestjs-events:definition');

/** @internal The module's EventTracer, or null when the option `tracing` is off. */
export const EVENT_TRACER = Symbol('nestjs-events:tracer');

export { EventsModule } from './events.module';
export { EVENTS_MODULE_OPTIONS } from './events-module.definition';
export type { EventsModuleOptions } from './interfaces/events-module-options.interface';
export type { EventEnvelope, EventMetadata } from './interfaces/event-envelope.interface';
export { EVENTS_CONTEXT_TYPE, EVENTS_TRANSPORTS, IDEMPOTENCY_STORE } from './events.constants';

export { defineEvent } from './definition/define-event';
export type {
  CreateEventOptions,
  EventDataOf,
  EventDefinition,
  EventDefinitionConfig,
  EventOf,
  Upcaster,
} from './definition/event-definition.interface';
export { EventFactory } from './definition/event.factory';

export { EventBus } from './bus/event-bus';
export {
  currentHandlingContext,
  runWithEventMetadata,
  type HandlingContext,
  type SkipReason,
} from './context/event-context';
export { eventOf, isEventContext } from './context/execution-context';

export {
  EventHandler,
  type EventHandlerOptions,
  type EventSelector,
} from './decorators/event-handler.decorator';
export { CurrentEvent, EventData } from './decorators/event-params.decorator';
export { Idempotent } from './decorators/idempotent.decorator';

export { IdempotencyInterceptor } from './idempotency/idempotency.interceptor';
export type { IdempotencyOptions } from './idempotency/idempotency-options.interface';
export type {
  ClaimOptions,
  ClaimResult,
  IdempotencyStore,
} from './idempotency/idempotency-store.interface';
export type { MaybePromise } from './utils/thenable';
export { idempotencyStoreKey, payloadFingerprint } from './idempotency/idempotency-key';
export {
  MemoryIdempotencyStore,
  type MemoryIdempotencyStoreOptions,
} from './idempotency/memory-idempotency.store';

export { RetryPolicy, type RetryDecision, type RetryOptions } from './retry/retry-policy';

// The pattern language lives in @nestjs-events/event-patterns; the names users call are here too.
export {
  compilePattern,
  InvalidEventPatternError,
  matchesPattern,
  validatePattern,
  type EventMatcher,
  type EventPattern,
  type EventPatternValue,
} from '@nestjs-events/event-patterns';

export {
  InMemoryTransport,
  type DeadLetter,
  type InMemoryTransportOptions,
} from './transport/in-memory.transport';
// What transports are given and return is in the transport SPI, `@nestjs-events/core/transport`.
export type { DeadLetterReason, Transport, TransportHealth } from './transport/transport.interface';

export { EventsMonitor } from './monitor/events.monitor';
export { StuckHandlers, type StuckHandler } from './dispatch/stuck-handlers';
export type {
  EventNotification,
  EventScopedNotification,
  OutboxNotification,
} from './monitor/event-notification.interface';
export { EventsMetrics } from './observability/events.metrics';
export type {
  EventsMetricsOptions,
  EventsMetricsSnapshot,
  HandlerMetricsSnapshot,
  TransportMetricsSnapshot,
  LatencySnapshot,
} from './observability/events-metrics.interface';
export {
  EventLogger,
  eventLogFields,
  type EventLogDetails,
  type EventLogFields,
} from './observability/event-log';

export * from './errors';

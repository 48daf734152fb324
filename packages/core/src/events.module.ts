import { Module, type Provider } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { EventBus } from './bus/event-bus';
import { EventFactory } from './definition/event.factory';
import { StuckHandlers } from './dispatch/stuck-handlers';
import { EventHandlerExplorer } from './discovery/event-handler.explorer';
import { EVENT_TRACER, EVENTS_TRANSPORTS, IDEMPOTENCY_STORE } from './events.constants';
import { ConfigurableEventsModule, EVENTS_MODULE_OPTIONS } from './events-module.definition';
import { IdempotencyInterceptor } from './idempotency/idempotency.interceptor';
import { MemoryIdempotencyStore } from './idempotency/memory-idempotency.store';
import type { EventsModuleOptions } from './interfaces/events-module-options.interface';
import { EventsDrainModule } from './lifecycle/events-drain.module';
import { EventsLifecycle } from './lifecycle/events.lifecycle';
import { EventsMonitor } from './monitor/events.monitor';
import { EventTracer } from './observability/event-tracer';
import { EventsMetrics } from './observability/events.metrics';
import { InMemoryTransport } from './transport/in-memory.transport';
import { SubscriptionFactory } from './subscription/subscription.factory';
import { TransportRegistry } from './transport/transport.registry';

const providers: Provider[] = [
  {
    provide: TransportRegistry,
    // Built per module instance, so two applications never share a default transport.
    useFactory: (options: EventsModuleOptions) =>
      new TransportRegistry(
        options.transports ?? [new InMemoryTransport({ logPayloads: options.logPayloads })],
        options.routes,
      ),
    inject: [EVENTS_MODULE_OPTIONS],
  },
  {
    provide: EVENTS_TRANSPORTS,
    useFactory: (registry: TransportRegistry) => registry.transports,
    inject: [TransportRegistry],
  },
  {
    provide: IDEMPOTENCY_STORE,
    useFactory: (options: EventsModuleOptions) =>
      options.idempotency?.store ?? new MemoryIdempotencyStore(),
    inject: [EVENTS_MODULE_OPTIONS],
  },
  {
    provide: EVENT_TRACER,
    useFactory: (options: EventsModuleOptions) => (options.tracing ? EventTracer.create() : null),
    inject: [EVENTS_MODULE_OPTIONS],
  },
  EventBus,
  EventFactory,
  EventsMonitor,
  EventsMetrics,
  EventHandlerExplorer,
  SubscriptionFactory,
  EventsLifecycle,
  IdempotencyInterceptor,
  StuckHandlers,
];

/**
 * Domain events for a Nest application.
 *
 * ```ts
 * @Module({ imports: [EventsModule.forRoot({ source: 'orders-service' })] })
 * export class AppModule {}
 * ```
 *
 * Global by default (`isGlobal: false` to opt out); `forRootAsync` takes `imports`, `inject` and
 * `useFactory` as usual, e.g. to read options from `ConfigService`.
 */
@Module({
  imports: [DiscoveryModule, EventsDrainModule],
  providers,
  exports: [
    EventBus,
    EventFactory,
    EventsMonitor,
    EventsMetrics,
    StuckHandlers,
    IdempotencyInterceptor,
    IDEMPOTENCY_STORE,
    EVENTS_TRANSPORTS,
    // Enhancers such as IdempotencyInterceptor are built in the modules that use them.
    EVENTS_MODULE_OPTIONS,
  ],
})
export class EventsModule extends ConfigurableEventsModule {}

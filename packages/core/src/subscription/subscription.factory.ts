import { Inject, Injectable, Optional } from '@nestjs/common';
import { ExternalContextCreator, ModuleRef } from '@nestjs/core';
import { compilePattern } from '@nestjs-events/event-patterns';
import type { EventHandlerMetadata } from '../decorators/event-handler.decorator';
import type { FoundHandler } from '../discovery/event-handler.explorer';
import { EventDispatcher } from '../dispatch/event.dispatcher';
import { HandlerInvokerFactory, type HandlerInvoker } from '../dispatch/handler-invoker.factory';
import { OutcomeReporter } from '../dispatch/outcome.reporter';
import { EventsConfigurationError } from '../errors/events-configuration.error';
import { EVENT_TRACER, IDEMPOTENCY_STORE } from '../events.constants';
import { EventTracer } from '../observability/event-tracer';
import { EVENTS_MODULE_OPTIONS } from '../events-module.definition';
import type { IdempotencyOptions } from '../idempotency/idempotency-options.interface';
import type { IdempotencyStore } from '../idempotency/idempotency-store.interface';
import { IdempotentRunner } from '../idempotency/idempotent.runner';
import { resolveIdempotencyOptions } from '../idempotency/resolve-idempotency-options';
import type { EventsModuleOptions } from '../interfaces/events-module-options.interface';
import { StuckHandlers } from '../dispatch/stuck-handlers';
import { EventsMonitor } from '../monitor/events.monitor';
import { RetryPolicy } from '../retry/retry-policy';
import { TransportRegistry } from '../transport/transport.registry';
import { brokerPattern } from './broker-pattern';
import { configured, resolveSelectors } from './event-selectors';

/** A subscription with the transport it consumes from. */
export interface BuiltSubscription {
  readonly transport: string;
  readonly subscription: EventDispatcher;
}

/**
 * Builds the subscriptions of a found handler, one per `@EventHandler` entry, from their options:
 * selectors and definitions, content pattern, retry policy, idempotency and transport. Everything
 * is resolved and checked here, at bootstrap, so that a handler that cannot work fails the start
 * with a message that names it.
 */
/** See `EventsModuleOptions.handlerTimeoutMs`. */
const DEFAULT_HANDLER_TIMEOUT_MS = 60_000;

/** A handler timeout, checked: a positive number of milliseconds, or Infinity for none. */
function handlerTimeout(where: string, timeoutMs: number): number {
  if (!(timeoutMs > 0) || (!Number.isFinite(timeoutMs) && timeoutMs !== Infinity)) {
    throw new EventsConfigurationError(
      `${where}: timeoutMs must be a number of milliseconds > 0 (or Infinity for none), got ${timeoutMs}.`,
    );
  }
  // setTimeout takes at most 2^31-1 ms; anything longer is as good as none.
  return timeoutMs > 2_147_483_647 ? Infinity : timeoutMs;
}

@Injectable()
export class SubscriptionFactory {
  private readonly invokers: HandlerInvokerFactory;
  private readonly idempotency: IdempotentRunner;

  constructor(
    contextCreator: ExternalContextCreator,
    moduleRef: ModuleRef,
    private readonly transports: TransportRegistry,
    private readonly monitor: EventsMonitor,
    @Inject(EVENTS_MODULE_OPTIONS) private readonly options: EventsModuleOptions,
    @Inject(IDEMPOTENCY_STORE) store: IdempotencyStore,
    private readonly stuck: StuckHandlers,
    @Optional() @Inject(EVENT_TRACER) private readonly tracer: EventTracer | null = null,
  ) {
    this.invokers = new HandlerInvokerFactory(contextCreator, moduleRef);
    this.idempotency = new IdempotentRunner(store);
  }

  /** What must be built asynchronously before `create()`: the handlers' parameter pipes. */
  async prepare(found: readonly FoundHandler[]): Promise<void> {
    for (const handler of found) await this.invokers.resolveParamPipes(handler);
  }

  create(found: FoundHandler): BuiltSubscription[] {
    const invoke = this.invokers.create(found);
    const { entries, name } = found;
    return entries.map((entry, index) =>
      this.build(entries.length > 1 ? `${name}#${index + 1}` : name, entry, found, invoke),
    );
  }

  private build(
    handler: string,
    { events, options }: EventHandlerMetadata,
    found: FoundHandler,
    invoke: HandlerInvoker,
  ): BuiltSubscription {
    const idempotency = found.idempotent && {
      runner: this.idempotency,
      options: this.idempotencyOptions(handler, found.idempotent),
    };
    const where = `@EventHandler on ${handler}`;
    const { eventTypes, matchers, definitions } = resolveSelectors(where, events);
    const { pattern } = options;
    const filter = pattern && configured(where, () => compilePattern(pattern));
    const retry = configured(
      where,
      () => new RetryPolicy(RetryPolicy.merge(this.options.retry, options.retry)),
    );
    const transport = options.transport ?? this.transports.default.name;
    const consumedFrom = this.transports.get(transport, where);
    const timeoutMs = handlerTimeout(
      where,
      options.timeoutMs ?? this.options.handlerTimeoutMs ?? DEFAULT_HANDLER_TIMEOUT_MS,
    );
    const subscription = new EventDispatcher({
      handler,
      eventTypes,
      matchers,
      definitions,
      queue: options.queue,
      filter,
      filterPattern: pattern,
      pattern: pattern && brokerPattern(pattern, definitions),
      idempotency,
      invoke,
      outcome: new OutcomeReporter(handler, retry, this.monitor, this.options.logPayloads),
      timeoutMs,
      stuck: this.stuck,
      tracing: this.tracer
        ? {
            tracer: this.tracer,
            target: EventTracer.targetOf(consumedFrom, handler, options.queue),
          }
        : undefined,
    });
    return { transport, subscription };
  }

  /** The module's defaults under the handler's own `@Idempotent()` options, checked. */
  private idempotencyOptions(handler: string, own: IdempotencyOptions) {
    try {
      return resolveIdempotencyOptions(`@Idempotent on ${handler}`, this.options.idempotency, own);
    } catch (error) {
      throw new EventsConfigurationError((error as Error).message);
    }
  }
}

import { Inject, Injectable } from '@nestjs/common';
import { DiscoveryService, ExternalContextCreator, MetadataScanner, ModuleRef } from '@nestjs/core';
import type { EventHandlerMetadata } from '../decorators/event-handler.decorator';
import { isEventDefinition } from '../definition/define-event';
import type { EventDefinition } from '../definition/event-definition.interface';
import { HandlerSubscription, type HandlerInvoker } from '../dispatch/handler.subscription';
import { HandlerInvokerFactory } from '../dispatch/handler-invoker.factory';
import { EventsConfigurationError } from '../errors/events-configuration.error';
import {
  EVENT_HANDLER_METADATA,
  IDEMPOTENCY_STORE,
  IDEMPOTENT_METADATA,
} from '../events.constants';
import type { IdempotencyOptions } from '../idempotency/idempotency-options.interface';
import type { IdempotencyStore } from '../idempotency/idempotency-store.interface';
import {
  IdempotentRunner,
  resolveIdempotencyOptions,
  type ResolvedIdempotencyOptions,
} from '../idempotency/idempotent.runner';
import { EVENTS_MODULE_OPTIONS } from '../events-module.definition';
import type { EventsModuleOptions } from '../interfaces/events-module-options.interface';
import type { EventPattern } from '@nestjs-events/event-patterns';
import { compilePattern, type EventMatcher } from '@nestjs-events/event-patterns';
import { compileTypeMatcher } from '../selectors/event-type-matcher';
import { EventsMonitor } from '../monitor/events.monitor';
import { RetryPolicy } from '../retry/retry-policy';
import { TransportRegistry } from '../transport/transport.registry';

/** A discovered handler with the transport it consumes from. */
export interface DiscoveredHandler {
  readonly transport: string;
  readonly subscription: HandlerSubscription;
}

type Method = (...args: unknown[]) => unknown;

/**
 * Finds every `@EventHandler` method on the providers and controllers of the application and
 * binds it, through Nest's ExternalContextCreator, so that guards, interceptors, pipes and
 * exception filters apply to it as they do to a route handler.
 */
@Injectable()
export class EventHandlerExplorer {
  private readonly invokers: HandlerInvokerFactory;
  private readonly idempotency: IdempotentRunner;

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    contextCreator: ExternalContextCreator,
    moduleRef: ModuleRef,
    private readonly transports: TransportRegistry,
    private readonly monitor: EventsMonitor,
    @Inject(EVENTS_MODULE_OPTIONS) private readonly options: EventsModuleOptions,
    @Inject(IDEMPOTENCY_STORE) store: IdempotencyStore,
  ) {
    this.invokers = new HandlerInvokerFactory(contextCreator, moduleRef);
    this.idempotency = new IdempotentRunner(store);
  }

  /** Wraps `invoke` in claim/complete when the method is marked `@Idempotent()`. */
  private withIdempotency(
    handler: string,
    invoke: HandlerInvoker,
    options: IdempotencyOptions | undefined,
  ): HandlerInvoker {
    if (!options) return invoke;
    let resolved: ResolvedIdempotencyOptions;
    try {
      resolved = resolveIdempotencyOptions(
        `@Idempotent on ${handler}`,
        this.options.idempotency,
        options,
      );
    } catch (error) {
      throw new EventsConfigurationError((error as Error).message);
    }
    return (event, context) =>
      this.idempotency.run(context, resolved, () => invoke(event, context));
  }

  explore(): DiscoveredHandler[] {
    const found: DiscoveredHandler[] = [];
    const owners = new Map<string, string>();
    const seen = new Set<unknown>();
    for (const wrapper of [...this.discovery.getProviders(), ...this.discovery.getControllers()]) {
      // Aliases (useExisting) point at a wrapper that is visited on its own.
      if (wrapper.isAlias) continue;
      const isStatic = wrapper.isDependencyTreeStatic();
      const instance = wrapper.instance as object | undefined;
      // A request-scoped provider has no instance until an event comes; its class is the metatype.
      const prototype: object | undefined = isStatic
        ? instance && (Object.getPrototypeOf(instance) as object)
        : (wrapper.metatype as { prototype?: object } | null)?.prototype;
      if (!prototype || seen.has(isStatic ? instance : wrapper.metatype)) continue;
      seen.add(isStatic ? instance : wrapper.metatype);
      for (const methodName of this.scanner.getAllMethodNames(prototype)) {
        const method = (prototype as Record<string, Method>)[methodName];
        const entries = Reflect.getMetadata(EVENT_HANDLER_METADATA, method) as
          EventHandlerMetadata[] | undefined;
        if (!entries) continue;
        const className = (isStatic ? instance!.constructor : (wrapper.metatype as Method)).name;
        const handler = `${className}.${methodName}`;
        const module = wrapper.host?.name ?? 'unknown module';
        const owner = owners.get(handler);
        if (owner !== undefined) {
          throw new EventsConfigurationError(
            `${handler} is registered twice (in ${owner} and ${module}), so every event would be ` +
              'handled twice. Provide the class in one module and import that module elsewhere.',
          );
        }
        owners.set(handler, module);
        const invoke = isStatic
          ? this.invokers.forInstance(instance!, methodName)
          : this.invokers.forScoped(wrapper, methodName);
        const idempotent = Reflect.getMetadata(IDEMPOTENT_METADATA, method) as
          IdempotencyOptions | undefined;
        entries.forEach((entry, index) => {
          const name = entries.length > 1 ? `${handler}#${index + 1}` : handler;
          found.push(this.bind(name, entry, this.withIdempotency(name, invoke, idempotent)));
        });
      }
    }
    return found;
  }

  private bind(
    handler: string,
    entry: EventHandlerMetadata,
    invoke: HandlerInvoker,
  ): DiscoveredHandler {
    const { events, options } = entry;
    const where = `@EventHandler on ${handler}`;
    if (events.length === 0) {
      throw new EventsConfigurationError(
        `${where}: no event given. Pass a definition or an event type.`,
      );
    }
    const eventTypes: string[] = [];
    const matchers: Array<(type: string) => boolean> = [];
    const definitions = new Map<string, EventDefinition>();
    for (const selector of events) {
      if (isEventDefinition(selector)) {
        const other = definitions.get(selector.type);
        if (other && other !== selector) {
          throw new EventsConfigurationError(
            `${where}: two definitions of "${selector.type}" (v${other.version} and ` +
              `v${selector.version}). Select the newest; older versions are upcast to it.`,
          );
        }
        definitions.set(selector.type, selector);
        eventTypes.push(selector.type);
      } else if (typeof selector === 'string') {
        try {
          matchers.push(compileTypeMatcher(selector));
        } catch (error) {
          throw new EventsConfigurationError(`${where}: ${(error as Error).message}`);
        }
        eventTypes.push(selector);
      } else {
        throw new EventsConfigurationError(
          `${where}: ${describeValue(selector)} is not an event type or a definition made with ` +
            'defineEvent().' +
            (selector === undefined
              ? ' If it is imported, a circular import may leave it undefined when the class is declared.'
              : ''),
        );
      }
    }
    let filter: EventMatcher | undefined;
    if (options.pattern !== undefined) {
      try {
        filter = compilePattern(options.pattern);
      } catch (error) {
        throw new EventsConfigurationError(`${where}: ${(error as Error).message}`);
      }
    }
    let retry: RetryPolicy;
    try {
      retry = new RetryPolicy(RetryPolicy.merge(this.options.retry, options.retry));
    } catch (error) {
      throw new EventsConfigurationError(`${where}: ${(error as Error).message}`);
    }
    const transport = options.transport ?? this.transports.default.name;
    this.transports.get(transport, where);
    const subscription = new HandlerSubscription({
      handler,
      eventTypes,
      matchers,
      definitions,
      queue: options.queue,
      filter,
      pattern: options.pattern && brokerPattern(options.pattern, definitions),
      retry,
      invoke,
      monitor: this.monitor,
      logPayloads: this.options.logPayloads ?? false,
    });
    return { transport, subscription };
  }
}

/**
 * The handler's pattern as brokers may apply it to the published envelope. A handler sees events
 * after upcasting, so on the published form the pattern holds only for the current version;
 * older versions pass the broker and are filtered in-process once lifted.
 */
function brokerPattern(
  pattern: EventPattern,
  definitions: ReadonlyMap<string, EventDefinition>,
): EventPattern | undefined {
  const versions = new Set([...definitions.values()].map((definition) => definition.version));
  if (versions.size === 0 || (versions.size === 1 && versions.has(1))) return pattern;
  if (versions.size > 1 || 'version' in pattern || '$or' in pattern) return undefined;
  const [current] = versions;
  return {
    $or: [{ ...pattern, version: [current] }, { version: [{ numeric: ['<', current] }] }],
  };
}

function describeValue(value: unknown): string {
  if (value === undefined || value === null) return String(value);
  if (typeof value === 'function') return `the function ${value.name || '(anonymous)'}`;
  if (typeof value === 'object') return `an object with keys ${JSON.stringify(Object.keys(value))}`;
  return JSON.stringify(value);
}

import { Injectable, type Type } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import type { InstanceWrapper } from '@nestjs/core/injector/instance-wrapper.js';
import type { EventHandlerMetadata } from '../decorators/event-handler.decorator';
import { EventsConfigurationError } from '../errors/events-configuration.error';
import { EVENT_HANDLER_METADATA, IDEMPOTENT_METADATA } from '../events.constants';
import type { IdempotencyOptions } from '../idempotency/idempotency-options.interface';

type Method = (...args: unknown[]) => unknown;

/** One `@EventHandler` method as found at bootstrap, before anything is built from it. */
export interface FoundHandler {
  /** The class that declares the method: with `methodName`, what identifies the handler. */
  readonly type: Type<object>;
  readonly methodName: string;
  /**
   * `ClassName.methodName`, as logs, metrics and idempotency keys show it. Only when another class
   * of the same name has a handler too is the later one suffixed with its module
   * (`Listener.handle@OtherModule`), so that every name stays unique within the application.
   */
  readonly name: string;
  /** The provider or controller holding the method; request-scoped when `instance` is absent. */
  readonly wrapper: InstanceWrapper;
  /** The instance to call, for a static provider. */
  readonly instance?: object;
  /** What each stacked `@EventHandler` recorded, in declaration order. */
  readonly entries: readonly EventHandlerMetadata[];
  /** Options of `@Idempotent()`, when the method has it. */
  readonly idempotent?: IdempotencyOptions;
}

/**
 * Finds every `@EventHandler` method on the providers and controllers of the application. It
 * only reads metadata: subscriptions are built from what it returns, elsewhere.
 */
@Injectable()
export class EventHandlerExplorer {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
  ) {}

  explore(): FoundHandler[] {
    const found: FoundHandler[] = [];
    const names = new HandlerNames();
    const seen = new Set<unknown>();
    for (const wrapper of [...this.discovery.getProviders(), ...this.discovery.getControllers()]) {
      // Aliases (useExisting) point at a wrapper that is visited on its own.
      if (wrapper.isAlias) continue;
      const isStatic = wrapper.isDependencyTreeStatic();
      const instance = isStatic ? (wrapper.instance as object | undefined) : undefined;
      // A request-scoped provider has no instance until an event comes; its class is the metatype.
      const type = (isStatic ? instance?.constructor : wrapper.metatype) as
        Type<object> | undefined;
      if (!type?.prototype || seen.has(isStatic ? instance : type)) continue;
      seen.add(isStatic ? instance : type);
      const prototype = (isStatic ? Object.getPrototypeOf(instance) : type.prototype) as object;
      let suffix: string | undefined;
      for (const methodName of this.scanner.getAllMethodNames(prototype)) {
        const method = (prototype as Record<string, Method>)[methodName];
        const entries = Reflect.getMetadata(EVENT_HANDLER_METADATA, method) as
          EventHandlerMetadata[] | undefined;
        if (!entries) continue;
        suffix ??= names.claim(type, methodName, wrapper.host?.name ?? 'unknown module');
        found.push({
          type,
          methodName,
          name: `${type.name}.${methodName}${suffix}`,
          wrapper,
          instance,
          entries,
          idempotent: Reflect.getMetadata(IDEMPOTENT_METADATA, method) as
            IdempotencyOptions | undefined,
        });
      }
    }
    return found;
  }
}

/**
 * Gives each handler a readable name that is unique in the application. Classes are told apart
 * by identity, not by name: two classes both called `Listener` are two handlers, while one class
 * provided twice would handle every event twice and is refused.
 */
class HandlerNames {
  private readonly owners = new Map<Type<object>, string>();
  private readonly taken = new Set<string>();

  /** The suffix of the handlers of `type`, found on a provider of `module`. */
  claim(type: Type<object>, methodName: string, module: string): string {
    const owner = this.owners.get(type);
    if (owner !== undefined) {
      throw new EventsConfigurationError(
        `${type.name}.${methodName} is registered twice (in ${owner} and ${module}), so every ` +
          'event would be handled twice. Provide the class in one module and import that module ' +
          'elsewhere.',
      );
    }
    this.owners.set(type, module);
    let suffix = '';
    if (this.taken.has(type.name)) {
      // `@Module`, or `@Module(2)`, … when classes of one name clash within one module too.
      suffix = `@${module}`;
      for (let n = 2; this.taken.has(type.name + suffix); n++) suffix = `@${module}(${n})`;
    }
    this.taken.add(type.name + suffix);
    return suffix;
  }
}

import {
  EXCEPTION_FILTERS_METADATA,
  GUARDS_METADATA,
  INTERCEPTORS_METADATA,
  PIPES_METADATA,
} from '@nestjs/common/constants';
import type { PipeTransform, Type } from '@nestjs/common';
import type { ApplicationConfig } from '@nestjs/core';
import { ContextIdFactory, ModuleRef, type ExternalContextCreator } from '@nestjs/core';
import { ExternalExceptionFilterContext } from '@nestjs/core/exceptions/external-exception-filter-context.js';
import { GuardsConsumer, GuardsContextCreator } from '@nestjs/core/guards/index.js';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host.js';
import type { NestContainer } from '@nestjs/core/injector/container.js';
import type { InstanceWrapper } from '@nestjs/core/injector/instance-wrapper.js';
import type { Module } from '@nestjs/core/injector/module.js';
import type { HandlingContext } from '../context/event-context';
import type { FoundHandler } from '../discovery/event-handler.explorer';
import { EventsConfigurationError } from '../errors/events-configuration.error';
import { EVENT_HANDLER_ARGS_METADATA, EVENTS_CONTEXT_TYPE } from '../events.constants';
import type { EventEnvelope } from '../interfaces/event-envelope.interface';
import { EventParamsFactory } from './event-params.factory';

/**
 * Runs the handler method for one event (through Nest's guards, interceptors, pipes and filters
 * when it has any). May return synchronously. A guard's denial is no error: it marks the context
 * skipped (reason `guard`) and returns.
 */
export type HandlerInvoker = (event: EventEnvelope, context: HandlingContext) => unknown;

type Method = (...args: unknown[]) => unknown;
type ContextId = ReturnType<typeof ContextIdFactory.create>;

const ENHANCER_METADATA = [
  GUARDS_METADATA,
  INTERCEPTORS_METADATA,
  PIPES_METADATA,
  EXCEPTION_FILTERS_METADATA,
];
// Guards run here rather than in ExternalContextCreator, which turns a `false` into the same
// ForbiddenException a guard may throw: run apart, a denial is known as such.
const WITHOUT_GUARDS = { guards: false, interceptors: true, filters: true };

interface ParamMetadata {
  readonly index: number;
  readonly data?: string;
  readonly pipes: ReadonlyArray<Type<PipeTransform> | PipeTransform>;
}
type ArgsMetadata = Record<string, ParamMetadata>;

// One key per application: the resolved copy holds that application's pipe instances, and the
// class (with its metadata) may be shared by several applications in one process.
let applications = 0;

/**
 * Binds handler methods to callables. A method with any Nest enhancer (its own, its class's or a
 * global one) or parameter decorator goes through Nest's ExternalContextCreator with context type
 * 'events'; a method with none is called directly, which does the same with far less work per
 * event.
 */
export class HandlerInvokerFactory {
  private readonly paramsFactory = new EventParamsFactory();
  private readonly guardsConsumer = new GuardsConsumer();
  private readonly container: NestContainer | undefined;
  private readonly guards: GuardsContextCreator | undefined;
  private readonly filters: ExternalExceptionFilterContext | undefined;
  private readonly resolvedArgsKey = `${EVENT_HANDLER_ARGS_METADATA}#${++applications}`;
  /** Methods (by class) whose parameter pipes were resolved under `resolvedArgsKey`. */
  private readonly resolvedArgs = new WeakMap<object, Set<string>>();
  /** One instance of each pipe class per module, as Nest builds them for route parameters. */
  private readonly pipes = new Map<Module | undefined, Map<Type<PipeTransform>, PipeTransform>>();

  constructor(
    private readonly contextCreator: ExternalContextCreator,
    private readonly moduleRef: ModuleRef,
  ) {
    // Nest keeps its container (and in it the global enhancers) on the context creator without
    // exposing it; guards and filters are looked up in it the way the context creator does.
    const container = (contextCreator as unknown as { container?: NestContainer }).container;
    this.container = container;
    if (container) {
      this.guards = new GuardsContextCreator(container, container.applicationConfig);
      this.filters = new ExternalExceptionFilterContext(container, container.applicationConfig);
    }
  }

  /**
   * Builds the pipe classes given to `@EventData()`/`@CurrentEvent()` of a handler, through the
   * injector of the handler's module. Nest registers such classes as injectables only for route
   * parameters of controllers; without an instance, its context creator drops them silently.
   * Runs before `create()`.
   */
  async resolveParamPipes({ type, methodName, name, wrapper }: FoundHandler): Promise<void> {
    const args = Reflect.getMetadata(EVENT_HANDLER_ARGS_METADATA, type, methodName) as
      ArgsMetadata | undefined;
    if (!args || !Object.values(args).some((param) => param.pipes.some(isClass))) return;
    const resolved: ArgsMetadata = {};
    for (const [key, param] of Object.entries(args)) {
      const pipes: PipeTransform[] = [];
      for (const pipe of param.pipes) {
        pipes.push(isClass(pipe) ? await this.pipeInstance(pipe, wrapper.host, name) : pipe);
      }
      resolved[key] = { ...param, pipes };
    }
    Reflect.defineMetadata(this.resolvedArgsKey, resolved, type, methodName);
    let methods = this.resolvedArgs.get(type);
    if (!methods) this.resolvedArgs.set(type, (methods = new Set()));
    methods.add(methodName);
  }

  private async pipeInstance(
    pipe: Type<PipeTransform>,
    host: Module | undefined,
    handler: string,
  ): Promise<PipeTransform> {
    let built = this.pipes.get(host);
    if (!built) this.pipes.set(host, (built = new Map<Type<PipeTransform>, PipeTransform>()));
    const known = built.get(pipe);
    if (known) return known;
    const moduleRef =
      (host?.providers.get(ModuleRef)?.instance as ModuleRef | undefined) ?? this.moduleRef;
    let instance: PipeTransform;
    try {
      instance = await moduleRef.create(pipe);
    } catch (error) {
      throw new EventsConfigurationError(
        `${handler}: the pipe ${pipe.name} of a parameter could not be created in ` +
          `${host?.name ?? 'its module'}: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
    if (typeof instance?.transform !== 'function') {
      throw new EventsConfigurationError(
        `${handler}: ${pipe.name}, given as a parameter pipe, has no transform() method.`,
      );
    }
    built.set(pipe, instance);
    return instance;
  }

  create({ instance, wrapper, methodName }: FoundHandler): HandlerInvoker {
    return instance
      ? this.forInstance(instance, wrapper, methodName)
      : this.forScoped(wrapper, methodName);
  }

  private forInstance(instance: object, wrapper: InstanceWrapper, methodName: string) {
    const method = (instance as Record<string, Method>)[methodName];
    if (!this.hasEnhancers(instance.constructor, method, methodName)) {
      return (event: EventEnvelope) => method.call(instance, event);
    }
    const inquirerId = wrapper.host?.entryProviders.find(
      (item) => item.token === instance.constructor || item.instance === instance,
    )?.id;
    return this.bind(instance, method, methodName, wrapper, undefined, inquirerId);
  }

  /** Request-scoped handlers get a fresh instance per event, with the event as `REQUEST`. */
  private forScoped(wrapper: InstanceWrapper, methodName: string): HandlerInvoker {
    return async (event, context) => {
      const contextId = ContextIdFactory.create();
      this.moduleRef.registerRequestByContextId(event, contextId);
      const instance = await this.moduleRef.resolve<object>(wrapper.token, contextId, {
        strict: false,
      });
      const method = (instance as Record<string, Method>)[methodName];
      return this.bind(
        instance,
        method,
        methodName,
        wrapper,
        contextId,
        wrapper.id,
      )(event, context);
    };
  }

  private bind(
    instance: object,
    method: Method,
    methodName: string,
    wrapper: InstanceWrapper,
    contextId?: ContextId,
    inquirerId?: string,
  ): HandlerInvoker {
    const run = this.contextCreator.create(
      instance,
      method,
      methodName,
      this.resolvedArgs.get(instance.constructor)?.has(methodName)
        ? this.resolvedArgsKey
        : EVENT_HANDLER_ARGS_METADATA,
      this.paramsFactory,
      contextId,
      inquirerId,
      // Without the container, the context creator runs the guards: a denial is then a failure.
      this.guards && WITHOUT_GUARDS,
      EVENTS_CONTEXT_TYPE,
    ) as (event: EventEnvelope) => Promise<unknown>;
    const module = wrapper.host?.token ?? '';
    const guards = this.guards?.create(instance, method, module, contextId, inquirerId) ?? [];
    if (guards.length === 0) return (event) => run(event);
    // A guard that throws reaches the handler's exception filters, as any error of the handler.
    const filters = this.filters!.create(instance, method as never, module, contextId, inquirerId);
    return (event, context) =>
      this.guardsConsumer.tryActivate(guards, [event], instance, method, EVENTS_CONTEXT_TYPE).then(
        (allowed) => {
          if (allowed) return run(event);
          context.skipped = 'guard';
          return undefined;
        },
        (error: unknown) => {
          const host = new ExecutionContextHost([event]);
          host.setType(EVENTS_CONTEXT_TYPE);
          return filters.next(error as Error, host) as unknown;
        },
      );
  }

  private hasEnhancers(type: object, method: Method, methodName: string): boolean {
    const declared = (target: object) =>
      ENHANCER_METADATA.some(
        (key) => ((Reflect.getMetadata(key, target) as unknown[] | undefined)?.length ?? 0) > 0,
      );
    if (declared(method) || declared(type)) return true;
    if (Reflect.getMetadata(EVENT_HANDLER_ARGS_METADATA, type, methodName)) return true;
    return this.hasGlobalEnhancers();
  }

  private hasGlobalEnhancers(): boolean {
    // When the container cannot be reached, assume there are global enhancers: the full path.
    const config: ApplicationConfig | undefined = this.container?.applicationConfig;
    if (!config) return true;
    return (
      config.getGlobalGuards().length +
        config.getGlobalInterceptors().length +
        config.getGlobalPipes().length +
        config.getGlobalFilters().length +
        config.getGlobalRequestGuards().length +
        config.getGlobalRequestInterceptors().length +
        config.getGlobalRequestPipes().length +
        config.getGlobalRequestFilters().length >
      0
    );
  }
}

function isClass(pipe: Type<PipeTransform> | PipeTransform): pipe is Type<PipeTransform> {
  return typeof pipe === 'function';
}

import {
  EXCEPTION_FILTERS_METADATA,
  GUARDS_METADATA,
  INTERCEPTORS_METADATA,
  PIPES_METADATA,
} from '@nestjs/common/constants';
import type {
  ArgumentMetadata,
  CallHandler,
  CanActivate,
  NestInterceptor,
  PipeTransform,
  Type,
} from '@nestjs/common';
import { PARAMTYPES_METADATA } from '@nestjs/common/constants';
import type { ApplicationConfig } from '@nestjs/core';
import { ContextIdFactory, ModuleRef, type ExternalContextCreator } from '@nestjs/core';
import { ExternalExceptionFilterContext } from '@nestjs/core/exceptions/external-exception-filter-context.js';
import { GuardsContextCreator } from '@nestjs/core/guards/index.js';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host.js';
import { InterceptorsContextCreator } from '@nestjs/core/interceptors/index.js';
import { PipesContextCreator } from '@nestjs/core/pipes/index.js';
import type { NestContainer } from '@nestjs/core/injector/container.js';
import type { InstanceWrapper } from '@nestjs/core/injector/instance-wrapper.js';
import type { Module } from '@nestjs/core/injector/module.js';
import {
  EmptyError,
  from,
  isObservable,
  lastValueFrom,
  mergeAll,
  Observable,
  type Observer,
} from 'rxjs';
import type { HandlingContext } from '../context/event-context';
import type { FoundHandler } from '../discovery/event-handler.explorer';
import { EventsConfigurationError } from '../errors/events-configuration.error';
import { EVENT_HANDLER_ARGS_METADATA, EVENTS_CONTEXT_TYPE } from '../events.constants';
import type { EventEnvelope } from '../interfaces/event-envelope.interface';
import { EventParamType } from '../decorators/event-params.decorator';
import { isThenable } from '../utils/thenable';
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
  private readonly container: NestContainer | undefined;
  private readonly guards: GuardsContextCreator | undefined;
  private readonly interceptors: InterceptorsContextCreator | undefined;
  private readonly pipesCreator: PipesContextCreator | undefined;
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
      this.interceptors = new InterceptorsContextCreator(container, container.applicationConfig);
      this.pipesCreator = new PipesContextCreator(container, container.applicationConfig);
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

  /**
   * The enhancers of one handler, resolved once (at bootstrap, or per event for request-scoped
   * handlers) with Nest's own context creators, then run per event in Nest's order: guards,
   * interceptors around the parameters' pipes and the method, and exception filters around all
   * of it. The same semantics as ExternalContextCreator's chain (see test/enhancers), at a
   * fraction of its cost: one execution context per event, guards and pipes that answer
   * synchronously stay synchronous, and interceptors get plain cold observables.
   */
  private bind(
    instance: object,
    method: Method,
    methodName: string,
    wrapper: InstanceWrapper,
    contextId?: ContextId,
    inquirerId?: string,
  ): HandlerInvoker {
    const argsKey = this.resolvedArgs.get(instance.constructor)?.has(methodName)
      ? this.resolvedArgsKey
      : EVENT_HANDLER_ARGS_METADATA;
    if (!this.guards || !this.interceptors || !this.filters || !this.pipesCreator) {
      // Without the container, the context creator runs everything: a denial is then a failure.
      const run = this.contextCreator.create(
        instance,
        method,
        methodName,
        argsKey,
        this.paramsFactory,
        contextId,
        inquirerId,
        undefined,
        EVENTS_CONTEXT_TYPE,
      ) as (event: EventEnvelope) => Promise<unknown>;
      return (event) => run(event);
    }
    const module = wrapper.host?.token ?? '';
    const guards = this.guards.create(instance, method, module, contextId, inquirerId);
    const interceptors = this.interceptors.create(instance, method, module, contextId, inquirerId);
    const filters = this.filters.create(instance, method as never, module, contextId, inquirerId);
    const pipes = this.pipesCreator.create(instance, method, module, contextId, inquirerId);
    const call = methodCall(instance, method, methodName, argsKey, pipes);
    const classRef = instance.constructor as Type;
    // A guard, an interceptor, a pipe or the handler that throws reaches the exception filters,
    // whose answer is the run's result (they rethrow what none of them catches).
    const caught = (error: unknown, event: EventEnvelope): unknown => {
      const host = new ExecutionContextHost([event]);
      host.setType(EVENTS_CONTEXT_TYPE);
      return filters.next(error as Error, host) as unknown;
    };
    // The run once the guards let it through, its errors already answered by the filters (once:
    // what they throw leaves the run as it is).
    const proceed = interceptors.length
      ? (event: EventEnvelope, host: ExecutionContextHost): unknown => {
          let chain: Observable<unknown>;
          try {
            chain = intercepted(interceptors, host, 0, call, event);
          } catch (error) {
            return caught(error, event);
          }
          return chain instanceof HandlerResult
            ? chain.settle(caught)
            : lastValue(chain, caught, event);
        }
      : (event: EventEnvelope): unknown => {
          let result: unknown;
          try {
            result = call(event);
          } catch (error) {
            return caught(error, event);
          }
          return isThenable(result)
            ? Promise.resolve(result).catch((error: unknown) => caught(error, event))
            : result;
        };
    const denied = (context: HandlingContext): undefined => {
      context.skipped = 'guard';
      return undefined;
    };
    return (event, context) => {
      const host = new ExecutionContextHost([event], classRef, method);
      host.setType(EVENTS_CONTEXT_TYPE);
      let allowed: boolean | Promise<boolean>;
      try {
        allowed = guards.length ? activate(guards, host, 0) : true;
      } catch (error) {
        return caught(error, event);
      }
      if (allowed === true) return proceed(event, host);
      if (allowed === false) return denied(context);
      return allowed.then(
        (yes) => (yes ? proceed(event, host) : denied(context)),
        (error: unknown) => caught(error, event),
      );
    };
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

/** A parameter of a handler, as its pipes see it. */
interface CompiledParam {
  readonly index: number;
  readonly type: number;
  readonly data?: string;
  readonly pipes: readonly PipeTransform[];
  readonly metadata: ArgumentMetadata;
}

/**
 * Calls the method with its parameters (`@CurrentEvent()`, `@EventData()`) through their pipes:
 * the handler's own and global pipes first, then the parameter's, as Nest applies them. Without
 * parameter decorators the method gets the envelope, and pipes do not apply (as in Nest).
 */
function methodCall(
  instance: object,
  method: Method,
  methodName: string,
  argsKey: string,
  handlerPipes: readonly PipeTransform[],
): (event: EventEnvelope) => unknown {
  const declared = Reflect.getMetadata(argsKey, instance.constructor, methodName) as
    ArgsMetadata | undefined;
  const keys = Object.keys(declared ?? {});
  if (!declared || keys.length === 0) return (event) => method.call(instance, event);
  const paramtypes = Reflect.getMetadata(PARAMTYPES_METADATA, instance, methodName) as
    unknown[] | undefined;
  const params: CompiledParam[] = keys.map((key) => {
    const { index, data, pipes } = declared[key];
    return {
      index,
      type: Number(key.split(':')[0]),
      data,
      // Classes were resolved to instances at bootstrap (resolveParamPipes); Nest drops others.
      pipes: [...handlerPipes, ...pipes.filter((pipe): pipe is PipeTransform => !isClass(pipe))],
      metadata: { type: 'custom', metatype: paramtypes?.[index] as Type | undefined, data },
    };
  });
  const length = Math.max(...params.map((p) => p.index)) + 1;
  if (params.length === 1 && length === 1) {
    // The common handler, `(@EventData() data)`: called with its value, without an array of
    // arguments to fill and spread per event.
    const [param] = params;
    return (event) => {
      const value = paramValue(param, event);
      return isThenable(value)
        ? Promise.resolve(value).then((v) => method.call(instance, v))
        : method.call(instance, value);
    };
  }
  return (event) => {
    const args: unknown[] = new Array(length).fill(undefined);
    let pending: Promise<unknown>[] | undefined;
    for (const param of params) {
      const value = paramValue(param, event);
      if (isThenable(value)) {
        (pending ??= []).push(Promise.resolve(value).then((v) => (args[param.index] = v)));
      } else {
        args[param.index] = value;
      }
    }
    return pending
      ? Promise.all(pending).then(() => method.apply(instance, args))
      : method.apply(instance, args);
  };
}

/** The value of `param` for `event`, through its pipes (a promise once a pipe answers with one). */
function paramValue(param: CompiledParam, event: EventEnvelope): unknown {
  let value: unknown =
    param.type === (EventParamType.ENVELOPE as number)
      ? event
      : param.data === undefined
        ? event.data
        : (event.data as Record<string, unknown> | undefined)?.[param.data];
  for (const pipe of param.pipes) {
    value = isThenable(value)
      ? Promise.resolve(value).then((v) => pipe.transform(v, param.metadata) as unknown)
      : (pipe.transform(value, param.metadata) as unknown);
  }
  return value;
}

/**
 * Whether `guards` let the event through, from guard `from` on, as Nest's GuardsConsumer
 * decides: each in turn, stopping at the first that says no; a promise or an observable is
 * awaited (its last value). Synchronous while the guards answer synchronously.
 */
function activate(
  guards: readonly CanActivate[],
  host: ExecutionContextHost,
  from: number,
): boolean | Promise<boolean> {
  for (let i = from; i < guards.length; i++) {
    const answer = guards[i].canActivate(host) as unknown;
    if (typeof answer === 'boolean') {
      if (!answer) return false;
      continue;
    }
    const pending = isObservable(answer) ? lastValueFrom(answer) : Promise.resolve(answer);
    return pending.then((yes) => (yes ? activate(guards, host, i + 1) : false));
  }
  return true;
}

/**
 * The chain from interceptor `index` inwards, as Nest's InterceptorsConsumer builds it: each gets
 * the execution context and a `next` whose `handle()` is a cold observable of the rest; innermost
 * is the method's result (flattened when it is a promise or an observable). The run's result is
 * the chain's last value: an interceptor that emits nothing fails it with rxjs's EmptyError.
 */
function intercepted(
  interceptors: readonly NestInterceptor[],
  host: ExecutionContextHost,
  index: number,
  call: (event: EventEnvelope) => unknown,
  event: EventEnvelope,
): Observable<unknown> {
  if (index === interceptors.length) return new HandlerResult(call, event);
  const next: CallHandler = {
    handle: () => intercepted(interceptors, host, index + 1, call, event),
  };
  const result = interceptors[index].intercept(host, next) as
    Observable<unknown> | Promise<Observable<unknown>>;
  return result instanceof Promise ? from(result).pipe(mergeAll()) : result;
}

type Caught = (error: unknown, event: EventEnvelope) => unknown;

/**
 * The last value of `chain` (rxjs's `EmptyError` when it completes without one), or what
 * `caught` answers for its error: one promise for both, where `lastValueFrom(...).catch(...)`
 * makes two, and each one costs on this path.
 */
function lastValue(chain: Observable<unknown>, caught: Caught, event: EventEnvelope) {
  return new Promise((resolve, reject) => {
    const observer = new LastValue(resolve, reject, caught, event);
    try {
      chain.subscribe(observer);
    } catch (error) {
      // An interceptor that answered with something other than an observable.
      observer.error(error);
    }
  });
}

/** The observer of `lastValue`: one object per event, not an object literal and four closures. */
class LastValue implements Observer<unknown> {
  private last: unknown = undefined;
  private emitted = false;

  constructor(
    private readonly resolve: (value: unknown) => void,
    private readonly reject: (error: unknown) => void,
    private readonly caught: Caught,
    private readonly event: EventEnvelope,
  ) {}

  next(value: unknown): void {
    this.last = value;
    this.emitted = true;
  }

  error(error: unknown): void {
    try {
      this.resolve(this.caught(error, this.event));
    } catch (rethrown) {
      // What the filters threw, as it is: the run fails with the filters' own error.
      this.reject(rethrown);
    }
  }

  complete(): void {
    if (this.emitted) this.resolve(this.last);
    else this.error(new EmptyError());
  }
}

/**
 * The method's result as a cold observable: run on subscription, once per subscription. A result
 * that is an observable (or a promise) is subscribed with the same subscriber, which then ends
 * that subscription too when it is unsubscribed.
 */
class HandlerResult extends Observable<unknown> {
  constructor(
    private readonly call: (event: EventEnvelope) => unknown,
    private readonly event: EventEnvelope,
  ) {
    super((subscriber) => {
      const deliver = (value: unknown): void => {
        if (subscriber.closed) return;
        if (isObservable(value) || isThenable(value)) {
          from(value as Observable<unknown>).subscribe(subscriber);
          return;
        }
        subscriber.next(value);
        subscriber.complete();
      };
      const fail = (error: unknown): void => {
        if (!subscriber.closed) subscriber.error(error);
      };
      try {
        const value = call(event);
        if (isThenable(value)) Promise.resolve(value).then(deliver, fail);
        else deliver(value);
      } catch (error) {
        fail(error);
      }
    });
  }

  /**
   * What `lastValue` would answer for this observable, without subscribing to it: for a chain
   * whose interceptors hand back `next.handle()` as it is. The method runs once, as on one
   * subscription, and its value, its error and an observable or a promise it returns end the
   * same way; what is saved is an rxjs subscriber, an observer and a promise per event.
   */
  settle(caught: Caught): unknown {
    const { event } = this;
    const flattened = (value: unknown): unknown =>
      isObservable(value) || isThenable(value)
        ? lastValue(from(value as Observable<unknown>), caught, event)
        : value;
    let value: unknown;
    try {
      value = this.call(event);
    } catch (error) {
      return caught(error, event);
    }
    return isThenable(value)
      ? Promise.resolve(value).then(flattened, (error: unknown) => caught(error, event))
      : flattened(value);
  }
}

function isClass(pipe: Type<PipeTransform> | PipeTransform): pipe is Type<PipeTransform> {
  return typeof pipe === 'function';
}

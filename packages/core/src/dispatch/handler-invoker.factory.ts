import type { ApplicationConfig } from '@nestjs/core';
import { ContextIdFactory, type ExternalContextCreator, type ModuleRef } from '@nestjs/core';
import type { InstanceWrapper } from '@nestjs/core/injector/instance-wrapper.js';
import { EVENT_HANDLER_ARGS_METADATA, EVENTS_CONTEXT_TYPE } from '../events.constants';
import type { EventEnvelope } from '../interfaces/event-envelope.interface';
import { EventParamsFactory } from './event-params.factory';
import type { HandlerInvoker } from './handler.subscription';

type Method = (...args: unknown[]) => unknown;

// Where @UseGuards, @UseInterceptors, @UsePipes and @UseFilters keep their lists.
const ENHANCER_METADATA = ['__guards__', '__interceptors__', '__pipes__', '__exceptionFilters__'];

/**
 * Binds handler methods to callables. A method with any Nest enhancer (its own, its class's or a
 * global one) or parameter decorator goes through Nest's ExternalContextCreator with context type
 * 'events'; a method with none is called directly, which does the same with far less work per
 * event.
 */
export class HandlerInvokerFactory {
  private readonly paramsFactory = new EventParamsFactory();

  constructor(
    private readonly contextCreator: ExternalContextCreator,
    private readonly moduleRef: ModuleRef,
  ) {}

  forInstance(instance: object, methodName: string): HandlerInvoker {
    const method = (instance as Record<string, Method>)[methodName];
    if (!this.hasEnhancers(instance.constructor, method, methodName)) {
      return (event) => method.call(instance, event);
    }
    const run = this.create(instance, method, methodName);
    return (event) => run(event);
  }

  /** Request-scoped handlers get a fresh instance per event, with the event as `REQUEST`. */
  forScoped(wrapper: InstanceWrapper, methodName: string): HandlerInvoker {
    return async (event: EventEnvelope) => {
      const contextId = ContextIdFactory.create();
      this.moduleRef.registerRequestByContextId(event, contextId);
      const instance = await this.moduleRef.resolve<object>(wrapper.token, contextId, {
        strict: false,
      });
      const method = (instance as Record<string, Method>)[methodName];
      return this.create(instance, method, methodName, contextId, wrapper.id)(event);
    };
  }

  private create(
    instance: object,
    method: Method,
    methodName: string,
    contextId?: ReturnType<typeof ContextIdFactory.create>,
    inquirerId?: string,
  ): (event: EventEnvelope) => Promise<unknown> {
    return this.contextCreator.create(
      instance,
      method,
      methodName,
      EVENT_HANDLER_ARGS_METADATA,
      this.paramsFactory,
      contextId,
      inquirerId,
      undefined,
      EVENTS_CONTEXT_TYPE,
    ) as (event: EventEnvelope) => Promise<unknown>;
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
    // Nest keeps global enhancers in the container's ApplicationConfig, which it does not expose;
    // when it cannot be reached, assume there are some and take the full path.
    const config = (
      this.contextCreator as unknown as { container?: { applicationConfig?: ApplicationConfig } }
    ).container?.applicationConfig;
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

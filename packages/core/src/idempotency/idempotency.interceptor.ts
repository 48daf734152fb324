import {
  Inject,
  Injectable,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { defer, lastValueFrom, type Observable } from 'rxjs';
import { currentHandlingContext } from '../context/event-context';
import { EVENTS_CONTEXT_TYPE, IDEMPOTENCY_STORE, IDEMPOTENT_METADATA } from '../events.constants';
import { EVENTS_MODULE_OPTIONS } from '../events-module.definition';
import type { EventsModuleOptions } from '../interfaces/events-module-options.interface';
import type { IdempotencyStore } from './idempotency-store.interface';
import { IdempotentRunner } from './idempotent.runner';
import { promiseOf } from '../utils/thenable';
import {
  resolveIdempotencyOptions,
  type ResolvedIdempotencyOptions,
} from './resolve-idempotency-options';

/**
 * Runs event handlers at most once per key, for handlers that are not marked `@Idempotent()`:
 * use it with `@UseInterceptors()` or as a global interceptor. It delegates to the same runner as
 * `@Idempotent()`, which the dispatcher applies around the whole invocation (guards and
 * interceptors included), so on `@Idempotent()` handlers it does nothing and a key is never
 * claimed twice; outside event handlers it does nothing either. Duplicates are logged and
 * reported as `skipped` (reason `duplicate`) on `EventsMonitor`.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  private readonly runner: IdempotentRunner;
  private readonly options: ResolvedIdempotencyOptions;

  constructor(
    @Inject(IDEMPOTENCY_STORE) store: IdempotencyStore,
    private readonly reflector: Reflector,
    @Inject(EVENTS_MODULE_OPTIONS) moduleOptions: EventsModuleOptions,
  ) {
    this.runner = new IdempotentRunner(store);
    this.options = resolveIdempotencyOptions('EventsModule idempotency', moduleOptions.idempotency);
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const handling = currentHandlingContext();
    if (
      context.getType<string>() !== EVENTS_CONTEXT_TYPE ||
      !handling ||
      this.reflector.get(IDEMPOTENT_METADATA, context.getHandler()) !== undefined
    ) {
      return next.handle();
    }
    return defer(() =>
      promiseOf(() =>
        this.runner.run<unknown>(handling, this.options, () =>
          lastValueFrom(next.handle(), { defaultValue: undefined }),
        ),
      ),
    );
  }
}

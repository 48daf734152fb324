import {
  Inject,
  Injectable,
  Logger,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { defer, lastValueFrom, type Observable } from 'rxjs';
import { currentHandlingContext, type HandlingContext } from '../context/event-context';
import { EVENTS_CONTEXT_TYPE, IDEMPOTENCY_STORE, IDEMPOTENT_METADATA } from '../events.constants';
import { EVENTS_MODULE_OPTIONS } from '../events-module.definition';
import type { EventsModuleOptions } from '../interfaces/events-module-options.interface';
import type { IdempotencyOptions } from './idempotency-options.interface';
import type { IdempotencyStore } from './idempotency-store.interface';

const DEFAULTS: Required<Omit<IdempotencyOptions, 'key'>> = {
  ttlMs: 24 * 60 * 60 * 1000,
  lockTtlMs: 60_000,
  whenInProgress: 'wait',
};
const POLL_MIN_MS = 10;
const POLL_MAX_MS = 1000;

/**
 * Runs an event handler at most once per key: claims the key in the store before the handler,
 * completes it after, releases it on failure so that the retry runs. Keys are scoped by handler,
 * so two handlers of one event never shadow each other. Outside event handlers it does nothing.
 * Duplicates are logged and reported as `skipped` (reason `duplicate`) on `EventsMonitor`.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  private readonly logger = new Logger(IdempotencyInterceptor.name);
  private readonly defaults: IdempotencyOptions;

  constructor(
    @Inject(IDEMPOTENCY_STORE) private readonly store: IdempotencyStore,
    private readonly reflector: Reflector,
    @Inject(EVENTS_MODULE_OPTIONS) options: EventsModuleOptions,
  ) {
    this.defaults = { ...DEFAULTS, ...options.idempotency };
    checkDurations('EventsModule idempotency', this.defaults);
  }

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    const handling = currentHandlingContext();
    if (context.getType<string>() !== EVENTS_CONTEXT_TYPE || !handling) return next.handle();
    const options = {
      ...this.defaults,
      ...this.reflector.get<IdempotencyOptions | undefined>(
        IDEMPOTENT_METADATA,
        context.getHandler(),
      ),
    } as Required<Omit<IdempotencyOptions, 'key'>> & IdempotencyOptions;
    checkDurations(`@Idempotent on ${handling.handler}`, options);
    const eventKey = options.key ? options.key(handling.event) : handling.event.id;
    if (typeof eventKey !== 'string' || eventKey === '') {
      throw new TypeError(
        `${handling.handler}: the idempotency key function returned ${JSON.stringify(eventKey)} ` +
          `for event ${handling.event.id}; it must return a non-empty string.`,
      );
    }
    const key = `${handling.handler}:${eventKey}`;
    if (!(await this.acquire(key, options, handling))) {
      handling.skipped = 'duplicate';
      this.logger.log(
        `${handling.handler} skipped duplicate event ${handling.event.id} (${handling.event.type}, key ${eventKey})`,
      );
      return defer(() => Promise.resolve(undefined));
    }
    return defer(async () => {
      let result: unknown;
      try {
        result = await lastValueFrom(next.handle(), { defaultValue: undefined });
      } catch (error) {
        await this.store
          .release(key)
          .catch((releaseError: unknown) =>
            this.logger.error(
              `Could not release idempotency key ${key}; a retry waits for its lock to expire`,
              (releaseError as Error).stack,
            ),
          );
        throw error;
      }
      try {
        await this.store.complete(key, { ttlMs: options.ttlMs });
      } catch (error) {
        // The handler's effect has happened: failing the delivery now would run it again. The
        // claim stays in progress until its lock expires, which still stops near duplicates.
        this.logger.error(
          `${handling.handler}: could not mark event ${handling.event.id} as done (key ${eventKey}); ` +
            'a redelivery after the lock expires would run the handler again',
          (error as Error).stack,
        );
      }
      return result;
    });
  }

  /** True when this delivery owns the key; false when the work is already done. */
  private async acquire(
    key: string,
    options: Required<Omit<IdempotencyOptions, 'key'>>,
    handling: HandlingContext,
  ): Promise<boolean> {
    let pollMs = POLL_MIN_MS;
    // The holder's lock expires after lockTtlMs; a store that still says "in progress" well after
    // that is broken, and the delivery fails (to be retried) rather than waiting forever.
    const deadline = Date.now() + options.lockTtlMs * 2;
    for (;;) {
      const claim = await this.store.claim(key, { lockTtlMs: options.lockTtlMs });
      if (claim === 'acquired') return true;
      if (claim === 'completed' || options.whenInProgress === 'skip') return false;
      if (Date.now() > deadline) {
        throw new Error(
          `${handling.handler}: event ${handling.event.id} stayed in progress elsewhere for over ` +
            `${options.lockTtlMs * 2} ms (twice lockTtlMs); giving up this delivery so it is retried`,
        );
      }
      // Another delivery holds the lock: it completes (we skip), fails and releases (we run), or
      // dies and its lock expires (we run). Poll with growing gaps; the lock TTL bounds the wait.
      this.logger.debug(
        `${handling.handler}: event ${handling.event.id} is in progress elsewhere; waiting`,
      );
      await new Promise((resolve) => setTimeout(resolve, pollMs));
      pollMs = Math.min(POLL_MAX_MS, pollMs * 2);
    }
  }
}

function checkDurations(where: string, options: IdempotencyOptions): void {
  for (const name of ['ttlMs', 'lockTtlMs'] as const) {
    const value = options[name];
    if (value !== undefined && !(Number.isFinite(value) && value >= 1)) {
      throw new RangeError(
        `${where}: ${name} must be a number of milliseconds >= 1, got ${value}.`,
      );
    }
  }
}

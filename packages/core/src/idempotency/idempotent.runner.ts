import { Logger } from '@nestjs/common';
import type { HandlingContext } from '../context/event-context';
import { eventLogFields } from '../observability/event-log';
import { backoffDelay } from '../retry/backoff';
import type { IdempotencyStore } from './idempotency-store.interface';
import type { ResolvedIdempotencyOptions } from './resolve-idempotency-options';

// Waits for a lock held elsewhere grow from about 10 ms to at most 1 s.
const WAIT_BASE_MS = 10;
const WAIT_MAX_MS = 1000;

/**
 * Claim → run → complete, or release on failure so that the retry runs. Keys are scoped by
 * handler, so two handlers of one event never shadow each other. The one implementation: the
 * dispatcher runs it as a step for handlers marked `@Idempotent()`, and `IdempotencyInterceptor`
 * delegates to it.
 */
export class IdempotentRunner {
  private readonly logger = new Logger('Idempotency');

  constructor(private readonly store: IdempotencyStore) {}

  /** Runs `work` unless the key is done; then marks the handling context skipped instead. */
  async run<T>(
    handling: HandlingContext,
    options: ResolvedIdempotencyOptions,
    work: () => T | Promise<T>,
  ): Promise<T | undefined> {
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
        eventLogFields(handling.event, {
          handler: handling.handler,
          attempt: handling.attempt,
          reason: 'duplicate',
        }),
      );
      return undefined;
    }
    let result: T;
    try {
      result = await work();
    } catch (error) {
      await this.release(key);
      throw error;
    }
    if (handling.skipped) {
      // Acknowledged without applying it (a guard denied it): a later delivery must still run.
      await this.release(key);
      return result;
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
  }

  private release(key: string): Promise<void> {
    return this.store
      .release(key)
      .catch((error: unknown) =>
        this.logger.error(
          `Could not release idempotency key ${key}; a retry waits for its lock to expire`,
          (error as Error).stack,
        ),
      );
  }

  /** True when this delivery owns the key; false when the work is already done. */
  private async acquire(
    key: string,
    options: ResolvedIdempotencyOptions,
    handling: HandlingContext,
  ): Promise<boolean> {
    let waits = 0;
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
      // dies and its lock expires (we run). Poll with growing, jittered gaps, so that deliveries
      // waiting on one key do not all ask the store at once.
      this.logger.debug(
        `${handling.handler}: event ${handling.event.id} is in progress elsewhere; waiting`,
      );
      const delayMs = backoffDelay(++waits, WAIT_BASE_MS, WAIT_MAX_MS);
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}

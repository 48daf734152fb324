import { Logger } from '@nestjs/common';
import type { HandlingContext } from '../context/event-context';
import { describeError } from '../errors/describe-error';
import { IdempotencyConflictError, IdempotencyLockLostError } from '../errors/idempotency.errors';
import { eventLogFields } from '../observability/event-log';
import { backoffDelay } from '../retry/backoff';
import { boundedStoreCall } from './bounded-store-call';
import { displayKey, idempotencyStoreKey, payloadFingerprint } from './idempotency-key';
import type { ClaimResult, IdempotencyStore } from './idempotency-store.interface';
import type { ResolvedIdempotencyOptions } from './resolve-idempotency-options';

// Waits for a lock held elsewhere grow from about 10 ms to at most 1 s.
const WAIT_BASE_MS = 10;
const WAIT_MAX_MS = 1000;
// Renewals per lock period: two may fail (a slow or briefly unreachable store) before it expires.
const RENEWALS_PER_LOCK = 3;

/** One claim being worked under: its key, its token, and how its renewals went. */
interface Held {
  readonly key: string;
  readonly token: string;
  /** Why the lock is no longer ours, once renewal says so. */
  lost?: string;
}

/**
 * Claim → run → complete, or release on failure so that the retry runs. Keys are scoped by
 * handler, so two handlers of one event never shadow each other, and hashed, so the store's keys
 * are bounded whatever the event. While the work runs its lock is renewed; a holder that loses it
 * records nothing. The one implementation: the dispatcher runs it as a step for handlers marked
 * `@Idempotent()`, and `IdempotencyInterceptor` delegates to it.
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
    const key = idempotencyStoreKey(handling.handler, eventKey);
    // A custom key groups events on purpose ("one effect per order"), whose data may differ in
    // what the key leaves out: only the default key, the event id, compares the whole payload.
    const select = options.fingerprint ?? (options.key ? false : undefined);
    const fingerprint =
      select === false
        ? undefined
        : payloadFingerprint(select ? select(handling.event) : handling.event.data);
    const token = await this.acquire(key, fingerprint, options, handling);
    if (token === undefined) {
      handling.skipped = 'duplicate';
      this.logger.log(
        `${handling.handler} skipped duplicate event ${handling.event.id} (${handling.event.type}, key ${displayKey(eventKey)})`,
        eventLogFields(handling.event, {
          handler: handling.handler,
          attempt: handling.attempt,
          reason: 'duplicate',
        }),
      );
      return undefined;
    }
    const held: Held = { key, token };
    const stopRenewing = this.keepAlive(held, options, handling);
    handling.abandon = () => {
      // The delivery gave this run up (timeout) and will be retried: let the retry claim the key.
      held.lost ??= 'the run outlived its handler timeout and its lock was released';
      stopRenewing();
      void this.release(held, options);
    };
    let result: T;
    try {
      result = await work();
    } catch (error) {
      stopRenewing();
      await this.release(held, options);
      throw error;
    } finally {
      stopRenewing();
    }
    if (held.lost) throw this.lockLost(held, handling, held.lost);
    if (handling.skipped) {
      // Acknowledged without applying it (a guard denied it): a later delivery must still run.
      await this.release(held, options);
      return result;
    }
    let completed: boolean;
    try {
      completed = await this.call(options, 'complete', () =>
        this.store.complete(key, token, { ttlMs: options.ttlMs }),
      );
    } catch (error) {
      // The handler's effect has happened: failing the delivery now would run it again. The
      // claim stays in progress until its lock expires, which still stops near duplicates.
      this.logger.error(
        `${handling.handler}: could not mark event ${handling.event.id} as done (store key ${key}); ` +
          'a redelivery after the lock expires would run the handler again',
        (error as Error).stack,
      );
      return result;
    }
    if (!completed) throw this.lockLost(held, handling, 'complete was refused (token mismatch)');
    return result;
  }

  /**
   * Renews the lock every `lockTtlMs / 3` until the returned function is called. A refused renewal
   * (another token holds the key) loses the lock at once; failing calls lose it once the last
   * confirmed expiry has passed, as the store would then let another delivery claim it.
   */
  private keepAlive(
    held: Held,
    options: ResolvedIdempotencyOptions,
    handling: HandlingContext,
  ): () => void {
    let expiresAt = Date.now() + options.lockTtlMs;
    let renewing = false;
    let stopped = false;
    const renew = async () => {
      if (renewing || held.lost) return;
      renewing = true;
      const startedAt = Date.now();
      try {
        const extended = await this.call(options, 'extend', () =>
          this.store.extend(held.key, held.token, { lockTtlMs: options.lockTtlMs }),
        );
        if (extended) expiresAt = startedAt + options.lockTtlMs;
        else held.lost = 'the store refused to renew it (token mismatch: the lock had expired)';
      } catch (error) {
        if (Date.now() >= expiresAt) {
          held.lost = `renewals failed until it expired (${describeError(error)})`;
        } else {
          this.logger.warn(
            `${handling.handler}: could not renew the idempotency lock of event ${handling.event.id}; ` +
              `retrying before it expires (${describeError(error)})`,
          );
        }
      } finally {
        renewing = false;
      }
      if (held.lost && !stopped) {
        clearInterval(timer);
        this.logger.error(
          `${handling.handler}: lost the idempotency lock on event ${handling.event.id} while ` +
            `the handler runs: ${held.lost}; its outcome will not be recorded`,
          undefined,
        );
      }
    };
    const timer = setInterval(
      () => void renew(),
      Math.max(1, Math.floor(options.lockTtlMs / RENEWALS_PER_LOCK)),
    );
    // The work keeps the process alive while it runs; the renewals must not outlive it.
    timer.unref();
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }

  private lockLost(held: Held, handling: HandlingContext, reason: string): Error {
    const error = new IdempotencyLockLostError(
      handling.handler,
      held.key,
      handling.event.id,
      reason,
    );
    this.logger.error(error.message, undefined);
    return error;
  }

  private async release(held: Held, options: ResolvedIdempotencyOptions): Promise<void> {
    try {
      await this.call(options, 'release', () => this.store.release(held.key, held.token));
    } catch (error) {
      this.logger.error(
        `Could not release idempotency store key ${held.key}; a retry waits for its lock to expire`,
        (error as Error).stack,
      );
    }
  }

  /** The token when this delivery owns the key; undefined when the work is already done. */
  private async acquire(
    key: string,
    fingerprint: string | undefined,
    options: ResolvedIdempotencyOptions,
    handling: HandlingContext,
  ): Promise<string | undefined> {
    let waits = 0;
    // A holder renews its lock while it works, so a long handler keeps the key for longer than
    // lockTtlMs; waiting for it is bounded all the same, and the delivery is retried after.
    const deadline = Date.now() + options.lockTtlMs * 2;
    for (;;) {
      const claim: ClaimResult = await this.call(options, 'claim', () =>
        this.store.claim(key, { lockTtlMs: options.lockTtlMs, fingerprint }),
      );
      if (claim.status === 'acquired') return claim.token;
      if (
        fingerprint !== undefined &&
        claim.fingerprint !== undefined &&
        claim.fingerprint !== fingerprint
      ) {
        const error = new IdempotencyConflictError(handling.handler, key, handling.event.id);
        this.logger.error(error.message, undefined);
        throw error;
      }
      if (claim.status === 'completed' || options.whenInProgress === 'skip') return undefined;
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

  /** One store call, bounded by `operationTimeoutMs`. */
  private call<T>(
    options: ResolvedIdempotencyOptions,
    operation: string,
    send: () => Promise<T>,
  ): Promise<T> {
    return boundedStoreCall(operation, options.operationTimeoutMs, send);
  }
}

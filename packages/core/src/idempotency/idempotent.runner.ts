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
import { isThenable, type MaybePromise } from '../utils/thenable';

// Waits for a lock held elsewhere grow from about 10 ms to at most 1 s.
const WAIT_BASE_MS = 10;
const WAIT_MAX_MS = 1000;
// Renewals per lock period: two may fail (a slow or briefly unreachable store) before it expires.
const RENEWALS_PER_LOCK = 3;

/** One claim being worked under: its key, its token, and how its renewals went. */
class HeldLock {
  /** Why the lock is no longer ours, once renewal says so. */
  lost: string | undefined = undefined;
  /** `Date.now()` by which the store lets the lock go, as far as confirmed renewals tell. */
  expiresAt: number;
  /** `Date.now()` of the claim or of the last renewal sent. */
  renewedAt: number;
  renewing = false;
  /** Neighbours in its `LockRenewals` list, the least recently renewed first. */
  previous: HeldLock | undefined = undefined;
  next: HeldLock | undefined = undefined;
  held = false;

  constructor(
    readonly key: string,
    readonly token: string,
    readonly handling: HandlingContext,
    readonly options: ResolvedIdempotencyOptions,
    /** Who renews it: the runner's renewals for its `lockTtlMs`. */
    readonly renewals: LockRenewals,
  ) {
    this.renewedAt = Date.now();
    this.expiresAt = this.renewedAt + options.lockTtlMs;
  }
}

/**
 * The locks held with one `lockTtlMs`, renewed by one timer instead of one each: it ticks every
 * sixth of the period and renews the locks last renewed a third of it ago or more (so each lock is
 * renewed every third to half of its period, and two renewals may fail before it expires). Most
 * handlers finish long before their first renewal, and then cost no timer at all.
 */
class LockRenewals {
  private first: HeldLock | undefined;
  private last: HeldLock | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly lockTtlMs: number,
    private readonly renew: (lock: HeldLock) => void,
  ) {}

  hold(lock: HeldLock): void {
    this.append(lock);
    if (!this.timer) {
      const tick = Math.max(1, Math.floor(this.lockTtlMs / (2 * RENEWALS_PER_LOCK)));
      this.timer = setInterval(() => this.renewDue(), tick);
      // The work keeps the process alive while it runs; the renewals must not outlive it.
      this.timer.unref();
    }
  }

  /** Stops renewing `lock`; the last one dropped stops the timer. */
  drop(lock: HeldLock): void {
    if (!lock.held) return;
    this.unlink(lock);
    if (!this.first && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  private renewDue(): void {
    const now = Date.now();
    const due = now - this.lockTtlMs / RENEWALS_PER_LOCK;
    for (let lock = this.first; lock && lock.renewedAt <= due; lock = this.first) {
      this.unlink(lock);
      this.append(lock);
      lock.renewedAt = now;
      this.renew(lock);
    }
  }

  private append(lock: HeldLock): void {
    lock.previous = this.last;
    lock.next = undefined;
    if (this.last) this.last.next = lock;
    else this.first = lock;
    this.last = lock;
    lock.held = true;
  }

  private unlink(lock: HeldLock): void {
    const { previous, next } = lock;
    if (previous) previous.next = next;
    else this.first = next;
    if (next) next.previous = previous;
    else this.last = previous;
    lock.previous = lock.next = undefined;
    lock.held = false;
  }
}

/** What one delivery claims, and until when it may wait for another holder of the key. */
interface Claiming {
  readonly key: string;
  readonly fingerprint: string | undefined;
  readonly options: ResolvedIdempotencyOptions;
  readonly handling: HandlingContext;
  /**
   * `Date.now()` past which waiting for another holder gives up: set when the key is first found
   * held, as most claims never wait (and a clock read costs about 0.1 µs).
   */
  deadline: number | undefined;
  /** Waits so far. */
  waits: number;
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
  /** By `lockTtlMs`: a few, one per distinct option value. */
  private readonly renewals = new Map<number, LockRenewals>();

  constructor(private readonly store: IdempotencyStore) {}

  /**
   * Runs `work` unless the key is done; then marks the handling context skipped instead. With a
   * store that answers synchronously and synchronous work the answer comes at once; otherwise as
   * a promise (a failure is thrown, or rejects it, alike).
   */
  run<T>(
    handling: HandlingContext,
    options: ResolvedIdempotencyOptions,
    work: () => T | Promise<T>,
  ): T | undefined | Promise<T | undefined> {
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
    const claiming: Claiming = {
      key,
      fingerprint,
      options,
      handling,
      deadline: undefined,
      waits: 0,
    };
    const token = this.acquire(claiming);
    return isThenable(token)
      ? token.then((owned) => this.runOwned(owned, key, eventKey, options, handling, work))
      : this.runOwned(token, key, eventKey, options, handling, work);
  }

  /** Runs the work under the claim `token` (undefined: the key is done, so it is skipped). */
  private runOwned<T>(
    token: string | undefined,
    key: string,
    eventKey: string,
    options: ResolvedIdempotencyOptions,
    handling: HandlingContext,
    work: () => T | Promise<T>,
  ): T | undefined | Promise<T | undefined> {
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
    const held = new HeldLock(key, token, handling, options, this.renewalsOf(options.lockTtlMs));
    held.renewals.hold(held);
    handling.abandon = () => {
      // The delivery gave this run up (timeout) and will be retried: let the retry claim the key.
      held.lost ??= 'the run outlived its handler timeout and its lock was released';
      held.renewals.drop(held);
      void this.release(held);
    };
    let result: T | Promise<T>;
    try {
      result = work();
    } catch (error) {
      return this.failed(held, error);
    }
    return isThenable(result)
      ? Promise.resolve(result).then(
          (value) => this.finish(held, value),
          (error: unknown) => this.failed(held, error),
        )
      : this.finish(held, result);
  }

  /** The work failed: the key is released for the retry, then the failure goes on. */
  private failed(held: HeldLock, error: unknown): never | Promise<never> {
    held.renewals.drop(held);
    const released = this.release(held);
    if (released === undefined) throw error;
    return released.then(() => {
      throw error;
    });
  }

  /** The work is done: the key is completed, or released when the delivery was skipped. */
  private finish<T>(held: HeldLock, result: T): T | Promise<T> {
    held.renewals.drop(held);
    const { handling, options, key, token } = held;
    if (held.lost) throw this.lockLost(held, held.lost);
    if (handling.skipped) {
      // Acknowledged without applying it (a guard denied it): a later delivery must still run.
      const released = this.release(held);
      return released === undefined ? result : released.then(() => result);
    }
    let completed: boolean | Promise<boolean>;
    try {
      completed = this.call(options, 'complete', () =>
        this.store.complete(key, token, { ttlMs: options.ttlMs }),
      );
    } catch (error) {
      return this.notCompleted(held, error, result);
    }
    return isThenable(completed)
      ? completed.then(
          (done) => this.completed(held, done, result),
          (error: unknown) => this.notCompleted(held, error, result),
        )
      : this.completed(held, completed, result);
  }

  private completed<T>(held: HeldLock, completed: boolean, result: T): T {
    if (!completed) throw this.lockLost(held, 'complete was refused (token mismatch)');
    return result;
  }

  /**
   * The handler's effect has happened: failing the delivery now would run it again. The claim
   * stays in progress until its lock expires, which still stops near duplicates.
   */
  private notCompleted<T>(held: HeldLock, error: unknown, result: T): T {
    const { handling, key } = held;
    this.logger.error(
      `${handling.handler}: could not mark event ${handling.event.id} as done (store key ${key}); ` +
        'a redelivery after the lock expires would run the handler again',
      (error as Error).stack,
    );
    return result;
  }

  private renewalsOf(lockTtlMs: number): LockRenewals {
    let renewals = this.renewals.get(lockTtlMs);
    if (!renewals) {
      renewals = new LockRenewals(lockTtlMs, (lock) => void this.renew(lock));
      this.renewals.set(lockTtlMs, renewals);
    }
    return renewals;
  }

  /**
   * Renews one lock. A refused renewal (another token holds the key) loses the lock at once;
   * failing calls lose it once the last confirmed expiry has passed, as the store would then let
   * another delivery claim it.
   */
  private async renew(lock: HeldLock): Promise<void> {
    if (lock.renewing || lock.lost) return;
    lock.renewing = true;
    const { key, token, handling, options } = lock;
    const startedAt = Date.now();
    try {
      const extended = await this.call(options, 'extend', () =>
        this.store.extend(key, token, { lockTtlMs: options.lockTtlMs }),
      );
      if (extended) lock.expiresAt = startedAt + options.lockTtlMs;
      else lock.lost = 'the store refused to renew it (token mismatch: the lock had expired)';
    } catch (error) {
      if (Date.now() >= lock.expiresAt) {
        lock.lost = `renewals failed until it expired (${describeError(error)})`;
      } else {
        this.logger.warn(
          `${handling.handler}: could not renew the idempotency lock of event ${handling.event.id}; ` +
            `retrying before it expires (${describeError(error)})`,
        );
      }
    } finally {
      lock.renewing = false;
    }
    if (lock.lost && lock.held) {
      lock.renewals.drop(lock);
      this.logger.error(
        `${handling.handler}: lost the idempotency lock on event ${handling.event.id} while ` +
          `the handler runs: ${lock.lost}; its outcome will not be recorded`,
        undefined,
      );
    }
  }

  private lockLost(held: HeldLock, reason: string): Error {
    const { handling } = held;
    const error = new IdempotencyLockLostError(
      handling.handler,
      held.key,
      handling.event.id,
      reason,
    );
    this.logger.error(error.message, undefined);
    return error;
  }

  /** Releases the key; undefined when the store answered at once. Never fails: it logs. */
  private release(held: HeldLock): Promise<void> | undefined {
    let released: boolean | Promise<boolean>;
    try {
      released = this.call(held.options, 'release', () => this.store.release(held.key, held.token));
    } catch (error) {
      this.releaseFailed(held, error);
      return undefined;
    }
    if (!isThenable(released)) return undefined;
    return released.then(
      () => undefined,
      (error: unknown) => this.releaseFailed(held, error),
    );
  }

  private releaseFailed(held: HeldLock, error: unknown): void {
    this.logger.error(
      `Could not release idempotency store key ${held.key}; a retry waits for its lock to expire`,
      (error as Error).stack,
    );
  }

  /**
   * The token when this delivery owns the key; undefined when the work is already done. A store
   * that answers at once gives the answer at once, unless another delivery holds the key: then
   * it waits. A holder renews its lock while it works, so a long handler keeps the key for longer
   * than lockTtlMs; waiting for it is bounded all the same (`deadline`), and the delivery is
   * retried after.
   */
  private acquire(claiming: Claiming): string | undefined | Promise<string | undefined> {
    const { key, fingerprint, options } = claiming;
    const claim = this.call(options, 'claim', () =>
      this.store.claim(key, { lockTtlMs: options.lockTtlMs, fingerprint }),
    );
    return isThenable(claim)
      ? claim.then((answer) => this.claimed(answer, claiming))
      : this.claimed(claim, claiming);
  }

  private claimed(
    claim: ClaimResult,
    claiming: Claiming,
  ): string | undefined | Promise<string | undefined> {
    const { key, fingerprint, options, handling } = claiming;
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
    const now = Date.now();
    claiming.deadline ??= now + options.lockTtlMs * 2;
    if (now > claiming.deadline) {
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
    const delayMs = backoffDelay(++claiming.waits, WAIT_BASE_MS, WAIT_MAX_MS);
    return new Promise((resolve) => setTimeout(resolve, delayMs)).then(() =>
      this.acquire(claiming),
    );
  }

  /** One store call, bounded by `operationTimeoutMs` when the store answers later. */
  private call<T>(
    options: ResolvedIdempotencyOptions,
    operation: string,
    send: () => MaybePromise<T>,
  ): T | Promise<T> {
    return boundedStoreCall(operation, options.operationTimeoutMs, send);
  }
}

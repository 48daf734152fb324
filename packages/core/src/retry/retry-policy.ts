import { backoffDelay } from './backoff';
import { NonRetryableError } from '../errors/non-retryable.error';

type ErrorClass = abstract new (...args: any[]) => Error;

/** How a handler's failures are retried. Global in the module options, overridable per handler. */
export interface RetryOptions {
  /** Deliveries in all, the first one included; 1 means no retry. @default 3 */
  maxAttempts?: number;
  /** Base of the exponential backoff, in milliseconds. @default 100 */
  baseDelayMs?: number;
  /** Upper bound of one backoff delay, in milliseconds. @default 5000 */
  maxDelayMs?: number;
  /**
   * Errors that go to the dead-letter destination at once: classes (matched with `instanceof`) or a
   * predicate. `NonRetryableError` and its subclasses never retry, whatever is set here.
   * @default []
   */
  nonRetryable?: readonly ErrorClass[] | ((error: unknown) => boolean);
}

export type RetryDecision =
  | { readonly retry: true; readonly delayMs: number }
  | { readonly retry: false; readonly reason: 'non-retryable' | 'max-attempts' };

export const DEFAULT_RETRY_OPTIONS = {
  maxAttempts: 3,
  baseDelayMs: 100,
  maxDelayMs: 5000,
} as const;

/**
 * Exponential backoff with full jitter: after the n-th failed attempt the next one waits a random
 * time in [0, min(maxDelayMs, baseDelayMs · 2^(n-1))]. Full jitter spreads the retries of many
 * consumers that failed together, so they do not come back in lockstep.
 */
export class RetryPolicy {
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  private readonly isNonRetryable: (error: unknown) => boolean;

  constructor(options: RetryOptions = {}, random: () => number = Math.random) {
    this.maxAttempts = options.maxAttempts ?? DEFAULT_RETRY_OPTIONS.maxAttempts;
    this.baseDelayMs = options.baseDelayMs ?? DEFAULT_RETRY_OPTIONS.baseDelayMs;
    this.maxDelayMs = options.maxDelayMs ?? DEFAULT_RETRY_OPTIONS.maxDelayMs;
    RetryPolicy.check(this);
    const extra = options.nonRetryable ?? [];
    const matchesExtra =
      typeof extra === 'function'
        ? extra
        : (error: unknown) => extra.some((errorClass) => error instanceof errorClass);
    this.isNonRetryable = (error) => error instanceof NonRetryableError || matchesExtra(error);
    this.random = random;
  }

  private readonly random: () => number;

  /** Merges per-handler options over the global ones. */
  static merge(base: RetryOptions = {}, override: RetryOptions = {}): RetryOptions {
    return { ...base, ...override };
  }

  /** What to do after delivery number `attempt` (1-based) failed with `error`. */
  decide(error: unknown, attempt: number): RetryDecision {
    if (this.isNonRetryable(error)) return { retry: false, reason: 'non-retryable' };
    if (attempt >= this.maxAttempts) return { retry: false, reason: 'max-attempts' };
    return { retry: true, delayMs: this.delayAfter(attempt) };
  }

  /** Backoff before the attempt that follows failed attempt number `attempt`. */
  delayAfter(attempt: number): number {
    return backoffDelay(attempt, this.baseDelayMs, this.maxDelayMs, this.random);
  }

  private static check(policy: RetryPolicy): void {
    const problems: string[] = [];
    if (!Number.isSafeInteger(policy.maxAttempts) || policy.maxAttempts < 1) {
      problems.push(`maxAttempts must be an integer >= 1 (got ${policy.maxAttempts})`);
    }
    if (!(policy.baseDelayMs >= 0))
      problems.push(`baseDelayMs must be >= 0 (got ${policy.baseDelayMs})`);
    if (!(policy.maxDelayMs >= policy.baseDelayMs)) {
      problems.push(`maxDelayMs must be >= baseDelayMs (got ${policy.maxDelayMs})`);
    }
    if (problems.length) throw new RangeError(`Invalid retry options: ${problems.join('; ')}.`);
  }
}

/** Result of trying to claim a key. */
export type ClaimResult =
  /** The caller owns the key until it completes or releases it, or until the lock expires. */
  | 'acquired'
  /** The key was completed before: the work is done, skip it. */
  | 'completed'
  /** Another worker holds an unexpired lock on the key. */
  | 'in-progress';

/**
 * Remembers which events a handler has applied. Implementations must make `claim` atomic across
 * every consumer that shares the store (a conditional write, `SET NX`, …).
 */
export interface IdempotencyStore {
  /** Claims `key` with an in-progress lock that expires after `lockTtlMs`. */
  claim(key: string, options: { lockTtlMs: number }): Promise<ClaimResult>;
  /** Marks `key` as done; duplicates are recognised for `ttlMs`. */
  complete(key: string, options: { ttlMs: number }): Promise<void>;
  /** Drops the claim on `key` after a failure, so a retry can run the handler again. */
  release(key: string): Promise<void>;
}

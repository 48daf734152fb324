import type { MaybePromise } from '../utils/thenable';

/** Result of trying to claim a key. */
export type ClaimResult =
  /**
   * The caller owns the key until it completes or releases it, or until the lock expires; `token`
   * proves ownership to `complete`, `release` and `extend`.
   */
  | { readonly status: 'acquired'; readonly token: string }
  /** The key was completed before: the work is done, skip it. */
  | { readonly status: 'completed'; readonly fingerprint?: string }
  /** Another worker holds an unexpired lock on the key. */
  | { readonly status: 'in-progress'; readonly fingerprint?: string };

export interface ClaimOptions {
  /** How long the lock holds unless extended. */
  readonly lockTtlMs: number;
  /**
   * Identifies the payload the key was claimed for; stored with the key and returned to later
   * claims (`completed`, `in-progress`), which compare it with their own.
   */
  readonly fingerprint?: string;
}

/**
 * Remembers which events a handler has applied. Implementations must make `claim` atomic across
 * every consumer that shares the store (a conditional write, `SET NX`, …), and make `complete`,
 * `release` and `extend` act only for the holder of the token that `claim` returned (a
 * compare-and-set in one step), so that a holder whose lock expired cannot touch the claim of the
 * delivery that took over. Keys come from the runner already hashed: short, printable, bounded.
 *
 * Each method may answer synchronously, as a store in the process's memory can: the runner then
 * goes on at once, with no promise and no timeout to arm. Stores over a network return promises,
 * which the runner bounds by `operationTimeoutMs`.
 */
export interface IdempotencyStore {
  /**
   * Claims `key` with an in-progress lock that expires after `lockTtlMs`, under a new random token,
   * unless the key is completed or locked (an expired lock counts as free).
   */
  claim(key: string, options: ClaimOptions): MaybePromise<ClaimResult>;
  /**
   * Marks `key` as done for `ttlMs` (keeping its fingerprint) if `token` holds its unexpired lock;
   * `true` then, and also when the same token completed it already (a repeated call). `false`
   * when the lock is gone or belongs to another token: nothing was written.
   */
  complete(key: string, token: string, options: { ttlMs: number }): MaybePromise<boolean>;
  /**
   * Drops the lock on `key` after a failure, so a retry can run the handler again, if `token`
   * holds it; `false` (nothing done) when the key is completed, gone or held by another token.
   */
  release(key: string, token: string): MaybePromise<boolean>;
  /**
   * Renews the lock on `key` to expire `lockTtlMs` from now, if `token` holds it and it has not
   * expired; `false` (nothing done) otherwise: the caller has lost the lock.
   */
  extend(key: string, token: string, options: { lockTtlMs: number }): MaybePromise<boolean>;
}

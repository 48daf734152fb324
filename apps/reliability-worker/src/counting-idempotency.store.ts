import type { ClaimOptions, ClaimResult, IdempotencyStore } from '@nestjs-events/core';
import type { RedisIdempotencyStore } from '@nestjs-events/idempotency-redis';
import type { RunLedger } from './run.ledger';

/**
 * The Redis store, with every claim's outcome counted in the run's ledger (an `in-progress`
 * answer is the proof that two deliveries of one event really overlapped), and every renewal.
 * It remembers the token of each claim it holds, for the handler's atomic mode: the side effect
 * is written only while that token still holds the key.
 */
export class CountingIdempotencyStore implements IdempotencyStore {
  private readonly tokens = new Map<string, string>();

  constructor(
    private readonly store: RedisIdempotencyStore,
    private readonly ledger: RunLedger,
  ) {}

  async claim(key: string, options: ClaimOptions): Promise<ClaimResult> {
    const outcome = await this.store.claim(key, options);
    if (outcome.status === 'acquired') this.tokens.set(key, outcome.token);
    await this.ledger.recordClaim(outcome.status);
    return outcome;
  }

  /** The token this process holds `key` under, while it holds it. */
  tokenOf(key: string): string | undefined {
    return this.tokens.get(key);
  }

  complete(key: string, token: string, options: { ttlMs: number }): Promise<boolean> {
    this.forget(key, token);
    return this.store.complete(key, token, options);
  }

  release(key: string, token: string): Promise<boolean> {
    this.forget(key, token);
    return this.store.release(key, token);
  }

  async extend(key: string, token: string, options: { lockTtlMs: number }): Promise<boolean> {
    const extended = await this.store.extend(key, token, options);
    await this.ledger.recordClaim(extended ? 'extended' : 'extend-refused');
    return extended;
  }

  /** Nest calls this after the transports have drained (the store is a provider of EventsModule). */
  onApplicationShutdown(): Promise<void> {
    return this.store.close();
  }

  private forget(key: string, token: string): void {
    if (this.tokens.get(key) === token) this.tokens.delete(key);
  }
}

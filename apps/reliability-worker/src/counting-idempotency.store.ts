import type { ClaimResult, IdempotencyStore } from '@nestjs-events/core';
import type { RedisIdempotencyStore } from '@nestjs-events/idempotency-redis';
import type { RunLedger } from './run.ledger';

/**
 * The Redis store, with every claim's outcome counted in the run's ledger: an `in-progress`
 * answer is the proof that two deliveries of one event really overlapped.
 */
export class CountingIdempotencyStore implements IdempotencyStore {
  constructor(
    private readonly store: RedisIdempotencyStore,
    private readonly ledger: RunLedger,
  ) {}

  async claim(key: string, options: { lockTtlMs: number }): Promise<ClaimResult> {
    const outcome = await this.store.claim(key, options);
    await this.ledger.recordClaim(outcome);
    return outcome;
  }

  complete(key: string, options: { ttlMs: number }): Promise<void> {
    return this.store.complete(key, options);
  }

  release(key: string): Promise<void> {
    return this.store.release(key);
  }

  /** Nest calls this after the transports have drained (the store is a provider of EventsModule). */
  onApplicationShutdown(): Promise<void> {
    return this.store.close();
  }
}

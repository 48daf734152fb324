import { setTimeout as delay } from 'node:timers/promises';
import { Inject, Injectable } from '@nestjs/common';
import {
  currentHandlingContext,
  EventHandler,
  Idempotent,
  idempotencyStoreKey,
  IdempotencyLockLostError,
  type EventOf,
} from '@nestjs-events/core';
import { CountingIdempotencyStore } from './counting-idempotency.store';
import { failsFirstAttempt, InjectedFailure, picks } from './fault.plan';
import { ProbeEvent } from './probe.events';
import { RunLedger } from './run.ledger';
import { WORKER_CONFIG } from './worker.constants';
import type { WorkerConfig } from './worker.config';

/**
 * The side effect under test: counts each application of an event in Redis. It runs inside the
 * idempotency claim, so a redelivered event is skipped before it gets here.
 *
 * In `atomic` mode the count and the idempotency record are written by one Redis script, which
 * leaves no moment where the effect is done but not yet recorded as done. In `separate` mode the
 * count is written first and the idempotency interceptor completes the key afterwards, as it
 * must for any effect outside Redis (an HTTP call, an e-mail): a crash between the two is the
 * one window idempotency cannot close, and the ledger lets the orchestrator see it happen.
 * The atomic write also checks that this delivery still holds the key's lock (its token), as a
 * fenced write would: a handler that outlived its lock writes nothing and fails, to be retried.
 */
@Injectable()
export class ProbeHandler {
  constructor(
    private readonly ledger: RunLedger,
    private readonly store: CountingIdempotencyStore,
    @Inject(WORKER_CONFIG) private readonly config: WorkerConfig,
  ) {}

  @Idempotent()
  @EventHandler(ProbeEvent)
  async apply(event: EventOf<typeof ProbeEvent>): Promise<void> {
    const handling = currentHandlingContext()!;
    if (this.config.handlerDelayMs > 0) await delay(this.config.handlerDelayMs);
    if (handling.attempt === 1 && picks('hang', event.id, this.config.hangFraction)) {
      await this.ledger.recordHang(event.id);
      // Never settles: only the handler timeout ends this attempt.
      await new Promise<never>(() => undefined);
    }
    if (handling.attempt === 1 && failsFirstAttempt(event.id, this.config.failFraction)) {
      await this.ledger.recordInjectedFailure(event.id);
      throw new InjectedFailure(event.id);
    }
    if (this.config.effect === 'separate') {
      await this.ledger.apply(event.id);
      return;
    }
    // The key RedisIdempotencyStore is given: <keyPrefix><idempotencyStoreKey(handler, key)>.
    const storeKey = idempotencyStoreKey(handling.handler, event.id);
    const token = this.store.tokenOf(storeKey) ?? '';
    const applied = await this.ledger.apply(event.id, {
      key: `${this.ledger.keys.idempotencyPrefix}${storeKey}`,
      token,
      ttlMs: this.config.idempotencyTtlMs,
    });
    if (applied < 0) {
      throw new IdempotencyLockLostError(
        handling.handler,
        storeKey,
        event.id,
        'the key no longer holds this delivery’s token when the effect was to be written',
      );
    }
  }
}

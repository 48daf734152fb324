import { setTimeout as delay } from 'node:timers/promises';
import { Inject, Injectable } from '@nestjs/common';
import {
  currentHandlingContext,
  EventHandler,
  Idempotent,
  type EventOf,
} from '@nestjs-events/core';
import { failsFirstAttempt, InjectedFailure } from './fault.plan';
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
 */
@Injectable()
export class ProbeHandler {
  constructor(
    private readonly ledger: RunLedger,
    @Inject(WORKER_CONFIG) private readonly config: WorkerConfig,
  ) {}

  @Idempotent()
  @EventHandler(ProbeEvent)
  async apply(event: EventOf<typeof ProbeEvent>): Promise<void> {
    const handling = currentHandlingContext()!;
    if (this.config.handlerDelayMs > 0) await delay(this.config.handlerDelayMs);
    if (handling.attempt === 1 && failsFirstAttempt(event.id, this.config.failFraction)) {
      await this.ledger.recordInjectedFailure(event.id);
      throw new InjectedFailure(event.id);
    }
    await this.ledger.apply(
      event.id,
      this.config.effect === 'atomic'
        ? {
            // RedisIdempotencyStore's documented key: <keyPrefix><Handler.method>:<event key>.
            key: `${this.ledger.keys.idempotencyPrefix}${handling.handler}:${event.id}`,
            ttlMs: this.config.idempotencyTtlMs,
          }
        : undefined,
    );
  }
}

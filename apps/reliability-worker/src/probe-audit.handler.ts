import { Inject, Injectable } from '@nestjs/common';
import { EventHandler, NonRetryableError, type EventOf } from '@nestjs-events/core';
import { picks } from './fault.plan';
import { ProbeEvent } from './probe.events';
import { RunLedger } from './run.ledger';
import { WORKER_CONFIG } from './worker.constants';
import type { WorkerConfig } from './worker.config';

/** What the second handler throws for the events it gives up on. */
export class AuditRefused extends NonRetryableError {
  override name = 'AuditRefused';

  constructor(eventId: string) {
    super(`the audit gives up on event ${eventId}`);
  }
}

/**
 * A second handler of the probe event on the same queue (SECOND_HANDLER). Not idempotent: every
 * run is counted, so the orchestrator sees whether a redelivery that the probe handler asked for
 * ran this one again. It gives up at once (a dead letter of its own) on a hashed fraction of ids.
 */
@Injectable()
export class ProbeAuditHandler {
  constructor(
    private readonly ledger: RunLedger,
    @Inject(WORKER_CONFIG) private readonly config: WorkerConfig,
  ) {}

  @EventHandler(ProbeEvent)
  async audit(event: EventOf<typeof ProbeEvent>): Promise<void> {
    await this.ledger.recordSecondRun(event.id);
    if (picks('give-up', event.id, this.config.giveUpFraction)) throw new AuditRefused(event.id);
  }
}

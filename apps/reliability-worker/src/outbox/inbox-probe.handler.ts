import { setTimeout as delay } from 'node:timers/promises';
import { Inject, Injectable } from '@nestjs/common';
import { EventHandler, type EventOf } from '@nestjs-events/core';
import { Inbox } from '@nestjs-events/outbox';
import { PostgresOutboxStore } from '@nestjs-events/outbox/postgres';
import { ProbeEvent } from '../probe.events';
import { OUTBOX_WORKER_CONFIG, type OutboxWorkerConfig } from './outbox-worker.config';

/**
 * The side effect under test is a row in PostgreSQL, written in the inbox transaction: one row
 * per application, with no unique key of its own, so an event applied twice shows as two rows.
 * The delay comes after the write, so that a SIGKILL finds handlers between their writes and
 * their commit, and others between their commit and the broker's delete.
 */
@Injectable()
export class InboxProbeHandler {
  constructor(
    @Inject(OUTBOX_WORKER_CONFIG) private readonly config: OutboxWorkerConfig,
    @Inject(PostgresOutboxStore) private readonly store: PostgresOutboxStore,
  ) {}

  @Inbox({ store: PostgresOutboxStore, name: 'InboxProbeHandler.apply' })
  @EventHandler(ProbeEvent)
  async apply(event: EventOf<typeof ProbeEvent>): Promise<void> {
    await this.store
      .current()
      .query(`INSERT INTO "${this.config.entityTable}" (event_id, worker) VALUES ($1, $2)`, [
        event.id,
        this.config.worker,
      ]);
    if (this.config.handlerDelayMs > 0) await delay(this.config.handlerDelayMs);
  }
}

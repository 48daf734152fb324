import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { Inject, Injectable } from '@nestjs/common';
import { EventHandler, type EventOf } from '@nestjs-events/core';
import { Inbox } from '@nestjs-events/outbox';
import { DynamoDbOutboxStore } from '@nestjs-events/outbox/dynamodb';
import { PostgresOutboxStore } from '@nestjs-events/outbox/postgres';
import { ProbeEvent } from '../probe.events';
import { OUTBOX_WORKER_CONFIG, type OutboxWorkerConfig } from './outbox-worker.config';

/**
 * The side effect under test is a row in PostgreSQL (an item in DynamoDB), written in the inbox
 * transaction: one per application, under a key of its own, so an event applied twice shows twice.
 * The delay comes after the write, so that a SIGKILL finds handlers between their writes and
 * their commit, and others between their commit and the broker's delete.
 */
@Injectable()
export class InboxProbeHandler {
  constructor(
    @Inject(OUTBOX_WORKER_CONFIG) private readonly config: OutboxWorkerConfig,
    @Inject(PostgresOutboxStore) private readonly postgres: PostgresOutboxStore,
    @Inject(DynamoDbOutboxStore) private readonly dynamo: DynamoDbOutboxStore,
  ) {}

  @Inbox({ store: PostgresOutboxStore, name: 'InboxProbeHandler.apply' })
  @EventHandler(ProbeEvent)
  async apply(event: EventOf<typeof ProbeEvent>): Promise<void> {
    if (this.config.store === 'dynamodb') {
      this.dynamo.current().add({
        Put: {
          TableName: this.config.entityTable,
          Item: {
            id: { S: `${event.id}#${randomUUID()}` },
            eventId: { S: event.id },
            worker: { S: this.config.worker },
          },
        },
      });
    } else {
      await this.postgres
        .current()
        .query(`INSERT INTO "${this.config.entityTable}" (event_id, worker) VALUES ($1, $2)`, [
          event.id,
          this.config.worker,
        ]);
    }
    if (this.config.handlerDelayMs > 0) await delay(this.config.handlerDelayMs);
  }
}

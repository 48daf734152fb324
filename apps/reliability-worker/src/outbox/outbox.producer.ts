import { createHash } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { EventBus } from '@nestjs-events/core';
import { describeError } from '@nestjs-events/core/transport';
import { DynamoDbOutboxStore } from '@nestjs-events/outbox/dynamodb';
import { PostgresOutboxStore } from '@nestjs-events/outbox/postgres';
import { ProbeEvent } from '../probe.events';
import { OUTBOX_WORKER_CONFIG, type OutboxWorkerConfig } from './outbox-worker.config';

/** Whether the transaction of event `seq` of `run` rolls back (a hash below `fraction`). */
export function rollsBack(run: string, seq: number, fraction: number): boolean {
  if (fraction <= 0) return false;
  const hash = createHash('sha256').update(`rollback:${run}:${seq}`).digest();
  return hash.readUInt32BE(0) / 0x1_0000_0000 < fraction;
}

class IntendedRollback extends Error {
  override name = 'IntendedRollback';
}

/**
 * Commits one entity per sequence number and publishes its probe event in the same
 * transaction: the row in `<entity table>` (PostgreSQL) or the item (DynamoDB) is what the
 * scenario counts as committed. Aggregates run in parallel, each one's transactions in order.
 */
@Injectable()
export class OutboxProducer {
  private readonly logger = new Logger(OutboxProducer.name);

  constructor(
    @Inject(OUTBOX_WORKER_CONFIG) private readonly config: OutboxWorkerConfig,
    private readonly bus: EventBus,
    @Inject(PostgresOutboxStore) private readonly postgres: PostgresOutboxStore,
    @Inject(DynamoDbOutboxStore) private readonly dynamo: DynamoDbOutboxStore,
  ) {}

  /**
   * Runs every transaction once. One that fails for another reason than the intended rollback (the
   * database refused it) is counted and logged, as a service would answer an error: the entity
   * table stays the truth of what committed.
   */
  async produce(): Promise<{ committed: number; rolledBack: number; failed: number }> {
    const { from, produce, aggregates } = this.config;
    let committed = 0;
    let rolledBack = 0;
    let failed = 0;
    await Promise.all(
      Array.from({ length: aggregates }, async (_, lane) => {
        for (let seq = from + lane; seq < from + produce; seq += aggregates) {
          try {
            if (this.config.produceDelayMs > 0) await delay(this.config.produceDelayMs);
            await this.commit(seq, `agg-${seq % aggregates}`);
            committed++;
          } catch (error) {
            if (error instanceof IntendedRollback) {
              rolledBack++;
            } else {
              failed++;
              this.logger.warn(`transaction of seq ${seq} failed: ${describeError(error)}`);
            }
          }
        }
      }),
    );
    return { committed, rolledBack, failed };
  }

  private async commit(seq: number, aggregateId: string): Promise<void> {
    const event = ProbeEvent.create({ run: this.config.run, seq }, { aggregateId });
    const rollback = rollsBack(this.config.run, seq, this.config.rollbackFraction);
    if (this.config.store === 'postgres') {
      await this.postgres.transaction(async (client) => {
        await client.query(
          `INSERT INTO "${this.config.entityTable}" (seq, event_id, aggregate) VALUES ($1, $2, $3)`,
          [seq, event.id, aggregateId],
        );
        await this.bus.publish(event);
        if (rollback) throw new IntendedRollback(`seq ${seq}`);
      });
      return;
    }
    await this.dynamo.transaction(async (tx) => {
      tx.add({
        Put: {
          TableName: this.config.entityTable,
          Item: {
            id: { S: event.id },
            seq: { N: String(seq) },
            aggregate: { S: aggregateId },
          },
        },
      });
      await this.bus.publish(event);
      if (rollback) throw new IntendedRollback(`seq ${seq}`);
    });
  }
}

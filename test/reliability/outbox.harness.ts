import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CreateTableCommand,
  DynamoDBClient,
  ScanCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import { Injectable, Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  currentHandlingContext,
  EventHandler,
  EventsModule,
  type EventOf,
} from '@nestjs-events/core';
import type { OutboxStore } from '@nestjs-events/outbox';
import { createOutboxTable, DynamoDbOutboxStore } from '@nestjs-events/outbox/dynamodb';
import { PostgresOutboxStore } from '@nestjs-events/outbox/postgres';
import { SnsSqsTransport } from '@nestjs-events/sns';
import { Pool } from 'pg';
import { ProbeEvent } from '../../apps/reliability-worker/src/probe.events';
import { endpointOf, uniqueName } from '../fixtures/aws';
import { until } from '../fixtures/until';
import { recordRow, type ScenarioRow } from './results.table';
import { startWorker, type WorkerProcess } from './worker.process';

const OUTBOX_MAIN = join(
  __dirname,
  '..',
  '..',
  'apps',
  'reliability-worker',
  'dist',
  'outbox',
  'outbox.main.js',
);

/** One arrival at the receiver, in order. */
export interface Arrival {
  readonly id: string;
  readonly seq: number;
  readonly aggregateId: string;
  /** The delivery's attempt: above 1 when SQS handed the same message out again. */
  readonly attempt: number;
}

/** What the broker delivered against what was committed. */
export interface OutboxAccounting {
  readonly committed: number;
  /** Committed events that arrived at least once. */
  readonly delivered: number;
  /** Committed events that never arrived. */
  readonly lost: number;
  /**
   * Events that reached the queue more than once (the relay, or the SNS client's retry of a call
   * whose reply was lost, sent them twice): first deliveries counted per event.
   */
  readonly twice: number;
  /** Messages SQS handed out again (a receiver's slow delete), not counted in `twice`. */
  readonly redelivered: number;
  /** Arrivals of events that were never committed (rolled back, or in flight at a kill). */
  readonly strangers: number;
  /** Aggregates whose events arrived out of their commit order (first arrivals). */
  readonly outOfOrder: string[];
}

@Injectable()
class Receiver {
  readonly arrivals: Arrival[] = [];

  @EventHandler(ProbeEvent)
  receive(event: EventOf<typeof ProbeEvent>) {
    const attempt = currentHandlingContext()?.attempt ?? 1;
    this.arrivals.push({
      id: event.id,
      seq: event.data.seq,
      aggregateId: event.aggregateId!,
      attempt,
    });
  }
}

@Module({})
class ReceiverRootModule {}

/**
 * One outbox scenario: tables of its own in PostgreSQL or DynamoDB (on moto), a receiver in the
 * test process that consumes the probe topic through SNS → SQS and keeps
 * the arrival order, and producer processes (apps/reliability-worker, outbox.main). Scenarios R20-R24.
 */
export class OutboxScenario {
  readonly run: string;
  readonly table: string;
  readonly entityTable: string;
  readonly topicPrefix: string;
  readonly store: OutboxStore;
  readonly workers: WorkerProcess[] = [];
  private readonly pool?: Pool;
  private readonly dynamo?: DynamoDBClient;
  private receiverApp?: INestApplicationContext;
  private readonly startedAt = Date.now();

  constructor(
    readonly id: string,
    readonly kind: 'postgres' | 'dynamodb',
  ) {
    this.run = uniqueName(id.toLowerCase());
    const safe = this.run.replace(/-/g, '_');
    this.table = `${safe}_outbox`;
    this.entityTable = `${safe}_entities`;
    this.topicPrefix = `${this.run}-`;
    if (kind === 'postgres') {
      this.pool = new Pool({ connectionString: process.env.POSTGRES_URL, max: 5 });
      this.store = new PostgresOutboxStore({
        pool: this.pool,
        outboxTable: this.table,
        inboxTable: `${this.table}_inbox`,
      });
    } else {
      this.dynamo = new DynamoDBClient({
        endpoint: endpointOf('moto'),
        region: process.env.AWS_REGION ?? 'us-east-1',
      });
      this.store = new DynamoDbOutboxStore({ client: this.dynamo, tableName: this.table });
    }
  }

  get seconds(): number {
    return (Date.now() - this.startedAt) / 1000;
  }

  /** Creates the outbox, inbox and entity tables. `entity` is the PostgreSQL entity table DDL. */
  async setup(
    entityColumns = 'seq integer PRIMARY KEY, event_id uuid NOT NULL, aggregate text NOT NULL',
  ): Promise<void> {
    if (this.pool) {
      await (this.store as PostgresOutboxStore).ensureSchema();
      await this.pool.query(`CREATE TABLE "${this.entityTable}" (${entityColumns})`);
      return;
    }
    await createOutboxTable(this.dynamo!, this.table);
    await this.dynamo!.send(
      new CreateTableCommand({
        TableName: this.entityTable,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      }),
    );
  }

  /** Starts the receiver: it provisions its queue and subscribes it to the probe topic. */
  async startReceiver(): Promise<void> {
    const transport = new SnsSqsTransport({
      endpoint: endpointOf('fauxqs'),
      region: process.env.AWS_REGION ?? 'us-east-1',
      provision: true,
      topics: { prefix: this.topicPrefix },
      // Handled in the order received (the handler is synchronous), ten at a time.
      queues: [{ name: `${this.run}-rq`, concurrency: 10, waitTimeSeconds: 1 }],
    });
    this.receiverApp = await NestFactory.createApplicationContext(
      {
        module: ReceiverRootModule,
        imports: [
          EventsModule.forRoot({ source: 'reliability-receiver', transports: [transport] }),
        ],
        providers: [Receiver],
      },
      { logger: ['error'] },
    );
  }

  get arrivals(): readonly Arrival[] {
    return this.receiverApp!.get(Receiver).arrivals;
  }

  /** Starts a producer process (or, with `ROLE: 'inbox'`, an inbox consumer). */
  async startProducer(name: string, env: Record<string, string> = {}): Promise<WorkerProcess> {
    const worker = await startWorker(
      name,
      {
        RUN_ID: this.run,
        OUTBOX_STORE: this.kind,
        ...(this.kind === 'postgres'
          ? { DATABASE_URL: process.env.POSTGRES_URL! }
          : { DYNAMODB_ENDPOINT: endpointOf('moto') }),
        OUTBOX_TABLE: this.table,
        ENTITY_TABLE: this.entityTable,
        EVENTS_ENDPOINT: endpointOf('fauxqs'),
        EVENTS_TOPIC_PREFIX: this.topicPrefix,
        RELAY_POLL_MS: '200',
        ...env,
      },
      30_000,
      OUTBOX_MAIN,
    );
    this.workers.push(worker);
    return worker;
  }

  /** The committed entities: event id → sequence number. */
  async committed(): Promise<Map<string, { seq: number; aggregate: string }>> {
    if (this.pool) {
      const { rows } = await this.pool.query<{ event_id: string; seq: number; aggregate: string }>(
        `SELECT event_id, seq, aggregate FROM "${this.entityTable}"`,
      );
      return new Map(rows.map((row) => [row.event_id, { seq: row.seq, aggregate: row.aggregate }]));
    }
    const result = new Map<string, { seq: number; aggregate: string }>();
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await this.dynamo!.send(
        new ScanCommand({
          TableName: this.entityTable,
          ExclusiveStartKey: start,
          ConsistentRead: true,
        }),
      );
      for (const item of page.Items ?? []) {
        result.set(item.id.S!, { seq: Number(item.seq.N), aggregate: item.aggregate.S! });
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return result;
  }

  /** Inbox scenarios: event id → how many effects it has, and the worker of one of them. */
  async effects(): Promise<Map<string, { count: number; worker: string }>> {
    const result = new Map<string, { count: number; worker: string }>();
    const add = (eventId: string, worker: string) => {
      const known = result.get(eventId);
      if (known) known.count++;
      else result.set(eventId, { count: 1, worker });
    };
    if (this.pool) {
      const { rows } = await this.pool.query<{ event_id: string; worker: string }>(
        `SELECT event_id, worker FROM "${this.entityTable}"`,
      );
      for (const row of rows) add(row.event_id, row.worker);
      return result;
    }
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await this.dynamo!.send(
        new ScanCommand({
          TableName: this.entityTable,
          ExclusiveStartKey: start,
          ConsistentRead: true,
        }),
      );
      for (const item of page.Items ?? []) add(item.eventId.S!, item.worker.S!);
      start = page.LastEvaluatedKey;
    } while (start);
    return result;
  }

  async committedCount(): Promise<number> {
    if (this.pool) {
      const { rows } = await this.pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM "${this.entityTable}"`,
      );
      return rows[0].n;
    }
    return (await this.committed()).size;
  }

  query<T extends object>(sql: string, values: unknown[] = []): Promise<T[]> {
    return this.pool!.query<T & Record<string, unknown>>(sql, values).then((result) => result.rows);
  }

  /** Waits until every committed event arrived and the outbox holds nothing unsent. */
  async waitForAllDelivered(timeoutMs: number): Promise<void> {
    await until(
      async () => {
        const committed = await this.committed();
        const arrived = new Set(this.arrivals.map((arrival) => arrival.id));
        if ([...committed.keys()].some((id) => !arrived.has(id))) return false;
        const counts = await this.store.counts('sns-sqs');
        return counts.pending === 0 && counts.parked === 0;
      },
      timeoutMs,
      `every committed event of ${this.id} delivered`,
    );
  }

  async account(): Promise<OutboxAccounting> {
    const committed = await this.committed();
    const times = new Map<string, number>();
    let redelivered = 0;
    for (const arrival of this.arrivals) {
      if (arrival.attempt > 1) redelivered++;
      else times.set(arrival.id, (times.get(arrival.id) ?? 0) + 1);
    }
    let delivered = 0;
    let twice = 0;
    for (const [id, count] of times) {
      if (committed.has(id)) delivered++;
      if (count > 1) twice++;
    }
    // Commit order per aggregate is the sequence order: each aggregate's transactions ran one
    // after the other in one producer lane (or lanes of disjoint sequence ranges, compared apart).
    const lastSeq = new Map<string, number>();
    const outOfOrder = new Set<string>();
    const seen = new Set<string>();
    for (const arrival of this.arrivals) {
      if (seen.has(arrival.id)) continue;
      seen.add(arrival.id);
      const key = `${arrival.aggregateId}@${this.laneOf(arrival.seq)}`;
      const last = lastSeq.get(key);
      if (last !== undefined && arrival.seq < last) outOfOrder.add(arrival.aggregateId);
      lastSeq.set(key, arrival.seq);
    }
    return (this.lastAccounting = {
      committed: committed.size,
      delivered,
      lost: committed.size - delivered,
      twice,
      redelivered,
      strangers: [...times.keys()].filter((id) => !committed.has(id)).length,
      outOfOrder: [...outOfOrder],
    });
  }

  /** Producers given disjoint `PRODUCE_FROM` ranges order their aggregates apart. */
  laneRanges: number[] = [0];

  private laneOf(seq: number): number {
    let lane = 0;
    for (const [index, from] of this.laneRanges.entries()) if (seq >= from) lane = index;
    return lane;
  }

  /** The relay counters a producer printed when it stopped (SIGTERM). */
  static relayMetrics(worker: WorkerProcess): { sent: number; failed: number } | undefined {
    const line = worker
      .output()
      .split('\n')
      .find((text) => text.includes('RELAY_METRICS '));
    return line
      ? (JSON.parse(line.slice(line.indexOf('RELAY_METRICS ') + 14)) as {
          sent: number;
          failed: number;
        })
      : undefined;
  }

  /** What a producer printed when it finished producing. */
  static produced(
    worker: WorkerProcess,
  ): { committed: number; rolledBack: number; failed: number } | undefined {
    const line = worker
      .output()
      .split('\n')
      .find((text) => text.includes('PRODUCED '));
    return line
      ? (JSON.parse(line.slice(line.indexOf('PRODUCED ') + 9)) as {
          committed: number;
          rolledBack: number;
          failed: number;
        })
      : undefined;
  }

  record(row: Omit<ScenarioRow, 'seconds'>): void {
    recordRow({ ...row, seconds: this.seconds });
  }

  /** The table row of an outbox scenario: committed, delivered, sent twice and lost, no DLQ. */
  recordAccounting(scenario: string, result: OutboxAccounting, notes: string): void {
    this.record({
      scenario,
      sent: result.committed,
      applied: result.delivered,
      twice: result.twice,
      inDlq: 0,
      lost: result.lost,
      notes,
    });
  }

  /** The last accounting, printed when the scenario fails. */
  private lastAccounting?: OutboxAccounting;

  async close(failed: boolean): Promise<void> {
    if (failed && this.lastAccounting)
      console.error(`${this.id}: ${JSON.stringify(this.lastAccounting)}`);
    await Promise.all(this.workers.map((worker) => worker.kill('SIGKILL')));
    const logs = process.env.RELIABILITY_LOGS;
    for (const worker of this.workers) {
      if (logs) writeFileSync(join(logs, `${this.run}-${worker.name}.log`), worker.output());
      if (failed)
        console.error(`--- ${this.id} ${worker.name} ---\n${worker.output().slice(-8000)}`);
    }
    await this.receiverApp?.close();
    await this.pool?.end();
    this.dynamo?.destroy();
  }
}

/** Runs `body` with an outbox scenario, closing it whatever happens. */
export async function withOutboxScenario<T>(
  scenario: OutboxScenario,
  body: (scenario: OutboxScenario) => Promise<T>,
): Promise<T> {
  let failed = true;
  try {
    const result = await body(scenario);
    failed = false;
    return result;
  } finally {
    await scenario.close(failed);
  }
}

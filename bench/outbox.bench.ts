/**
 * The transactional outbox on PostgreSQL, end to end to SQS on fauxqs: events committed with a row
 * each and relayed through SNS into a subscribed queue, against publishing directly; and the
 * latency a publish gains (commit to broker accepted) beside a direct publish. Starts a throwaway
 * PostgreSQL cluster and a fauxqs of its own, and stops them. Run with `npm run bench`, or alone
 * with `node --expose-gc bench/dist/outbox.bench.js`. Flags: --events=<n>, --writers=<n>,
 * --rounds=<n>, --samples=<n>.
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  PurgeQueueCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  EventBus,
  EventsModule,
  defineEvent,
  type EventEnvelope,
  type Transport,
} from '@nestjs-events/core';
import { withOutbox, type OutboxTransport } from '@nestjs-events/outbox';
import { PostgresOutboxStore } from '@nestjs-events/outbox/postgres';
import { SnsSqsTransport } from '@nestjs-events/sns';
import { startFauxqs, startPostgres } from '@sample/emulators';
import { Pool } from 'pg';
import { z } from 'zod';
import { int, machine, markdownTable, median, recordResults } from './harness';

const args = new Map(
  process.argv.slice(2).map((arg) => {
    const [key, ...value] = arg.replace(/^--/, '').split('=');
    return [key, value.length ? value.join('=') : 'true'] as const;
  }),
);
const EVENTS = Number(args.get('events') ?? 5_000);
const WRITERS = Number(args.get('writers') ?? 20);
const ROUNDS = Number(args.get('rounds') ?? 3);
const SAMPLES = Number(args.get('samples') ?? 300);
const STALL_MS = 60_000;
const REGION = 'us-east-1';
const CREDENTIALS = { accessKeyId: 'bench', secretAccessKey: 'bench' };

const OrderPlaced = defineEvent({
  type: 'bench.order-placed',
  schema: z.object({ orderId: z.string(), amount: z.number().int() }),
});

/** Records when the broker accepted each event (the wrapped transport's publish resolved). */
class AcceptedAt implements Transport {
  readonly name: string;
  readonly accepted = new Map<string, number>();

  constructor(private readonly inner: Transport) {
    this.name = inner.name;
  }

  async publish(events: readonly EventEnvelope[]): Promise<void> {
    await this.inner.publish(events);
    const now = performance.now();
    for (const event of events) this.accepted.set(event.id, now);
  }

  subscribe: Transport['subscribe'] = (subscription) => this.inner.subscribe(subscription);
  start: Transport['start'] = (...context) => this.inner.start(...context);
  stop: Transport['stop'] = (options) => this.inner.stop(options);
  health: Transport['health'] = () => this.inner.health();
}

@Module({})
class BenchRootModule {}

interface Setup {
  readonly endpoint: string;
  readonly pool: Pool;
  readonly sqs: SQSClient;
  readonly sns: SNSClient;
}

interface Contender {
  readonly app: INestApplicationContext;
  readonly bus: EventBus;
  readonly store?: PostgresOutboxStore;
  readonly accepted: AcceptedAt;
  readonly outbox?: OutboxTransport;
  readonly queueUrl: string;
  /** Prefix of this contender's tables. */
  readonly table: string;
}

/** A fresh topic and subscribed queue, and an application publishing to the topic. */
async function boot(setup: Setup, useOutbox: boolean): Promise<Contender> {
  const prefix = `b${randomBytes(4).toString('hex')}-`;
  const { TopicArn } = await setup.sns.send(
    new CreateTopicCommand({ Name: `${prefix}bench-order-placed` }),
  );
  const queue = `${prefix}q`;
  const { QueueUrl } = await setup.sqs.send(new CreateQueueCommand({ QueueName: queue }));
  const { Attributes } = await setup.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
  );
  await setup.sns.send(
    new SubscribeCommand({
      TopicArn,
      Protocol: 'sqs',
      Endpoint: Attributes!.QueueArn,
      Attributes: { RawMessageDelivery: 'true' },
    }),
  );
  const accepted = new AcceptedAt(
    new SnsSqsTransport({
      endpoint: setup.endpoint,
      region: REGION,
      credentials: CREDENTIALS,
      topics: { prefix },
    }),
  );
  const table = `${prefix.replace(/-/g, '')}outbox`;
  const store = useOutbox
    ? new PostgresOutboxStore({ pool: setup.pool, outboxTable: table, inboxTable: `${table}_in` })
    : undefined;
  await store?.ensureSchema();
  await setup.pool.query(
    `CREATE TABLE "${table}_orders" (id text PRIMARY KEY, amount integer NOT NULL)`,
  );
  const outbox = store
    ? withOutbox(accepted, { store, relay: { batchSize: 200, pollIntervalMs: 1000 } })
    : undefined;
  const app = await NestFactory.createApplicationContext(
    {
      module: BenchRootModule,
      imports: [EventsModule.forRoot({ source: 'bench', transports: [outbox ?? accepted] })],
    },
    { logger: ['error', 'warn'] },
  );
  return { app, bus: app.get(EventBus), store, accepted, outbox, queueUrl: QueueUrl!, table };
}

/** One order: a row and its event, in one transaction (outbox) or the row then the publish. */
async function placeOrder(setup: Setup, contender: Contender, n: number): Promise<EventEnvelope> {
  const { table } = contender;
  const event = OrderPlaced.create(
    { orderId: `o-${n}`, amount: n % 100 },
    { aggregateId: `o-${n}` },
  );
  const insert = (client: { query(text: string, values: unknown[]): Promise<unknown> }) =>
    client.query(`INSERT INTO "${table}_orders" (id, amount) VALUES ($1, $2)`, [`o-${n}`, n % 100]);
  if (contender.store) {
    await contender.store.transaction(async (client) => {
      await insert(client);
      await contender.bus.publish(event);
    });
  } else {
    await insert(setup.pool);
    await contender.bus.publish(event);
  }
  return event;
}

async function queueDepth(setup: Setup, queueUrl: string): Promise<number> {
  const { Attributes } = await setup.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages'],
    }),
  );
  return Number(Attributes?.ApproximateNumberOfMessages ?? 0);
}

async function waitFor(condition: () => Promise<boolean> | boolean, what: string): Promise<void> {
  const deadline = Date.now() + STALL_MS;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`bench: ${what} not reached in ${STALL_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Events per second from the first commit until all `EVENTS` are in the queue. */
async function throughput(
  setup: Setup,
  useOutbox: boolean,
): Promise<{ total: number; commit: number }> {
  const contender = await boot(setup, useOutbox);
  try {
    const started = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: WRITERS }, async () => {
        for (let n = next++; n < EVENTS; n = next++) await placeOrder(setup, contender, n);
      }),
    );
    const committed = performance.now();
    await waitFor(
      async () => (await queueDepth(setup, contender.queueUrl)) >= EVENTS,
      'every event in SQS',
    );
    const done = performance.now();
    return {
      total: EVENTS / ((done - started) / 1000),
      commit: EVENTS / ((committed - started) / 1000),
    };
  } finally {
    await contender.app.close();
    await setup.sqs
      .send(new PurgeQueueCommand({ QueueUrl: contender.queueUrl }))
      .catch(() => undefined);
  }
}

/** One order at a time: ms from commit (outbox) or from the publish call (direct) to the broker. */
async function latency(setup: Setup, useOutbox: boolean): Promise<number[]> {
  const contender = await boot(setup, useOutbox);
  try {
    const samples: number[] = [];
    for (let n = 0; n < SAMPLES; n++) {
      const started = performance.now();
      const event = await placeOrder(setup, contender, n);
      // Direct: the publish resolved when the broker accepted. Outbox: the commit has returned,
      // the relay (woken by NOTIFY) sends it.
      const from = useOutbox ? performance.now() : started;
      await waitFor(() => contender.accepted.accepted.has(event.id), 'the relayed event');
      samples.push(contender.accepted.accepted.get(event.id)! - from);
    }
    return samples;
  } finally {
    await contender.app.close();
  }
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function main(): Promise<void> {
  const startedAt = Date.now();
  const recording = recordResults('outbox');
  console.log(machine());
  const [fauxqs, postgres] = await Promise.all([startFauxqs(), startPostgres()]);
  const pool = new Pool({ connectionString: postgres.endpoint, max: WRITERS + 10 });
  // An idle connection that the server ends (at its stop) is reported here instead of thrown.
  pool.on('error', (error) => console.warn(`bench: idle PostgreSQL connection: ${error.message}`));
  const aws = { endpoint: fauxqs.endpoint, region: REGION, credentials: CREDENTIALS };
  const setup: Setup = {
    endpoint: fauxqs.endpoint,
    pool,
    sqs: new SQSClient(aws),
    sns: new SNSClient(aws),
  };
  try {
    const rows: string[][] = [];
    for (const useOutbox of [false, true]) {
      const totals: number[] = [];
      const commits: number[] = [];
      await throughput(setup, useOutbox); // warm-up
      for (let round = 0; round < ROUNDS; round++) {
        const { total, commit } = await throughput(setup, useOutbox);
        totals.push(total);
        commits.push(commit);
        console.log(
          `${useOutbox ? 'outbox' : 'direct'} round ${round + 1}: ${int(total)} events/s to SQS, ` +
            `${int(commit)} orders/s committed`,
        );
      }
      const samples = await latency(setup, useOutbox);
      rows.push([
        useOutbox
          ? 'through the outbox (row + event in one transaction, relayed)'
          : 'direct (row committed, then publish)',
        int(median(commits)),
        int(median(totals)),
        percentile(samples, 50).toFixed(1),
        percentile(samples, 99).toFixed(1),
      ]);
    }
    console.log(
      `\n${EVENTS} orders per round by ${WRITERS} concurrent writers, median of ${ROUNDS} rounds; ` +
        `latency over ${SAMPLES} orders placed one at a time\n`,
    );
    console.log(
      markdownTable(
        [
          'publishing',
          'orders/s committed',
          'events/s in SQS',
          'p50 ms to broker',
          'p99 ms to broker',
        ],
        rows,
      ),
    );
  } finally {
    setup.sqs.destroy();
    setup.sns.destroy();
    await pool.end();
    await Promise.all([fauxqs.stop(), postgres.stop()]);
  }
  console.log(`\ntotal ${((Date.now() - startedAt) / 1000).toFixed(0)} s`);
  await recording.write();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { EventsModule } from '@nestjs-events/core';
import { OutboxTransport, withOutbox, type OutboxStore } from '@nestjs-events/outbox';
import { DynamoDbOutboxStore } from '@nestjs-events/outbox/dynamodb';
import { PostgresOutboxStore } from '@nestjs-events/outbox/postgres';
import { SnsSqsTransport } from '@nestjs-events/sns';
import { Pool } from 'pg';
import { recordReceivedMessages } from '../received.recorder';
import { RunLedger } from '../run.ledger';
import { InboxProbeHandler } from './inbox-probe.handler';
import { OUTBOX_WORKER_CONFIG, type OutboxWorkerConfig } from './outbox-worker.config';
import { OutboxProducer } from './outbox.producer';

/** What the process opened, closed once the transports have drained; and the relay's counts. */
class OutboxResources implements OnApplicationShutdown {
  constructor(
    private readonly transport: OutboxTransport,
    private readonly close: () => Promise<void>,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    const metrics = this.transport.relay?.metrics();
    if (metrics) console.log(`RELAY_METRICS ${JSON.stringify(metrics)}`);
    await this.close();
  }
}

/**
 * The outbox side of the reliability scenarios: a producer that commits entities with their
 * events through the outbox (and relays them), or an inbox consumer whose handler's writes and
 * processed record commit together.
 */
@Module({})
export class OutboxWorkerModule {
  static forConfig(config: OutboxWorkerConfig): DynamicModule {
    const region = process.env.AWS_REGION ?? 'us-east-1';
    const pool = config.databaseUrl
      ? new Pool({ connectionString: config.databaseUrl, max: config.aggregates + 10 })
      : undefined;
    pool?.on('error', (error) => console.warn(`idle PostgreSQL connection: ${error.message}`));
    const dynamo = config.dynamoEndpoint
      ? new DynamoDBClient({ endpoint: config.dynamoEndpoint, region })
      : undefined;
    const store: OutboxStore & { readonly description: string } = pool
      ? new PostgresOutboxStore({
          pool,
          outboxTable: config.table,
          inboxTable: `${config.table}_inbox`,
        })
      : new DynamoDbOutboxStore({ client: dynamo!, tableName: config.table });
    const sqsClient = new SQSClient({ endpoint: config.endpoint, region });
    const ledger =
      config.role === 'inbox' && config.redisUrl
        ? new RunLedger(config.run, config.worker, config.redisUrl)
        : undefined;
    if (ledger) recordReceivedMessages(sqsClient, ledger);
    const sns = new SnsSqsTransport({
      endpoint: config.endpoint,
      region,
      sqsClient,
      provision: true,
      topics: { prefix: config.topicPrefix },
      queues:
        config.role === 'inbox'
          ? [
              {
                name: config.queue,
                concurrency: config.concurrency,
                visibilityTimeoutSeconds: config.visibilityTimeoutSeconds,
                waitTimeSeconds: 1,
              },
            ]
          : [],
    });
    const transport = withOutbox(sns, {
      store,
      relay:
        config.relay && config.role === 'producer'
          ? {
              pollIntervalMs: config.relayPollMs,
              retryBaseDelayMs: config.relayRetryBaseMs,
              retryMaxDelayMs: config.relayRetryMaxMs,
              maxAttempts: config.relayMaxAttempts,
              batchSize: config.relayBatchSize,
              sendTimeoutMs: 10_000,
            }
          : false,
    });
    const close = async () => {
      sqsClient.destroy();
      dynamo?.destroy();
      await pool?.end();
      await ledger?.close();
    };
    return {
      module: OutboxWorkerModule,
      imports: [
        EventsModule.forRoot({
          source: `reliability-${config.worker}`,
          transports: [transport],
          shutdownTimeoutMs: config.shutdownTimeoutMs,
        }),
      ],
      providers: [
        { provide: OUTBOX_WORKER_CONFIG, useValue: config },
        { provide: PostgresOutboxStore, useValue: store },
        { provide: DynamoDbOutboxStore, useValue: store },
        { provide: 'OUTBOX_ENTITY_POOL', useValue: pool },
        { provide: OutboxResources, useFactory: () => new OutboxResources(transport, close) },
        ...(config.role === 'producer' ? [OutboxProducer] : [InboxProbeHandler]),
      ],
    };
  }
}

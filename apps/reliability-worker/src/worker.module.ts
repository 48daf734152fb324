import { SQSClient } from '@aws-sdk/client-sqs';
import { Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { EventsModule, type Transport } from '@nestjs-events/core';
import { EventBridgeTransport } from '@nestjs-events/eventbridge';
import { RedisIdempotencyStore } from '@nestjs-events/idempotency-redis';
import { SnsSqsTransport, type SqsQueueOptions } from '@nestjs-events/sns';
import { CountingIdempotencyStore } from './counting-idempotency.store';
import { ProbeAuditHandler } from './probe-audit.handler';
import { ProbeHandler } from './probe.handler';
import { recordReceivedMessages } from './received.recorder';
import { RunLedger } from './run.ledger';
import { WORKER_CONFIG } from './worker.constants';
import type { WorkerConfig } from './worker.config';

/** Closes what the module created, once the transports have drained (onApplicationShutdown). */
class WorkerResources implements OnApplicationShutdown {
  constructor(
    readonly ledger: RunLedger,
    readonly sqsClient: SQSClient,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    this.sqsClient.destroy();
    await this.ledger.close();
  }
}

function transportFor(config: WorkerConfig, sqsClient: SQSClient): Transport {
  const queue: SqsQueueOptions = {
    name: config.queue,
    concurrency: config.concurrency,
    visibilityTimeoutSeconds: config.visibilityTimeoutSeconds,
    // Short polls let a stopping consumer notice quickly; they cost nothing on an emulator.
    waitTimeSeconds: 1,
    maxPollBackoffMs: config.maxPollBackoffMs,
  };
  const aws = {
    endpoint: config.endpoint,
    region: process.env.AWS_REGION ?? 'us-east-1',
    sqsClient,
    provision: config.provision,
  };
  return config.transport === 'eventbridge'
    ? new EventBridgeTransport({ ...aws, eventBusName: config.eventBus, queues: [queue] })
    : new SnsSqsTransport({ ...aws, topics: { prefix: config.topicPrefix }, queues: [queue] });
}

/**
 * One queue, one idempotent handler (and a second one with SECOND_HANDLER), a shared Redis store:
 * the consumer under test.
 */
@Module({})
export class WorkerModule {
  static forConfig(config: WorkerConfig): DynamicModule {
    const ledger = new RunLedger(config.run, config.worker, config.redisUrl);
    const sqsClient = new SQSClient({
      endpoint: config.endpoint,
      region: process.env.AWS_REGION ?? 'us-east-1',
    });
    recordReceivedMessages(sqsClient, ledger);
    const store = new CountingIdempotencyStore(
      new RedisIdempotencyStore({
        url: config.redisUrl,
        keyPrefix: ledger.keys.idempotencyPrefix,
      }),
      ledger,
    );
    return {
      module: WorkerModule,
      imports: [
        EventsModule.forRoot({
          source: `reliability-${config.worker}`,
          transports: [transportFor(config, sqsClient)],
          idempotency: { store, lockTtlMs: config.lockTtlMs, ttlMs: config.idempotencyTtlMs },
          shutdownTimeoutMs: config.shutdownTimeoutMs,
          handlerTimeoutMs: config.handlerTimeoutMs,
        }),
      ],
      providers: [
        { provide: WORKER_CONFIG, useValue: config },
        { provide: RunLedger, useValue: ledger },
        { provide: CountingIdempotencyStore, useValue: store },
        { provide: WorkerResources, useFactory: () => new WorkerResources(ledger, sqsClient) },
        ProbeHandler,
        ...(config.secondHandler ? [ProbeAuditHandler] : []),
      ],
    };
  }
}

import { Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  EventBus,
  EventsModule,
  type EventEnvelope,
  type RetryOptions,
  type Transport,
} from '@nestjs-events/core';
import { EventBridgeTransport } from '@nestjs-events/eventbridge';
import { PublishError, SnsSqsTransport } from '@nestjs-events/sns';
import { ProbeEvent } from '../../apps/reliability-worker/src/probe.events';

export interface PublisherOptions {
  readonly transport: 'sns-sqs' | 'eventbridge';
  /** The emulator, or a fault proxy in front of it. */
  readonly endpoint: string;
  readonly topicPrefix?: string;
  readonly eventBus?: string;
  readonly publishRetry?: RetryOptions;
}

/** What publishing a list of events came to, per event id. */
export interface PublishOutcome {
  /** Events the broker accepted: publish resolved for them. */
  readonly accepted: string[];
  /** Events the caller was told about: the `failedEventIds` of a PublishError. */
  readonly failed: string[];
  /** Distinct reasons of those errors. */
  readonly reasons: string[];
}

@Module({})
class PublisherRootModule {}

/**
 * Publishes probe events through the library's own publisher (EventBus → SNS PublishBatch or
 * EventBridge PutEvents), in a Nest application context of the test process.
 */
export class ProbePublisher {
  private constructor(
    private readonly app: INestApplicationContext,
    private readonly bus: EventBus,
  ) {}

  static async start(options: PublisherOptions): Promise<ProbePublisher> {
    const aws = {
      endpoint: options.endpoint,
      region: process.env.AWS_REGION ?? 'us-east-1',
      publishRetry: options.publishRetry,
    };
    const transport: Transport =
      options.transport === 'eventbridge'
        ? new EventBridgeTransport({ ...aws, eventBusName: options.eventBus ?? 'default' })
        : new SnsSqsTransport({ ...aws, topics: { prefix: options.topicPrefix ?? '' } });
    const app = await NestFactory.createApplicationContext(
      {
        module: PublisherRootModule,
        imports: [
          EventsModule.forRoot({ source: 'reliability-publisher', transports: [transport] }),
        ],
      },
      { logger: ['error'] },
    );
    return new ProbePublisher(app, app.get(EventBus));
  }

  /** `count` events of run `run`, numbered from `from`. */
  static events(run: string, count: number, from = 0): EventEnvelope[] {
    return Array.from({ length: count }, (_, index) =>
      ProbeEvent.create({ run, seq: from + index }),
    );
  }

  /**
   * Publishes in chunks of `chunkSize` (one publishAll each). A PublishError is the library
   * saying which events it could not publish: they are reported, the rest of the chunk counts as
   * accepted. Any other error is not expected and is thrown.
   */
  async publish(events: readonly EventEnvelope[], chunkSize = 500): Promise<PublishOutcome> {
    const outcome = {
      accepted: [] as string[],
      failed: [] as string[],
      reasons: new Set<string>(),
    };
    for (let start = 0; start < events.length; start += chunkSize) {
      const chunk = events.slice(start, start + chunkSize);
      try {
        await this.bus.publishAll(chunk);
        outcome.accepted.push(...chunk.map((event) => event.id));
      } catch (error) {
        if (!(error instanceof PublishError)) throw error;
        const failed = new Set(error.failedEventIds);
        outcome.failed.push(...failed);
        outcome.accepted.push(...chunk.filter((e) => !failed.has(e.id)).map((e) => e.id));
        outcome.reasons.add(error.message.slice(error.message.lastIndexOf('): ') + 3));
      }
    }
    return { ...outcome, reasons: [...outcome.reasons] };
  }

  close(): Promise<void> {
    return this.app.close();
  }
}

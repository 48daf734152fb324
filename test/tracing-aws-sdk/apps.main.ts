// First: the AWS SDK instrumentation must be registered before any @aws-sdk client is required.
import { exporter, provider, warnings } from './instrumentation';
import { SNSClient } from '@aws-sdk/client-sns';
import { GetQueueUrlCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { Injectable, Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  defineEvent,
  EventBus,
  EventHandler,
  EventsModule,
  type EventEnvelope,
} from '@nestjs-events/core';
import { SnsSqsTransport } from '@nestjs-events/sns';
import { SpanKind, trace } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { z } from 'zod';
import { ThingHappened, ThingNoted } from '../fixtures/events';
import { until } from '../fixtures/until';
import {
  AWS_SDK_SCOPE,
  REPORT_PREFIX,
  type CallRecord,
  type MessageRecord,
  type SpanRecord,
  type TraceReport,
} from './report';

/**
 * Two Nest applications in one Node.js process under the AWS SDK instrumentation, over SNS and
 * SQS: `orders` publishes thing.happened under a SERVER span; `notes` handles it and publishes
 * thing.noted, which `orders` handles. Then a thing.refused whose handler always fails, so that
 * its dead-letter copy carries the full ten message attributes. Prints a TraceReport.
 */

const ThingRefused = defineEvent({
  type: 'thing.refused',
  schema: z.object({ reason: z.string() }),
});

const endpoint = process.env.AWS_ENDPOINT_URL!;
const prefix = process.env.RUN_PREFIX!;
const awsConfig = {
  region: 'us-east-1',
  endpoint,
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
};

const calls: CallRecord[] = [];
const noted: EventEnvelope[] = [];

interface SdkMessage {
  readonly Message?: string;
  readonly MessageBody?: string;
  readonly Body?: string;
  readonly MessageAttributes?: Record<string, { StringValue?: string }>;
}

function messageRecord(message: SdkMessage): MessageRecord {
  const attributes: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.MessageAttributes ?? {})) {
    attributes[name] = value.StringValue ?? '';
  }
  let envelope: Partial<EventEnvelope> = {};
  try {
    envelope = JSON.parse(message.Message ?? message.MessageBody ?? message.Body ?? '{}') as never;
  } catch {
    // Not an event: recorded with its attributes only.
  }
  return {
    attributes,
    envelopeTraceparent: envelope.metadata?.traceparent,
    eventType: envelope.type,
  };
}

interface SdkInput {
  readonly TopicArn?: string;
  readonly QueueUrl?: string;
  readonly PublishBatchRequestEntries?: SdkMessage[];
  readonly Entries?: SdkMessage[];
}

/** The part of an AWS SDK v3 client that middleware is added through. */
interface MiddlewareClient {
  middlewareStack: {
    add(
      middleware: (
        next: (args: { input: unknown }) => Promise<{ output: unknown }>,
        context: { commandName?: string },
      ) => (args: { input: unknown }) => Promise<{ output: unknown }>,
      options: { step: 'initialize'; name: string },
    ): void;
  };
}

/**
 * Records the messages `client` sends and receives as the SDK serializes them: the
 * instrumentation has already added its attributes when the client's own middleware runs.
 */
function recordMessages<T extends object>(client: T): T {
  (client as unknown as MiddlewareClient).middlewareStack.add(
    (next, context) => async (args) => {
      const command = context.commandName?.replace(/Command$/, '') ?? '';
      const input = args.input as SdkInput & SdkMessage;
      const destination = input.TopicArn ?? input.QueueUrl ?? '';
      if (command === 'Publish' || command === 'SendMessage') {
        calls.push({ command, destination, messages: [messageRecord(input)] });
      } else if (command === 'PublishBatch' || command === 'SendMessageBatch') {
        const entries = input.PublishBatchRequestEntries ?? input.Entries ?? [];
        calls.push({ command, destination, messages: entries.map(messageRecord) });
      }
      const result = await next(args);
      if (command === 'ReceiveMessage') {
        const messages = (result.output as { Messages?: SdkMessage[] }).Messages ?? [];
        if (messages.length) {
          calls.push({ command, destination, messages: messages.map(messageRecord) });
        }
      }
      return result;
    },
    { step: 'initialize', name: 'recordMessages' },
  );
  return client;
}

function transport(queue: string): SnsSqsTransport {
  return new SnsSqsTransport({
    ...awsConfig,
    snsClient: recordMessages(new SNSClient(awsConfig)),
    sqsClient: recordMessages(new SQSClient(awsConfig)),
    topics: { prefix: `${prefix}-` },
    queues: [{ name: `${prefix}-${queue}`, waitTimeSeconds: 1 }],
    provision: true,
  });
}

@Injectable()
class NoteReader {
  @EventHandler(ThingNoted)
  read(event: EventEnvelope): void {
    noted.push(event);
  }
}

@Injectable()
class Noter {
  constructor(private readonly bus: EventBus) {}

  @EventHandler(ThingHappened)
  async note(event: EventEnvelope): Promise<void> {
    await this.bus.publish(
      ThingNoted.create({ note: `saw ${event.id}` }, { aggregateId: event.aggregateId }),
    );
  }
}

@Injectable()
class Refuser {
  @EventHandler(ThingRefused, { retry: { maxAttempts: 1 } })
  refuse(): void {
    throw new Error('refused');
  }
}

const retry = { baseDelayMs: 1, maxDelayMs: 5 };

@Module({
  imports: [
    EventsModule.forRoot({
      source: 'orders',
      tracing: true,
      retry,
      transports: [transport('orders')],
    }),
  ],
  providers: [NoteReader],
})
class OrdersModule {}

@Module({
  imports: [
    EventsModule.forRoot({
      source: 'notes',
      tracing: true,
      retry,
      transports: [transport('notes')],
    }),
  ],
  providers: [Noter, Refuser],
})
class NotesModule {}

/** A request's span, as HTTP server instrumentation would start it, around `work`. */
async function asRequest(name: string, work: () => Promise<void>): Promise<void> {
  await trace
    .getTracer('test-http')
    .startActiveSpan(name, { kind: SpanKind.SERVER }, async (span) => {
      try {
        await work();
      } finally {
        span.end();
      }
    });
}

function spanRecord(span: ReadableSpan): SpanRecord {
  return {
    name: span.name,
    kind: span.kind,
    scope: span.instrumentationScope.name,
    traceId: span.spanContext().traceId,
    spanId: span.spanContext().spanId,
    parentSpanId: span.parentSpanContext?.spanId,
    attributes: { ...span.attributes },
    links: span.links.map(({ context }) => ({ traceId: context.traceId, spanId: context.spanId })),
    status: span.status.code,
  };
}

async function main(): Promise<void> {
  const apps: INestApplicationContext[] = [];
  const inspector = recordMessages(new SQSClient(awsConfig));
  let deadLetter: MessageRecord | undefined;
  let deadLetterQueueUrl = '';
  try {
    apps.push(await NestFactory.createApplicationContext(OrdersModule, { logger: ['error'] }));
    apps.push(await NestFactory.createApplicationContext(NotesModule, { logger: false }));
    const [orders] = apps;
    const ended = (name: string) => exporter.getFinishedSpans().some((s) => s.name === name);

    await asRequest('POST /orders', () =>
      orders
        .get(EventBus)
        .publish(ThingHappened.create({ name: 'order', size: 1 }, { aggregateId: 'order-1' })),
    );
    await until(() => noted.length === 1, 20_000, 'thing.noted handled by orders');
    await until(() => ended('process thing.noted'), 5_000, 'the process span of thing.noted');

    await asRequest('POST /refusals', () =>
      orders
        .get(EventBus)
        .publish(ThingRefused.create({ reason: 'r' }, { aggregateId: 'order-1' })),
    );
    ({ QueueUrl: deadLetterQueueUrl = '' } = await inspector.send(
      new GetQueueUrlCommand({ QueueName: `${prefix}-notes-dlq` }),
    ));
    await until(
      async () => {
        const { Messages } = await inspector.send(
          new ReceiveMessageCommand({
            QueueUrl: deadLetterQueueUrl,
            WaitTimeSeconds: 1,
            MessageAttributeNames: ['All'],
          }),
        );
        if (Messages?.length) deadLetter = messageRecord(Messages[0]);
        return deadLetter !== undefined;
      },
      20_000,
      'the dead-letter copy of thing.refused',
    );
    await until(() => ended('process thing.refused'), 5_000, 'the process span of thing.refused');
  } finally {
    // Stops the consumers: their last long polls end, so every span has ended before the report.
    await Promise.all(apps.map((app) => app.close()));
    inspector.destroy();
  }
  await provider.forceFlush();
  const report: TraceReport = {
    spans: exporter.getFinishedSpans().map(spanRecord),
    calls,
    deadLetter: deadLetter!,
    deadLetterQueueUrl,
    warnings,
  };
  if (!report.spans.some((span) => span.scope === AWS_SDK_SCOPE)) {
    throw new Error('The AWS SDK instrumentation recorded no span: it did not patch the SDK');
  }
  process.stdout.write(`${REPORT_PREFIX}${JSON.stringify(report)}\n`);
  await provider.shutdown();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

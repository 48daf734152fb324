import type { DynamicModule, INestApplicationContext, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EVENTS_TRANSPORTS, EventsConfigurationError, type Transport } from '@nestjs-events/core';
import { isSqsLambdaConsumer, type SqsLambdaConsumer } from './sqs-lambda-consumer.interface';
import type { SqsBatchResponse, SqsEvent } from './sqs-event.interface';
import type { SqsLambdaHandlerOptions } from './sqs-lambda-handler-options.interface';
import { resolveRecordsOptions } from './sqs-records.runner';

/** A Nest module, or a function that creates the application context (initialised or not). */
export type SqsLambdaApplication =
  Type<unknown> | DynamicModule | (() => Promise<INestApplicationContext>);

/** The function's handler, plus a way to boot the application ahead of the first event. */
export interface SqsLambdaHandler {
  (event: SqsEvent, context?: unknown): Promise<SqsBatchResponse>;
  /**
   * Boots the application if no invocation has yet, e.g. at the top level of the handler module,
   * so that the boot happens in Lambda's init phase rather than in the first invocation.
   */
  ready(): Promise<INestApplicationContext>;
}

interface Booted {
  readonly app: INestApplicationContext;
  readonly transport: SqsLambdaConsumer;
}

/**
 * A Lambda handler for SQS events that runs each record through the `@EventHandler` methods of
 * its queue (the last part of the record's `eventSourceARN`) and answers with the records that
 * must come back, for an event source mapping with `FunctionResponseTypes: ['ReportBatchItemFailures']`.
 *
 * ```ts
 * export const handler = createSqsLambdaHandler(AppModule);
 * ```
 *
 * The application boots once per execution environment, on the first invocation (or `ready()`),
 * and is reused by every later one, so idempotency stores, clients and caches live across them.
 * Its EventsModule must have a transport that consumes SQS (`SqsTransport`, `SnsSqsTransport`,
 * `EventBridgeTransport`) with `consume: 'lambda'`.
 */
export function createSqsLambdaHandler(
  application: SqsLambdaApplication,
  options: SqsLambdaHandlerOptions = {},
): SqsLambdaHandler {
  const recordsOptions = resolveRecordsOptions(options);
  let booting: Promise<Booted> | undefined;
  const boot = (): Promise<Booted> => {
    if (!booting) {
      const attempt = bootApplication(application, options);
      // A failed boot is not kept: the next invocation tries again rather than failing forever
      // in an execution environment that Lambda may keep for hours.
      attempt.catch(() => {
        if (booting === attempt) booting = undefined;
      });
      booting = attempt;
    }
    return booting;
  };
  const handler = async (event: SqsEvent): Promise<SqsBatchResponse> => {
    if (!Array.isArray(event?.Records)) {
      throw new TypeError(
        'The SQS Lambda handler received an event without "Records": not an SQS event.',
      );
    }
    const { transport } = await boot();
    return transport.handleLambdaRecords(event.Records, recordsOptions);
  };
  return Object.assign(handler, { ready: async () => (await boot()).app });
}

async function bootApplication(
  application: SqsLambdaApplication,
  options: SqsLambdaHandlerOptions,
): Promise<Booted> {
  // abortOnError: failing the invocation with the error beats Nest's default of exiting the process.
  const app = isContextFactory(application)
    ? await application()
    : await NestFactory.createApplicationContext(application, {
        abortOnError: false,
        ...options.application,
      });
  try {
    // Runs onApplicationBootstrap, where handlers are subscribed and the transports started.
    await app.init();
    return { app, transport: findTransport(app, options.transport) };
  } catch (error) {
    await app.close().catch(() => undefined);
    throw error;
  }
}

/** Module classes are classes; a factory is any other function. */
function isContextFactory(
  application: SqsLambdaApplication,
): application is () => Promise<INestApplicationContext> {
  return (
    typeof application === 'function' &&
    !/^class\b/.test(Function.prototype.toString.call(application))
  );
}

function findTransport(app: INestApplicationContext, name: string | undefined): SqsLambdaConsumer {
  let transports: readonly Transport[];
  try {
    transports = app.get<readonly Transport[]>(EVENTS_TRANSPORTS, { strict: false });
  } catch {
    throw new EventsConfigurationError(
      'SQS Lambda handler: the application has no EventsModule. Import EventsModule.forRoot() ' +
        "with a transport that consumes SQS, e.g. new SqsTransport({ consume: 'lambda', queues: [...] }).",
    );
  }
  const candidates = transports.filter(isSqsLambdaConsumer);
  const names = transports.map((t) => `"${t.name}"`).join(', ');
  let transport: SqsLambdaConsumer | undefined;
  if (name !== undefined) {
    transport = candidates.find((t) => t.name === name);
    if (!transport) {
      throw new EventsConfigurationError(
        `SQS Lambda handler: the application has no SQS-consuming transport named "${name}" (transports: ${names}).`,
      );
    }
  } else if (candidates.length === 1) {
    transport = candidates[0];
  } else {
    throw new EventsConfigurationError(
      candidates.length === 0
        ? `SQS Lambda handler: the application has no transport that consumes SQS (transports: ${names}).`
        : `SQS Lambda handler: the application has ${candidates.length} transports that consume SQS ` +
            `(${candidates.map((t) => `"${t.name}"`).join(', ')}); name one with the option "transport".`,
    );
  }
  if (transport.consume !== 'lambda') {
    // A polling transport would also receive from the queues, inside a frozen execution
    // environment, and hold messages there until their visibility timeout ends.
    throw new EventsConfigurationError(
      `SQS Lambda handler: transport "${transport.name}" polls its queues. Set consume: 'lambda' on it.`,
    );
  }
  return transport;
}

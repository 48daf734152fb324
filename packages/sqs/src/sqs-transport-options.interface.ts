import type { SQSClient } from '@aws-sdk/client-sqs';
import type { RetryOptions } from '@nestjs-events/core';
import type { AwsClientOptions } from './client-config';
import type { SqsConsumerOptions } from './consuming/sqs-consumer-options.interface';
import type { SqsQueueOptions } from './sqs-queue-options.interface';

/** Where the SQS transport sends what it publishes. */
export type SqsPublishTargets =
  /** One queue for every event. */
  | string
  /**
   * Event-type selectors (exact types before wildcards, `order.*`, `billing.**`) to queue
   * names; an event no selector takes cannot be published on this transport.
   */
  | Readonly<Record<string, string>>;

export interface SqsTransportOptions extends AwsClientOptions {
  /** Name for `routes` and the handler option `transport`. @default 'sqs' */
  name?: string;
  /** Client to use instead of building one from region/endpoint/credentials. */
  sqsClient?: SQSClient;
  /** Queues this service consumes; handlers pick one with `queue`, the first is the default. @default [] */
  queues?: SqsQueueOptions[];
  /** Defaults for every queue's consumer. */
  consumer?: SqsConsumerOptions;
  /**
   * Queues that published events are sent to, point to point (`SendMessageBatch`, 10 entries
   * and 1 MiB per call). @default none: publishing on this transport is refused
   */
  publishTo?: SqsPublishTargets;
  /** FIFO queues: ordered per `aggregateId`, deduplicated by event id. @default false */
  fifo?: boolean;
  /**
   * How queues are consumed: `poll` runs a long-poll consumer per queue; `lambda` leaves that to
   * Lambda event source mappings, whose records `createSqsLambdaHandler` hands to the handlers.
   * @default 'poll'
   */
  consume?: 'poll' | 'lambda';
  /**
   * Create the consumed queues (with dead-letter queues) and the queues published to at start.
   * For local development and tests; production infrastructure belongs in IaC.
   * @default false
   */
  provision?: boolean;
  /** Retries of failed send calls and failed batch entries. @default { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 2000 } */
  publishRetry?: RetryOptions;
}

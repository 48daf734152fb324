import type { SNSClient } from '@aws-sdk/client-sns';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { RetryOptions } from '@nestjs-events/core';
import type { AwsClientOptions, SqsConsumerOptions, SqsQueueOptions } from '@nestjs-events/sqs';
import type { TopicOptions } from './publishing/topic.resolver';

export interface SnsSqsTransportOptions extends AwsClientOptions {
  /** Name for `routes` and the handler option `transport`. @default 'sns-sqs' */
  name?: string;
  /** Clients to use instead of building them from region/endpoint/credentials. */
  snsClient?: SNSClient;
  sqsClient?: SQSClient;
  /** One topic per event type (default, with an optional name prefix) or one shared topic. @default { prefix: '' } */
  topics?: TopicOptions;
  /** FIFO topics and queues: ordered per `aggregateId`, deduplicated by event id. @default false */
  fifo?: boolean;
  /** Queues this service consumes; handlers pick one with `queue`, the first is the default. @default [] */
  queues?: SqsQueueOptions[];
  /** Defaults for every queue's consumer. */
  consumer?: SqsConsumerOptions;
  /**
   * How queues are consumed: `poll` runs a long-poll consumer per queue; `lambda` leaves that to
   * Lambda event source mappings, whose records `createSqsLambdaHandler` hands to the handlers.
   * With `lambda`, start() neither polls nor looks queues up: `queues` assigns handlers to queues
   * and may name their dead-letter queues, and the consumer options do not apply.
   * @default 'poll'
   */
  consume?: 'poll' | 'lambda';
  /**
   * Create topics, queues, dead-letter queues, subscriptions and policies at start, from the
   * handlers. For local development and tests; production infrastructure belongs in IaC.
   * @default false
   */
  provision?: boolean;
  /** Retries of failed publish calls and failed batch entries. @default { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 2000 } */
  publishRetry?: RetryOptions;
}

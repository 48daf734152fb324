import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { RetryOptions } from '@nestjs-events/core';
import type { AwsClientOptions, SqsConsumerOptions, SqsQueueOptions } from '@nestjs-events/sqs';

export interface EventBridgeTransportOptions extends AwsClientOptions {
  /** Name for `routes` and the handler option `transport`. @default 'eventbridge' */
  name?: string;
  /** Client to publish and provision with. @default one built from region/endpoint/credentials */
  eventBridgeClient?: EventBridgeClient;
  /** Client to consume and provision queues with. @default one built from region/endpoint/credentials */
  sqsClient?: SQSClient;
  /**
   * Name or ARN of the event bus events are published to and rules are read from. Required: a
   * missing bus fails the start (unless `provision` creates it). @default none, it must be set
   */
  eventBusName: string;
  /**
   * Queues this service consumes, each fed by a rule on the bus; handlers pick one with `queue`,
   * the first is the default. @default []
   */
  queues?: SqsQueueOptions[];
  /** Defaults for every queue's consumer. @default the SQS consumer's defaults */
  consumer?: SqsConsumerOptions;
  /**
   * How queues are consumed: `poll` runs a long-poll consumer per queue; `lambda` leaves that to
   * Lambda event source mappings, whose records `createSqsLambdaHandler` hands to the handlers.
   * @default 'poll'
   */
  consume?: 'poll' | 'lambda';
  /**
   * Create the bus, queues, dead-letter queues, rules, targets and queue policies at start, from
   * the handlers. For local development and tests; production infrastructure belongs in IaC.
   * @default false
   */
  provision?: boolean;
  /**
   * Retries of failed PutEvents calls and of the entries reported with a retryable error code.
   * @default { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 2000 }
   */
  publishRetry?: RetryOptions;
}

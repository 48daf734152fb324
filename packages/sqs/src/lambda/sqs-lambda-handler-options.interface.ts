import type { NestFactory } from '@nestjs/core';

/** How a transport's `handleLambdaRecords` runs the records of one invocation. */
export interface SqsRecordsOptions {
  /**
   * Records handled at once. The records of one FIFO message group run one after another, so a
   * group takes one of these slots for all its records.
   * @default 10
   */
  concurrency?: number;
  /**
   * What becomes of a record that its handlers give up on (a non-retryable error, the last
   * attempt by the retry policy) or that nobody can handle (malformed, not an event, unknown type):
   * - `send`: a copy goes to the queue's dead-letter queue with the reason in its attributes, as
   *   the poll consumer does, and Lambda deletes the record. The dead-letter queue is `deadLetterQueue`
   *   of the queue options, or the target of the queue's redrive policy, looked up on first use
   *   (the function needs `sqs:GetQueueUrl`, `sqs:GetQueueAttributes` and `sqs:SendMessage` on the
   *   dead-letter queue). When that fails, the record is reported as failed instead.
   * - `redrive`: the record is reported as failed, so it comes back until the queue's redrive policy
   *   moves it, as it is, after `maxReceiveCount` receives. No SQS call is made.
   * @default 'send'
   */
  deadLetters?: 'send' | 'redrive';
}

/** Options of `createSqsLambdaHandler`. */
export interface SqsLambdaHandlerOptions extends SqsRecordsOptions {
  /**
   * Name of the SQS-consuming transport whose handlers run (its `consume` must be `'lambda'`).
   * @default the application's only transport that consumes SQS
   */
  transport?: string;
  /**
   * Options of `NestFactory.createApplicationContext`, when the handler is given a module.
   * @default { abortOnError: false }: a failed boot fails the invocation (and the next one boots
   * again) instead of exiting the process
   */
  application?: Parameters<typeof NestFactory.createApplicationContext>[1];
}

import type { Transport } from '@nestjs-events/core';
import type { SqsBatchResponse, SqsEventRecord } from './sqs-event.interface';
import type { SqsRecordsOptions } from './sqs-lambda-handler-options.interface';

/** A transport whose SQS queues Lambda may deliver: what `createSqsLambdaHandler` looks for. */
export interface SqsLambdaConsumer extends Transport {
  /** `lambda` when Lambda delivers the queues' messages, `poll` when the transport polls. */
  readonly consume: 'poll' | 'lambda';
  /** Runs the records of one invocation and lists those that must come back. */
  handleLambdaRecords(
    records: readonly SqsEventRecord[],
    options?: SqsRecordsOptions,
  ): Promise<SqsBatchResponse>;
}

export function isSqsLambdaConsumer(transport: Transport): transport is SqsLambdaConsumer {
  const candidate = transport as Partial<SqsLambdaConsumer>;
  return (
    typeof candidate.handleLambdaRecords === 'function' &&
    (candidate.consume === 'poll' || candidate.consume === 'lambda')
  );
}

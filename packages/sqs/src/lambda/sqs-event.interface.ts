// The few fields of Lambda's SQS event that this package reads, declared here so that neither it
// nor its users need @types/aws-lambda; that package's SQSEvent and SQSBatchResponse fit them.

/** A message attribute as Lambda spells it (lower camel case, unlike the SDK's). */
export interface SqsEventMessageAttribute {
  readonly dataType: string;
  readonly stringValue?: string;
  readonly binaryValue?: string;
}

/** One message of an SQS event. */
export interface SqsEventRecord {
  readonly messageId: string;
  readonly receiptHandle: string;
  readonly body: string;
  readonly attributes: {
    /** How many times the message was received, this time included (a number, as a string). */
    readonly ApproximateReceiveCount: string;
    /** FIFO queues: records of one group are handled in order. */
    readonly MessageGroupId?: string;
  };
  readonly messageAttributes: Readonly<Record<string, SqsEventMessageAttribute>>;
  /** `arn:aws:sqs:<region>:<account>:<queue name>`: tells which queue's handlers run. */
  readonly eventSourceARN: string;
  readonly awsRegion: string;
}

/** What an SQS event source mapping passes to the function. */
export interface SqsEvent {
  readonly Records: readonly SqsEventRecord[];
}

/**
 * The function's answer when the event source mapping has `ReportBatchItemFailures`: the records
 * listed stay in the queue (and come back), the others are deleted.
 */
export interface SqsBatchResponse {
  batchItemFailures: Array<{ itemIdentifier: string }>;
}

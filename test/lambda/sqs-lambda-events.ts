import type { Message } from '@aws-sdk/client-sqs';
import type { EventEnvelope } from '@nestjs-events/core';
import type { SqsEvent, SqsEventRecord } from '@nestjs-events/sqs';
import { createHash, randomUUID } from 'node:crypto';

// Builders of SQS events as Lambda delivers them, field for field (see "Using Lambda with Amazon
// SQS" in the Lambda developer guide), so the handler is tested against what it will really get.

export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';

export const queueArn = (name: string): string => `arn:aws:sqs:${REGION}:${ACCOUNT}:${name}`;

export interface RecordOptions {
  /** `ApproximateReceiveCount`: 2 and more for redeliveries. @default 1 */
  receiveCount?: number;
  /** FIFO queues: `MessageGroupId`, with the sequence number and deduplication id that come with it. */
  groupId?: string;
  /** The same message delivered again keeps its id. @default a new UUID */
  messageId?: string;
  /** Message attributes in the SDK's spelling, e.g. those the SNS publisher sets. */
  attributes?: Record<string, string>;
}

let sequence = 18_849_496_460_467_696_128n;

/** One record of an SQS event, for a message of queue `queue` with body `body`. */
export function sqsRecord(queue: string, body: string, options: RecordOptions = {}) {
  const now = Date.now();
  const record = {
    messageId: options.messageId ?? randomUUID(),
    // A new handle for every receive, as SQS gives.
    receiptHandle: `AQEB${Buffer.from(randomUUID()).toString('base64')}`,
    body,
    attributes: {
      ApproximateReceiveCount: String(options.receiveCount ?? 1),
      SentTimestamp: String(now - 1000),
      SenderId: 'AIDAIENQZJOLO23YVJ4VO',
      ApproximateFirstReceiveTimestamp: String(now - 500),
      ...(options.groupId !== undefined && {
        SequenceNumber: String(sequence++),
        MessageGroupId: options.groupId,
        MessageDeduplicationId: createHash('sha256').update(body).digest('hex'),
      }),
    },
    messageAttributes: Object.fromEntries(
      Object.entries(options.attributes ?? {}).map(([name, value]) => [
        name,
        { stringValue: value, stringListValues: [], binaryListValues: [], dataType: 'String' },
      ]),
    ),
    md5OfBody: createHash('md5').update(body).digest('hex'),
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn(queue),
    awsRegion: REGION,
  };
  // Checked against the package's types without widening the literal above.
  return record satisfies SqsEventRecord;
}

/** The same message delivered again: same id and body, next receive count, new receipt handle. */
export function redelivered(record: ReturnType<typeof sqsRecord>): ReturnType<typeof sqsRecord> {
  const receiveCount = Number(record.attributes.ApproximateReceiveCount) + 1;
  return {
    ...record,
    receiptHandle: `AQEB${Buffer.from(randomUUID()).toString('base64')}`,
    attributes: { ...record.attributes, ApproximateReceiveCount: String(receiveCount) },
  };
}

export const sqsEvent = (...records: SqsEventRecord[]): SqsEvent => ({ Records: records });

/** Message attributes the SNS publisher sets on every event. */
export function eventAttributes(event: EventEnvelope): Record<string, string> {
  return {
    'event-type': event.type,
    'event-source': event.source,
    'correlation-id': event.metadata.correlationId,
  };
}

/** The body SQS holds when SNS delivers without raw message delivery. */
export function snsNotificationBody(event: EventEnvelope, topic: string): string {
  return JSON.stringify({
    Type: 'Notification',
    MessageId: randomUUID(),
    TopicArn: `arn:aws:sns:${REGION}:${ACCOUNT}:${topic}`,
    Message: JSON.stringify(event),
    Timestamp: new Date().toISOString(),
    SignatureVersion: '1',
    Signature: Buffer.from('signature').toString('base64'),
    SigningCertURL: `https://sns.${REGION}.amazonaws.com/SimpleNotificationService-0000.pem`,
    UnsubscribeURL: `https://sns.${REGION}.amazonaws.com/?Action=Unsubscribe`,
    MessageAttributes: { 'event-type': { Type: 'String', Value: event.type } },
  });
}

/** The body SQS holds when an EventBridge rule targets the queue (as the EventBridge transport publishes). */
export function eventBridgeBody(event: EventEnvelope): string {
  const { type, source, ...detail } = event;
  return JSON.stringify({
    version: '0',
    id: randomUUID(),
    'detail-type': type,
    source,
    account: ACCOUNT,
    time: event.occurredAt.replace(/\.\d+Z$/, 'Z'),
    region: REGION,
    resources: [],
    detail,
  });
}

/** What an event source mapping makes of a message it received from `queueArn`. */
export function fromReceivedMessage(message: Message, arn: string): SqsEventRecord {
  return {
    messageId: message.MessageId!,
    receiptHandle: message.ReceiptHandle!,
    body: message.Body ?? '',
    attributes: message.Attributes as SqsEventRecord['attributes'],
    messageAttributes: Object.fromEntries(
      Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [
        name,
        {
          stringValue: value.StringValue,
          stringListValues: [],
          binaryListValues: [],
          dataType: value.DataType!,
        },
      ]),
    ),
    eventSourceARN: arn,
    awsRegion: arn.split(':')[3],
  };
}

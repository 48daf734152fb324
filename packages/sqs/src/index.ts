export { SqsTransport } from './sqs.transport';
export type { SqsPublishTargets, SqsTransportOptions } from './sqs-transport-options.interface';
export type { SqsQueueOptions } from './sqs-queue-options.interface';
export type { SqsConsumerOptions } from './consuming/sqs-consumer-options.interface';
export type { SqsConsumerStatus } from './consuming/sqs.consumer';
export type { AwsClientOptions, AwsClientTimeouts } from './client-config';
export { PoisonMessageError, type PoisonReason } from './codec/poison-message.error';
export { DEAD_LETTER_ATTRIBUTES, EVENT_ATTRIBUTES } from './codec/message-attributes';
export {
  createSqsLambdaHandler,
  type SqsLambdaApplication,
  type SqsLambdaHandler,
} from './lambda/sqs-lambda.handler';
export type {
  SqsLambdaHandlerOptions,
  SqsRecordsOptions,
} from './lambda/sqs-lambda-handler-options.interface';
export type {
  SqsBatchResponse,
  SqsEvent,
  SqsEventMessageAttribute,
  SqsEventRecord,
} from './lambda/sqs-event.interface';

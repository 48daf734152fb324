export { SnsSqsTransport } from './sns-sqs.transport';
export type {
  SnsSqsTransportOptions,
  SqsQueueOptions,
} from './sns-sqs-transport-options.interface';
export type { SqsConsumerOptions } from './consuming/sqs-consumer-options.interface';
export type { SqsConsumerStatus } from './consuming/sqs.consumer';
export type { TopicOptions } from './publishing/topic.resolver';
export { OversizeEventError, PublishError } from './publishing/publish.error';
export { TrackedPublisher, type FailedEntry } from './publishing/tracked.publisher';
export {
  PoisonMessageError,
  decodeMessage,
  type PoisonReason,
  type Wrapping,
} from './codec/message.decoder';
export { DEAD_LETTER_ATTRIBUTES, EVENT_ATTRIBUTES } from './codec/message-attributes';
export { SqsQueues, type ConsumedQueue, type ResolvedQueueOptions } from './consuming/sqs-queues';
export { deadLetterQueueName } from './sns-sqs.transport';
export { chunkBatches } from './publishing/batch.chunker';
export { mapLimited, PUBLISH_CALLS_IN_FLIGHT } from './publishing/map-limited';
export { createPublishRetry, sendWithRetry, type BatchAttempt } from './publishing/publish-retry';
export { toSnsFilterPolicy } from './provisioning/sns-filter-policy';
export {
  sqsTransportHealth,
  type ConsumerHealth,
  type PublisherHealth,
  type SqsHealthOptions,
  type SqsTransportHealthInput,
} from './health/transport-health';
export {
  MessageProcessor,
  type DeadLetterNote,
  type MessageVerdict,
  type ProcessHooks,
} from './consuming/message.processor';
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
export {
  serviceQueuePolicy,
  SqsQueueProvisioner,
  type CreatedQueue,
  type QueueWithDeadLetter,
} from './provisioning/sqs-queue.provisioner';

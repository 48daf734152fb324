/**
 * For transports that deliver into SQS (`@nestjs-events/sns`, `@nestjs-events/eventbridge`, or
 * one of your own): consume their queues through `SqsConsumption` (long polling or Lambda, retries,
 * dead letters, draining, health), read their wire format with a `MessageUnwrapper`, and provision
 * queues that their broker may send to. Applications do not need this entry point.
 */
export { SqsConsumingTransport, type TransportPublisher } from './sqs-consuming.transport';
export {
  SqsConsumption,
  type ConsumedQueue,
  type ProvisionedQueue,
  type QueueGroup,
  type ResolvedQueueOptions,
  type SqsConsumptionConfig,
} from './consuming/sqs.consumption';
export type { MessageUnwrapper, UnwrappedMessage } from './codec/message-unwrapper.interface';
export { decodeMessage, type DecoderOptions } from './codec/message.decoder';
export { snsUnwrapper } from './codec/sns.unwrapper';
export { encodeMessage, type EncodedMessage } from './codec/message.encoder';
export { batchFailures, type BatchResultError } from './publishing/batch-failures';
export {
  eventAttributes,
  MAX_MESSAGE_BYTES,
  MAX_SQS_MESSAGE_BYTES,
  messageSize,
  type StringAttribute,
} from './codec/message-attributes';
export {
  deadLetterQueueName,
  DEFAULT_MAX_RECEIVE_COUNT,
  serviceQueuePolicy,
} from './provisioning/sqs-queue.provisioner';
export { clientConfig, describeClientTarget } from './client-config';
export {
  isSqsLambdaConsumer,
  type SqsLambdaConsumer,
} from './lambda/sqs-lambda-consumer.interface';
export type { ConsumerHealth, PublisherHealth, SqsHealthOptions } from './health/transport-health';

export { SnsSqsTransport } from './sns-sqs.transport';
export type { SnsSqsTransportOptions } from './sns-sqs-transport-options.interface';
export type { TopicOptions } from './publishing/topic.resolver';
// For infrastructure code that writes the subscriptions' filter policies itself.
export { toSnsFilterPolicy } from './provisioning/sns-filter-policy';
// Queue options, and what publish throws, so that one import is enough to configure the transport.
export type { SqsConsumerOptions, SqsQueueOptions } from '@nestjs-events/sqs';
export { OversizeEventError, PublishError } from '@nestjs-events/core';

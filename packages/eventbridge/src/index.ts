export { EventBridgeTransport } from './eventbridge.transport';
export type { EventBridgeTransportOptions } from './eventbridge-transport-options.interface';
export { ReservedEventSourceError } from './publishing/reserved-source.error';
// The wire format, for producers outside Nest that publish events these handlers read.
export {
  eventBridgeUnwrapper,
  toPutEventsEntry,
  type EventDetail,
} from './envelope/eventbridge.envelope';
// For infrastructure code that writes the rules itself.
export { buildRulePattern, type RulePattern } from './provisioning/rule-pattern.builder';
export { buildQueueRulePattern } from './provisioning/queue-rule-pattern.builder';
export { translateEnvelopePattern } from './provisioning/envelope-pattern.translator';
export { ruleNameFor } from './provisioning/rule.naming';
// Queue options, and what publish throws, so that one import is enough to configure the transport.
export type { SqsConsumerOptions, SqsQueueOptions } from '@nestjs-events/sqs';
export { OversizeEventError, PublishError } from '@nestjs-events/core';

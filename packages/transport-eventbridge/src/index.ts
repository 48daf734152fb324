export { EventBridgeTransport } from './eventbridge.transport';
export type { EventBridgeTransportOptions } from './eventbridge-transport-options.interface';
export { ReservedEventSourceError } from './publishing/reserved-source.error';
export { entrySize, toPutEventsEntry, type EventDetail } from './publishing/put-events.entry';
export { buildRulePattern, type RulePattern } from './provisioning/rule-pattern.builder';
export { buildQueueRulePattern } from './provisioning/queue-rule-pattern.builder';
export { translateEnvelopePattern } from './provisioning/envelope-pattern.translator';
export { ruleNameFor } from './provisioning/rule.naming';
// Thrown by publish and needed in queue options; re-exported so that one import is enough.
export {
  OversizeEventError,
  PublishError,
  type SqsConsumerOptions,
  type SqsQueueOptions,
} from '@nestjs-events/sns-sqs';

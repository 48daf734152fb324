/**
 * The transport SPI: what a transport for `@nestjs-events/core` is given and what it may build
 * on. Applications do not need it; transport packages import it as `@nestjs-events/core/transport`.
 *
 * - the seam: `Transport`, the `EventSubscription`s it is handed at bootstrap and the
 *   `DeliveryOutcome` each delivery comes back with (the retry decision is core's); the
 *   `TransportContext` given to `start`: the monitor it reports dead letters (once written) and
 *   failures outside handlers to, and the `DeliveryLedger` that remembers which handlers are done
 *   with a message that comes back;
 * - dispatching: `SubscriptionSet` picks the subscriptions that take an event and hands it to
 *   them, with one pattern-index lookup where many handlers of its type filter on content;
 * - publishing: batching by count and bytes, bounded calls in flight, retry of failed entries
 *   only, outcome tracking for health, `PublishError` and `OversizeEventError`;
 * - consuming: `assertEventEnvelope` for what arrives from outside, type selectors for broker
 *   filters, one backoff formula, one drain-deadline race, `describeError`;
 * - `loadOptionalDependency` for SDKs loaded lazily with an install hint;
 * - topology, optional: `describeTopology` returns what the broker must hold for the handlers as
 *   plain data (the same a transport's provisioning creates), and `describeEventHandlers` reads the
 *   handlers from the module graph alone, so tools such as the CLI need no running application.
 */
export type {
  DeadLetterReason,
  DeliveryInfo,
  DeliveryLedger,
  DeliveryOutcome,
  EventSubscription,
  Transport,
  TransportContext,
  TransportHealth,
  TransportMessaging,
  TransportMonitor,
  TransportNotification,
} from './transport.interface';
export {
  INDEX_PATTERNS_FROM,
  SubscriptionSet,
  type DispatchSettle,
  type SubscriptionSetOptions,
} from '../dispatch/subscription.set';
export { chunkBatches } from './publishing/batch.chunker';
export { mapLimited, PUBLISH_CALLS_IN_FLIGHT } from './publishing/map-limited';
export {
  createPublishRetry,
  DEFAULT_PUBLISH_RETRY,
  sendWithRetry,
  type BatchAttempt,
} from './publishing/publish-retry';
export {
  TrackedPublisher,
  type BatchLimits,
  type FailedEntry,
  type OutgoingEntry,
} from './publishing/tracked.publisher';
export { OversizeEventError, PublishError } from '../errors/publish.error';
export { assertEventEnvelope } from '../bus/envelope.check';
export {
  compileTypeMatcher,
  typeSelectorValues,
  type TypeSelectorValue,
} from '../selectors/event-type-matcher';
export { backoffDelay } from '../retry/backoff';
export { describeError, stackOf } from '../errors/describe-error';
export { MAX_ERROR_TEXT, redactSecrets } from '../errors/redact-secrets';
export { settlesWithin } from '../lifecycle/settles-within';
export {
  describesTopology,
  type DescribesTopology,
  type SubscriptionOutline,
  type TopologyBus,
  type TopologyQueue,
  type TopologyQueuePolicy,
  type TopologyRequest,
  type TopologyRule,
  type TopologySubscription,
  type TopologyTopic,
  type TransportTopology,
} from './transport-topology.interface';
export {
  describeEventHandlers,
  type HandlerDescription,
} from '../discovery/describe-event-handlers';
export { loadOptionalDependency, tryLoadOptionalDependency } from '../utils/optional-dependency';

export {
  OutboxTransport,
  withOutbox,
  type OutboxTransportOptions,
} from './transport/outbox.transport';
export {
  OutboxRelay,
  type OutboxRelayMetrics,
  type OutboxRelayOptions,
} from './relay/outbox.relay';
export type {
  OutboxCounts,
  OutboxRecord,
  OutboxRow,
  OutboxRowOutcome,
  OutboxStore,
  ParkedOutboxRow,
} from './outbox-store.interface';
export { currentOutboxScope, runInOutboxScope, type OutboxScope } from './context/outbox.scope';
export { Inbox, type InboxOptions } from './inbox/inbox.decorator';
export { InboxInterceptor } from './inbox/inbox.interceptor';
export type { InboxResult, InboxStore } from './inbox/inbox-store.interface';
export {
  OutboxError,
  OutboxStoreMismatchError,
  OutboxTransactionRequiredError,
} from './outbox.errors';

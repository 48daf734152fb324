import { applyDecorators, SetMetadata, UseInterceptors, type InjectionToken } from '@nestjs/common';
import type { InboxStore } from './inbox-store.interface';
import { INBOX_METADATA, InboxInterceptor } from './inbox.interceptor';

export interface InboxOptions {
  /**
   * The store to record processed events in, or the Nest provider token to resolve it by (the
   * store's class, when it is registered as a provider of that class).
   */
  store: InboxStore | InjectionToken;
  /**
   * The name the handler's records are kept under. Keep it stable: a renamed class or method
   * would otherwise process every event again.
   * @default 'ClassName.methodName'
   */
  name?: string;
}

/**
 * Runs an `@EventHandler` method in a database transaction that also records the event as
 * processed by it (a unique key on name and event id): its database writes, the record, and the
 * events it publishes through an outbox transport commit together. A redelivery of an event that
 * committed is skipped (reported as `skipped`, reason `duplicate`); one of an event whose
 * transaction did not commit (a crash, an error) runs again from scratch. Reach the transaction
 * with the store's `current()`.
 *
 * ```ts
 * @Inbox({ store: PostgresOutboxStore })
 * @EventHandler(OrderPaid)
 * async credit(event: EventOf<typeof OrderPaid>) {
 *   await this.outbox.current().query('UPDATE accounts SET points = points + $1 …', […]);
 * }
 * ```
 */
export function Inbox(options: InboxOptions): MethodDecorator {
  if (!options?.store) {
    throw new TypeError(
      '@Inbox(): a store is required, e.g. @Inbox({ store: PostgresOutboxStore }).',
    );
  }
  return applyDecorators(SetMetadata(INBOX_METADATA, options), UseInterceptors(InboxInterceptor));
}

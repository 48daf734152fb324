import { AsyncLocalStorage } from 'node:async_hooks';
import type { OutboxStore } from '../outbox-store.interface';

/** The transaction that publishes in the current async context write to. */
export interface OutboxScope {
  readonly store: OutboxStore;
  /** The store's own handle on the transaction (a pg client, an EntityManager, a write set, …). */
  readonly transaction: unknown;
}

// One storage for every store: a publish finds the transaction whatever store opened it, and can
// tell a transaction of another store from none at all.
const storage = new AsyncLocalStorage<OutboxScope>();

/**
 * Runs `fn` with `transaction` as the outbox transaction of its async context: events published
 * in it are written through `store.append(transaction, …)`. Stores call this; users call their
 * store's `transaction` or `withTransaction`.
 */
export function runInOutboxScope<T>(scope: OutboxScope, fn: () => T): T {
  return storage.run(scope, fn);
}

/** The outbox transaction of the current async context, if any. */
export function currentOutboxScope(): OutboxScope | undefined {
  return storage.getStore();
}

import type { DeliveryLedger } from '../transport/transport.interface';
import { boundedStoreCall } from './bounded-store-call';
import { idempotencyStoreKey } from './idempotency-key';
import type { IdempotencyStore } from './idempotency-store.interface';
import type { MaybePromise } from '../utils/thenable';

export interface StoreDeliveryLedgerOptions {
  /** How long a mark lasts. */
  readonly ttlMs: number;
  /** Bound of each store call. */
  readonly operationTimeoutMs: number;
  /** True when the store is shared between instances and outlives the process. */
  readonly shared: boolean;
}

/** Attempts at setting a mark that a concurrent look-up holds for its instant. */
const MARK_ATTEMPTS = 3;

/**
 * Delivery marks in the idempotency store, one completed key per (mark, delivery), hashed like
 * handler keys (under a `delivery:` scope that no handler name can produce, as those are
 * `Class.method`). A look-up claims the key for 1 ms and releases it at once when it was free, so
 * reading leaves nothing behind; only the transports' redeliveries of shared messages read.
 */
export class StoreDeliveryLedger implements DeliveryLedger {
  readonly shared: boolean;

  constructor(
    private readonly store: IdempotencyStore,
    private readonly options: StoreDeliveryLedgerOptions,
  ) {
    this.shared = options.shared;
  }

  async marked(delivery: string, marks: readonly string[]): Promise<ReadonlySet<string>> {
    const found = new Set<string>();
    await Promise.all(
      marks.map(async (mark) => {
        const key = keyOf(delivery, mark);
        const claim = await this.call('a delivery look-up', () =>
          this.store.claim(key, { lockTtlMs: 1 }),
        );
        if (claim.status === 'completed') found.add(mark);
        else if (claim.status === 'acquired') {
          await this.call('a delivery look-up', () => this.store.release(key, claim.token));
        }
      }),
    );
    return found;
  }

  async mark(delivery: string, marks: readonly string[]): Promise<void> {
    const { ttlMs, operationTimeoutMs } = this.options;
    await Promise.all(
      marks.map(async (mark) => {
        const key = keyOf(delivery, mark);
        for (let attempt = 1; ; attempt++) {
          const claim = await this.call('a delivery mark', () =>
            this.store.claim(key, { lockTtlMs: operationTimeoutMs }),
          );
          if (claim.status === 'completed') return;
          if (claim.status === 'acquired') {
            const done = await this.call('a delivery mark', () =>
              this.store.complete(key, claim.token, { ttlMs }),
            );
            if (done) return;
          }
          if (attempt === MARK_ATTEMPTS) {
            throw new Error(
              `The idempotency store kept refusing delivery mark "${mark}" (${attempt} attempts).`,
            );
          }
          // Held for a 1 ms look-up, or lost to an expiry: the next claim finds it free.
          await new Promise((resolve) => setTimeout(resolve, 2 * attempt));
        }
      }),
    );
  }

  private call<T>(operation: string, send: () => MaybePromise<T>): T | Promise<T> {
    return boundedStoreCall(operation, this.options.operationTimeoutMs, send);
  }
}

function keyOf(delivery: string, mark: string): string {
  return idempotencyStoreKey(`delivery:${mark}`, delivery);
}

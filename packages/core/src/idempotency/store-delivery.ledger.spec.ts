import { IdempotencyStoreTimeoutError } from '../errors/idempotency.errors';
import type { IdempotencyStore } from './idempotency-store.interface';
import { MemoryIdempotencyStore } from './memory-idempotency.store';
import { StoreDeliveryLedger } from './store-delivery.ledger';

const options = { ttlMs: 60_000, operationTimeoutMs: 200, shared: false };

describe('StoreDeliveryLedger', () => {
  it('answers which of the asked marks are set on a delivery, and only on that delivery', async () => {
    const ledger = new StoreDeliveryLedger(new MemoryIdempotencyStore(), options);

    await ledger.mark('m-1', ['done:A.on', 'held-back:1']);

    expect(await ledger.marked('m-1', ['done:A.on', 'done:B.on', 'held-back:1'])).toEqual(
      new Set(['done:A.on', 'held-back:1']),
    );
    expect(await ledger.marked('m-2', ['done:A.on'])).toEqual(new Set());
  });

  it('leaves nothing behind when it reads a mark that is not set', async () => {
    const store = new MemoryIdempotencyStore();
    const ledger = new StoreDeliveryLedger(store, options);

    await ledger.marked('m-1', ['done:A.on']);
    // Marking right after the read is not held up by the read's claim.
    await ledger.mark('m-1', ['done:A.on']);

    expect(await ledger.marked('m-1', ['done:A.on'])).toEqual(new Set(['done:A.on']));
  });

  it('keeps a mark as a hashed, completed key of the idempotency store', async () => {
    const store = new MemoryIdempotencyStore();
    const claim = jest.spyOn(store, 'claim');
    const ledger = new StoreDeliveryLedger(store, options);

    await ledger.mark('e-1', ['done:A.on']);

    const [[key]] = claim.mock.calls;
    expect(key).toMatch(/^[\w-]{43}$/);
    expect(store.claim(key, { lockTtlMs: 1000 })).toMatchObject({ status: 'completed' });
  });

  it('rejects within operationTimeoutMs when the store never answers', async () => {
    const hung: IdempotencyStore = {
      claim: () => new Promise(() => undefined),
      complete: () => new Promise(() => undefined),
      release: () => new Promise(() => undefined),
      extend: () => new Promise(() => undefined),
    };
    const ledger = new StoreDeliveryLedger(hung, { ...options, operationTimeoutMs: 20 });

    await expect(ledger.marked('m-1', ['done:A.on'])).rejects.toThrow(IdempotencyStoreTimeoutError);
    await expect(ledger.mark('m-1', ['done:A.on'])).rejects.toThrow(IdempotencyStoreTimeoutError);
  });
});

import { randomUUID } from 'node:crypto';
import type { ClaimResult, IdempotencyStore } from '@nestjs-events/core';

/** A store to test, fresh or shared; every test uses keys of its own. */
export interface StoreUnderTest {
  readonly store: IdempotencyStore;
  /**
   * Moves the store's clock on; required with `clock: 'injected'`. Without it (expiry on a
   * server's clock, as in Redis) the expiry tests use short TTLs and wait for them instead.
   */
  readonly advance?: (ms: number) => void;
}

export interface ContractOptions {
  /** Whose clock decides expiry: one the test moves (`advance`), or a server's. @default 'injected' */
  clock?: 'injected' | 'server';
  /**
   * Lock and record TTL of the expiry tests with `clock: 'server'`: long enough that the claim
   * right after the first still sees it, short enough to wait for.
   * @default 400
   */
  serverTtlMs?: number;
}

const LOCK = { lockTtlMs: 60_000 };
const DONE = { ttlMs: 60_000 };
const CONCURRENCY = 50;

/**
 * Registers the behaviour every `IdempotencyStore` must have, as a describe block. `factory` is
 * called once per test.
 */
export function describeIdempotencyStoreContract(
  name: string,
  factory: () => StoreUnderTest | Promise<StoreUnderTest>,
  options: ContractOptions = {},
): void {
  const clock = options.clock ?? 'injected';
  const serverTtlMs = options.serverTtlMs ?? 400;

  describe(`${name} (IdempotencyStore contract)`, () => {
    let store: IdempotencyStore;
    let advance: ((ms: number) => void) | undefined;
    let key: (label?: string) => string;

    beforeEach(async () => {
      ({ store, advance } = await factory());
      if ((clock === 'injected') !== Boolean(advance)) {
        throw new Error(`${name}: give \`advance\` exactly when the clock is 'injected'.`);
      }
      // Unique per test, so that a shared backend needs no cleanup between tests.
      const run = randomUUID();
      key = (label = 'k') => `${run}:${label}`;
    });

    it('acquires a new key, then reports it in progress while locked', async () => {
      await expect(store.claim(key(), LOCK)).resolves.toBe('acquired');
      await expect(store.claim(key(), LOCK)).resolves.toBe('in-progress');
      await expect(store.claim(key(), LOCK)).resolves.toBe('in-progress');
    });

    it('reports a completed key as completed, every time', async () => {
      await store.claim(key(), LOCK);
      await store.complete(key(), DONE);
      await expect(store.claim(key(), LOCK)).resolves.toBe('completed');
      await expect(store.claim(key(), LOCK)).resolves.toBe('completed');
    });

    it('completes a key that was never claimed', async () => {
      await store.complete(key(), DONE);
      await expect(store.claim(key(), LOCK)).resolves.toBe('completed');
    });

    it('frees a released key for the next claim', async () => {
      await store.claim(key(), LOCK);
      await store.release(key());
      await expect(store.claim(key(), LOCK)).resolves.toBe('acquired');
      await expect(store.claim(key(), LOCK)).resolves.toBe('in-progress');
    });

    it('releases a key it has never seen without complaint', async () => {
      await expect(store.release(key('never-seen'))).resolves.toBeUndefined();
    });

    it('keeps keys apart', async () => {
      await store.claim(key('a'), LOCK);
      await store.complete(key('a'), DONE);
      await store.claim(key('b'), LOCK);
      await expect(store.claim(key('c'), LOCK)).resolves.toBe('acquired');
      await expect(store.claim(key('a'), LOCK)).resolves.toBe('completed');
      await expect(store.claim(key('b'), LOCK)).resolves.toBe('in-progress');
      await store.release(key('b'));
      await expect(store.claim(key('a'), LOCK)).resolves.toBe('completed');
      await expect(store.claim(key('c'), LOCK)).resolves.toBe('in-progress');
    });

    it('keeps a completed key when it is released', async () => {
      await store.claim(key(), LOCK);
      await store.complete(key(), DONE);
      await store.release(key());
      await expect(store.claim(key(), LOCK)).resolves.toBe('completed');
    });

    it('lets another claim acquire a key once its lock has expired', async () => {
      if (advance) {
        await expect(store.claim(key(), { lockTtlMs: 1_000 })).resolves.toBe('acquired');
        advance(999);
        await expect(store.claim(key(), LOCK)).resolves.toBe('in-progress');
        advance(1);
      } else {
        await expect(store.claim(key(), { lockTtlMs: serverTtlMs })).resolves.toBe('acquired');
        await expect(store.claim(key(), LOCK)).resolves.toBe('in-progress');
      }
      await expect(eventually(() => store.claim(key(), LOCK), 'acquired')).resolves.toBe(
        'acquired',
      );
      // The new claim holds a lock of its own TTL.
      advance?.(59_999);
      await expect(store.claim(key(), LOCK)).resolves.toBe('in-progress');
    });

    it('forgets a completed key once its TTL has passed', async () => {
      await store.claim(key(), LOCK);
      if (advance) {
        await store.complete(key(), { ttlMs: 5_000 });
        advance(4_999);
        await expect(store.claim(key(), LOCK)).resolves.toBe('completed');
        advance(1);
      } else {
        await store.complete(key(), { ttlMs: serverTtlMs });
        await expect(store.claim(key(), LOCK)).resolves.toBe('completed');
      }
      await expect(eventually(() => store.claim(key(), LOCK), 'acquired')).resolves.toBe(
        'acquired',
      );
      await expect(store.claim(key(), LOCK)).resolves.toBe('in-progress');
    });

    it(`lets exactly one of ${CONCURRENCY} concurrent claims of a key acquire it`, async () => {
      const results = await Promise.all(
        Array.from({ length: CONCURRENCY }, () => store.claim(key(), LOCK)),
      );
      expect(count(results)).toEqual({ acquired: 1, 'in-progress': CONCURRENCY - 1 });
    });

    it(`lets ${CONCURRENCY} concurrent claims of different keys all acquire`, async () => {
      const results = await Promise.all(
        Array.from({ length: CONCURRENCY }, (_, i) => store.claim(key(`k${i}`), LOCK)),
      );
      expect(count(results)).toEqual({ acquired: CONCURRENCY });
    });

    it('reports completed to every concurrent claim of a completed key', async () => {
      await store.complete(key(), DONE);
      const results = await Promise.all(
        Array.from({ length: CONCURRENCY }, () => store.claim(key(), LOCK)),
      );
      expect(count(results)).toEqual({ completed: CONCURRENCY });
    });

    if (clock === 'injected') {
      // Only a test that moves the clock knows a lock has expired without claiming it first.
      it(`lets exactly one of ${CONCURRENCY} concurrent claims take over an expired lock`, async () => {
        await store.claim(key(), { lockTtlMs: 1_000 });
        advance!(1_000);
        const results = await Promise.all(
          Array.from({ length: CONCURRENCY }, () => store.claim(key(), LOCK)),
        );
        expect(count(results)).toEqual({ acquired: 1, 'in-progress': CONCURRENCY - 1 });
      });
    }
  });
}

function count(results: ClaimResult[]): Partial<Record<ClaimResult, number>> {
  const counts: Partial<Record<ClaimResult, number>> = {};
  for (const result of results) counts[result] = (counts[result] ?? 0) + 1;
  return counts;
}

/**
 * Calls `probe` until it returns `expected`, for a state change that happens on a server's clock;
 * returns the last result after `timeoutMs`. With an injectable clock the first call succeeds.
 */
async function eventually<T>(probe: () => Promise<T>, expected: T, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let pause = 5; ; pause = Math.min(pause * 2, 50)) {
    const result = await probe();
    if (result === expected || Date.now() > deadline) return result;
    await new Promise((resolve) => setTimeout(resolve, pause));
  }
}

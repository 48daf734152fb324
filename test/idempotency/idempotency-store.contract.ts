import { randomUUID } from 'node:crypto';
import {
  IdempotencyConflictError,
  type ClaimOptions,
  type ClaimResult,
  type EventEnvelope,
  type HandlingContext,
  type IdempotencyStore,
} from '@nestjs-events/core';
// The runner itself is internal to core; the contract drives it as the dispatcher does.
import { IdempotentRunner } from '../../packages/core/src/idempotency/idempotent.runner';
import { resolveIdempotencyOptions } from '../../packages/core/src/idempotency/resolve-idempotency-options';
import { promiseOf } from '../../packages/core/src/utils/thenable';

type Status = ClaimResult['status'];

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

/** An `IdempotencyStore` whose every answer is a promise. */
type AnswersLater = {
  [M in keyof IdempotencyStore]: (
    ...args: Parameters<IdempotencyStore[M]>
  ) => Promise<Awaited<ReturnType<IdempotencyStore[M]>>>;
};

function answersLater(store: IdempotencyStore): AnswersLater {
  return {
    claim: async (key, options) => store.claim(key, options),
    complete: async (key, token, options) => store.complete(key, token, options),
    release: async (key, token) => store.release(key, token),
    extend: async (key, token, options) => store.extend(key, token, options),
  };
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
    /** The store as given, which the runner drives. */
    let given: IdempotencyStore;
    /** The same store, its answers read as promises (a store may answer synchronously). */
    let store: AnswersLater;
    let advance: ((ms: number) => void) | undefined;
    let key: (label?: string) => string;

    beforeEach(async () => {
      ({ store: given, advance } = await factory());
      store = answersLater(given);
      if ((clock === 'injected') !== Boolean(advance)) {
        throw new Error(`${name}: give \`advance\` exactly when the clock is 'injected'.`);
      }
      // Unique per test, so that a shared backend needs no cleanup between tests.
      const run = randomUUID();
      key = (label = 'k') => `${run}:${label}`;
    });

    /** Claims `k` and returns its token, failing the test when it is not acquired. */
    async function acquire(k: string, options: ClaimOptions = LOCK): Promise<string> {
      const result = await store.claim(k, options);
      if (result.status !== 'acquired') throw new Error(`expected acquired, got ${result.status}`);
      expect(result.token).toEqual(expect.any(String));
      return result.token;
    }
    const status = async (k: string, options: ClaimOptions = LOCK) =>
      (await store.claim(k, options)).status;

    it('acquires a new key with a token, then reports it in progress while locked', async () => {
      await acquire(key());
      await expect(store.claim(key(), LOCK)).resolves.toEqual({ status: 'in-progress' });
      await expect(status(key())).resolves.toBe('in-progress');
    });

    it('draws a new token for every claim', async () => {
      const first = await acquire(key('a'));
      const second = await acquire(key('b'));
      expect(first).not.toBe(second);
    });

    it('reports a completed key as completed, every time', async () => {
      const token = await acquire(key());
      await expect(store.complete(key(), token, DONE)).resolves.toBe(true);
      await expect(store.claim(key(), LOCK)).resolves.toEqual({ status: 'completed' });
      await expect(status(key())).resolves.toBe('completed');
    });

    it('answers a repeated complete by the same token with true, and changes nothing', async () => {
      const token = await acquire(key());
      await store.complete(key(), token, DONE);
      await expect(store.complete(key(), token, DONE)).resolves.toBe(true);
      await expect(status(key())).resolves.toBe('completed');
    });

    it('does not complete a key that was never claimed', async () => {
      await expect(store.complete(key(), 'no-such-token', DONE)).resolves.toBe(false);
      await expect(status(key())).resolves.toBe('acquired');
    });

    it('does nothing when complete, release or extend come with a wrong token', async () => {
      const token = await acquire(key());
      await expect(store.complete(key(), `${token}x`, DONE)).resolves.toBe(false);
      await expect(store.release(key(), 'other')).resolves.toBe(false);
      await expect(store.extend(key(), 'other', LOCK)).resolves.toBe(false);
      await expect(status(key())).resolves.toBe('in-progress');
      // The holder still holds it.
      await expect(store.complete(key(), token, DONE)).resolves.toBe(true);
      await expect(status(key())).resolves.toBe('completed');
    });

    it('frees a released key for the next claim', async () => {
      const token = await acquire(key());
      await expect(store.release(key(), token)).resolves.toBe(true);
      await acquire(key());
      await expect(status(key())).resolves.toBe('in-progress');
    });

    it('releases a key it has never seen without complaint, and says it did nothing', async () => {
      await expect(store.release(key('never-seen'), 'token')).resolves.toBe(false);
    });

    it('keeps a completed key when it is released, even by the token that completed it', async () => {
      const token = await acquire(key());
      await store.complete(key(), token, DONE);
      await expect(store.release(key(), token)).resolves.toBe(false);
      await expect(status(key())).resolves.toBe('completed');
    });

    it('keeps keys apart', async () => {
      const a = await acquire(key('a'));
      await store.complete(key('a'), a, DONE);
      const b = await acquire(key('b'));
      await acquire(key('c'));
      await expect(status(key('a'))).resolves.toBe('completed');
      await expect(status(key('b'))).resolves.toBe('in-progress');
      await store.release(key('b'), b);
      await expect(status(key('a'))).resolves.toBe('completed');
      await expect(status(key('c'))).resolves.toBe('in-progress');
      // A token is only good for its own key.
      await expect(store.complete(key('c'), a, DONE)).resolves.toBe(false);
    });

    it('returns the fingerprint a key was claimed with, locked and completed', async () => {
      const token = await acquire(key(), { ...LOCK, fingerprint: 'fp-1' });
      await expect(store.claim(key(), { ...LOCK, fingerprint: 'fp-2' })).resolves.toEqual({
        status: 'in-progress',
        fingerprint: 'fp-1',
      });
      await store.complete(key(), token, DONE);
      await expect(store.claim(key(), LOCK)).resolves.toEqual({
        status: 'completed',
        fingerprint: 'fp-1',
      });
    });

    it('renews a lock for its holder: extend sets a new expiry from now', async () => {
      if (advance) {
        const token = await acquire(key(), { lockTtlMs: 1_000 });
        advance(900);
        await expect(store.extend(key(), token, { lockTtlMs: 1_000 })).resolves.toBe(true);
        advance(900);
        await expect(status(key())).resolves.toBe('in-progress');
        advance(100);
        await expect(status(key())).resolves.toBe('acquired');
      } else {
        // A long lock shortened by extend: the claim after it proves the new expiry was set.
        const token = await acquire(key());
        await expect(store.extend(key(), token, { lockTtlMs: serverTtlMs })).resolves.toBe(true);
        await expect(status(key())).resolves.toBe('in-progress');
        await expect(eventually(() => status(key()), 'acquired')).resolves.toBe('acquired');
      }
    });

    it('does not extend a completed key', async () => {
      const token = await acquire(key());
      await store.complete(key(), token, DONE);
      await expect(store.extend(key(), token, LOCK)).resolves.toBe(false);
      await expect(status(key())).resolves.toBe('completed');
    });

    it('lets another claim acquire a key once its lock has expired, and shuts the old holder out', async () => {
      let stale: string;
      if (advance) {
        stale = await acquire(key(), { lockTtlMs: 1_000 });
        advance(999);
        await expect(status(key())).resolves.toBe('in-progress');
        advance(1);
      } else {
        stale = await acquire(key(), { lockTtlMs: serverTtlMs });
        await expect(status(key())).resolves.toBe('in-progress');
      }
      const taken = await eventually(() => store.claim(key(), LOCK), 'acquired');
      expect(taken.status).toBe('acquired');
      // The holder whose lock expired can neither renew, release nor complete the new lock.
      await expect(store.extend(key(), stale, LOCK)).resolves.toBe(false);
      await expect(store.release(key(), stale)).resolves.toBe(false);
      await expect(store.complete(key(), stale, DONE)).resolves.toBe(false);
      // The new claim holds a lock of its own TTL.
      advance?.(59_999);
      await expect(status(key())).resolves.toBe('in-progress');
      await expect(store.complete(key(), (taken as { token: string }).token, DONE)).resolves.toBe(
        true,
      );
    });

    it('refuses to complete or extend an expired lock, even for its holder', async () => {
      if (!advance) {
        const token = await acquire(key(), { lockTtlMs: serverTtlMs });
        // Renewing to 1 ms until a renewal is refused: the lock has expired, on the server's clock.
        await expect(
          eventually(() => store.extend(key(), token, { lockTtlMs: 1 }), false),
        ).resolves.toBe(false);
        await expect(store.complete(key(), token, DONE)).resolves.toBe(false);
        return;
      }
      const token = await acquire(key(), { lockTtlMs: 1_000 });
      advance(1_000);
      await expect(store.extend(key(), token, LOCK)).resolves.toBe(false);
      await expect(store.complete(key(), token, DONE)).resolves.toBe(false);
      await expect(status(key())).resolves.toBe('acquired');
    });

    it('forgets a completed key once its TTL has passed', async () => {
      const token = await acquire(key());
      if (advance) {
        await store.complete(key(), token, { ttlMs: 5_000 });
        advance(4_999);
        await expect(status(key())).resolves.toBe('completed');
        advance(1);
      } else {
        await store.complete(key(), token, { ttlMs: serverTtlMs });
        await expect(status(key())).resolves.toBe('completed');
      }
      await expect(eventually(() => status(key()), 'acquired')).resolves.toBe('acquired');
      await expect(status(key())).resolves.toBe('in-progress');
    });

    it(`lets exactly one of ${CONCURRENCY} concurrent claims of a key acquire it`, async () => {
      const results = await Promise.all(Array.from({ length: CONCURRENCY }, () => status(key())));
      expect(count(results)).toEqual({ acquired: 1, 'in-progress': CONCURRENCY - 1 });
    });

    it(`lets ${CONCURRENCY} concurrent claims of different keys all acquire`, async () => {
      const results = await Promise.all(
        Array.from({ length: CONCURRENCY }, (_, i) => status(key(`k${i}`))),
      );
      expect(count(results)).toEqual({ acquired: CONCURRENCY });
    });

    it('reports completed to every concurrent claim of a completed key', async () => {
      await store.complete(key(), await acquire(key()), DONE);
      const results = await Promise.all(Array.from({ length: CONCURRENCY }, () => status(key())));
      expect(count(results)).toEqual({ completed: CONCURRENCY });
    });

    if (clock === 'injected') {
      // Only a test that moves the clock knows a lock has expired without claiming it first.
      it(`lets exactly one of ${CONCURRENCY} concurrent claims take over an expired lock`, async () => {
        await store.claim(key(), { lockTtlMs: 1_000 });
        advance!(1_000);
        const results = await Promise.all(Array.from({ length: CONCURRENCY }, () => status(key())));
        expect(count(results)).toEqual({ acquired: 1, 'in-progress': CONCURRENCY - 1 });
      });
    }

    describe('behind IdempotentRunner (the keys a store is really given)', () => {
      const options = resolveIdempotencyOptions('contract', { lockTtlMs: 60_000 });
      const handling = (id: string, data: unknown = { n: 1 }): HandlingContext => ({
        event: { id, type: 'contract.test', data } as EventEnvelope,
        handler: 'Contract.handle',
        attempt: 1,
      });

      it('handles a 100 KiB event id once, under a key of bounded size', async () => {
        const runner = new IdempotentRunner(given);
        const id = `${key()}:${'x'.repeat(100 * 1024)}`;
        const work = jest.fn();
        await runner.run(handling(id), options, work);
        const again = handling(id);
        await runner.run(again, options, work);
        expect(work).toHaveBeenCalledTimes(1);
        expect(again.skipped).toBe('duplicate');
      });

      it('keeps event ids apart that differ only in a lone surrogate', async () => {
        const runner = new IdempotentRunner(given);
        const work = jest.fn();
        for (const id of [`${key()}\ud800`, `${key()}\udc00`, `${key()}\ufffd`]) {
          const context = handling(id);
          await runner.run(context, options, work);
          expect(context.skipped).toBeUndefined();
        }
        expect(work).toHaveBeenCalledTimes(3);
      });

      it('answers a duplicate with other data with IdempotencyConflictError', async () => {
        const runner = new IdempotentRunner(given);
        await runner.run(handling(key(), { n: 1 }), options, jest.fn());
        await expect(
          promiseOf(() => runner.run<unknown>(handling(key(), { n: 2 }), options, jest.fn())),
        ).rejects.toBeInstanceOf(IdempotencyConflictError);
      });
    });
  });
}

function count(results: Status[]): Partial<Record<Status, number>> {
  const counts: Partial<Record<Status, number>> = {};
  for (const result of results) counts[result] = (counts[result] ?? 0) + 1;
  return counts;
}

/**
 * Calls `probe` until it returns `expected` (or a claim result of that status), for a state change that happens on a server's clock;
 * returns the last result after `timeoutMs`. With an injectable clock the first call succeeds.
 */
async function eventually<T>(
  probe: () => Promise<T>,
  expected: T extends { status: infer S } ? S : T,
  timeoutMs = 5_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let pause = 5; ; pause = Math.min(pause * 2, 50)) {
    const result = await probe();
    const seen =
      typeof result === 'object' && result !== null && 'status' in result ? result.status : result;
    if (seen === expected || Date.now() > deadline) return result;
    await new Promise((resolve) => setTimeout(resolve, pause));
  }
}

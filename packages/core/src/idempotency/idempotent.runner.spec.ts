import type { HandlingContext } from '../context/event-context';
import {
  IdempotencyConflictError,
  IdempotencyLockLostError,
  IdempotencyStoreTimeoutError,
} from '../errors/idempotency.errors';
import { NonRetryableError } from '../errors/non-retryable.error';
import type { EventEnvelope } from '../interfaces/event-envelope.interface';
import { idempotencyStoreKey, payloadFingerprint } from './idempotency-key';
import type { ClaimResult, IdempotencyStore } from './idempotency-store.interface';
import { IdempotentRunner } from './idempotent.runner';
import { promiseOf } from '../utils/thenable';
import { MemoryIdempotencyStore } from './memory-idempotency.store';
import {
  resolveIdempotencyOptions,
  type ResolvedIdempotencyOptions,
} from './resolve-idempotency-options';

const OPTIONS = resolveIdempotencyOptions('test');
const KEY = idempotencyStoreKey('Points.credit', 'e-1');

function handling(id = 'e-1', data: unknown = { points: 10 }): HandlingContext {
  return {
    event: { id, type: 'order.paid', data } as EventEnvelope,
    handler: 'Points.credit',
    attempt: 1,
  };
}

/** A store whose every method is a mock over a memory store, to script or count calls. */
function spiedStore() {
  const memory = new MemoryIdempotencyStore();
  // Typed as the interface (an answer now or a promise), so a test may script either.
  const store = {
    claim: jest.fn<ReturnType<IdempotencyStore['claim']>, Parameters<IdempotencyStore['claim']>>(
      (key, options) => memory.claim(key, options),
    ),
    complete: jest.fn<
      ReturnType<IdempotencyStore['complete']>,
      Parameters<IdempotencyStore['complete']>
    >((key, token, options) => memory.complete(key, token, options)),
    release: jest.fn<
      ReturnType<IdempotencyStore['release']>,
      Parameters<IdempotencyStore['release']>
    >((key, token) => memory.release(key, token)),
    extend: jest.fn<ReturnType<IdempotencyStore['extend']>, Parameters<IdempotencyStore['extend']>>(
      (key, token, options) => memory.extend(key, token, options),
    ),
  } satisfies IdempotencyStore;
  return { store, memory };
}

/** The runner's answer as a promise, whether it came at once (a store in memory) or later. */
function runOn<T>(
  runner: IdempotentRunner,
  context: HandlingContext,
  options: ResolvedIdempotencyOptions,
  work: () => T | Promise<T>,
): Promise<T | undefined> {
  return promiseOf(() => runner.run(context, options, work));
}

/** Work that takes `ms` of (fake) time. */
function slowWork(ms: number) {
  return jest.fn(() => new Promise<string>((resolve) => setTimeout(() => resolve('done'), ms)));
}

describe('IdempotentRunner', () => {
  afterEach(() => {
    jest.useRealTimers();
    jest.restoreAllMocks();
  });

  it('lets a retry claim the key once the run is abandoned at its timeout, and records nothing for the abandoned run', async () => {
    const { store, memory } = spiedStore();
    const runner = new IdempotentRunner(store);
    let finish!: () => void;
    const hung = handling();
    const running = runOn(runner, hung, OPTIONS, () => new Promise<void>((r) => (finish = r)));
    await new Promise(setImmediate);

    hung.abandon!();
    await new Promise(setImmediate);
    const retry = memory.claim(KEY, { lockTtlMs: 1000 });
    expect(retry.status).toBe('acquired');

    finish();
    await expect(running).rejects.toThrow(IdempotencyLockLostError);
    expect(store.complete).not.toHaveBeenCalled();
  });

  it('answers at once, with no promise, when the store and the work are synchronous', () => {
    const runner = new IdempotentRunner(new MemoryIdempotencyStore());
    const work = jest.fn(() => 'done');
    expect(runner.run(handling(), OPTIONS, work)).toBe('done');
    const again = handling();
    expect(runner.run(again, OPTIONS, work)).toBeUndefined();
    expect(again.skipped).toBe('duplicate');
    const failing = handling('e-2');
    const failure = new Error('handler failed');
    expect(() =>
      runner.run(failing, OPTIONS, () => {
        throw failure;
      }),
    ).toThrow(failure);
    // Released at once: the retry runs.
    expect(runner.run(handling('e-2'), OPTIONS, work)).toBe('done');
    expect(work).toHaveBeenCalledTimes(2);
  });

  it('bounds a store that answers later, and gives the answer as a promise', async () => {
    const { store } = spiedStore();
    const memory = new MemoryIdempotencyStore();
    store.claim.mockImplementation((key, options) => Promise.resolve(memory.claim(key, options)));
    store.complete.mockResolvedValue(true);
    const answer = new IdempotentRunner(store).run(handling(), OPTIONS, () => 'done');
    expect(answer).toBeInstanceOf(Promise);
    await expect(answer).resolves.toBe('done');
  });

  it('runs the work once per key, and marks later deliveries as duplicates', async () => {
    const runner = new IdempotentRunner(new MemoryIdempotencyStore());
    const work = jest.fn(() => 'done');
    await expect(runOn(runner, handling(), OPTIONS, work)).resolves.toBe('done');
    const again = handling();
    await expect(runOn(runner, again, OPTIONS, work)).resolves.toBeUndefined();
    expect(work).toHaveBeenCalledTimes(1);
    expect(again.skipped).toBe('duplicate');
  });

  it('claims a hash of handler and key, with the fingerprint of the data', async () => {
    const { store } = spiedStore();
    await runOn(new IdempotentRunner(store), handling(), OPTIONS, () => undefined);
    expect(store.claim).toHaveBeenCalledWith(KEY, {
      lockTtlMs: OPTIONS.lockTtlMs,
      fingerprint: payloadFingerprint({ points: 10 }),
    });
    expect(KEY).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(idempotencyStoreKey('Points.debit', 'e-1')).not.toBe(KEY);
  });

  it('runs events whose data has undefined members, as in-process events may', async () => {
    const runner = new IdempotentRunner(new MemoryIdempotencyStore());
    const work = jest.fn();
    await runOn(runner, handling('e-1', { points: 10, note: undefined }), OPTIONS, work);
    await runOn(runner, handling('e-1', { points: 10 }), OPTIONS, work);
    // Alike once undefined is dropped: the second delivery is a duplicate, not a conflict.
    expect(work).toHaveBeenCalledTimes(1);
  });

  it('gives the store a key of the same size for a 100 KiB event id', async () => {
    const { store } = spiedStore();
    const id = 'x'.repeat(100 * 1024);
    await runOn(new IdempotentRunner(store), handling(id), OPTIONS, () => undefined);
    expect(store.claim.mock.calls[0][0]).toHaveLength(43);
  });

  it('keeps ids apart that differ only in a lone surrogate', async () => {
    const runner = new IdempotentRunner(new MemoryIdempotencyStore());
    const work = jest.fn();
    // Both become "a\uFFFD" once encoded as UTF-8.
    await runOn(runner, handling('a\ud800'), OPTIONS, work);
    await runOn(runner, handling('a\udc00'), OPTIONS, work);
    expect(work).toHaveBeenCalledTimes(2);
    expect(idempotencyStoreKey('h', 'a\ud800')).not.toBe(idempotencyStoreKey('h', 'a\udc00'));
    // A handler name cannot run into the key.
    expect(idempotencyStoreKey('a', ':b')).not.toBe(idempotencyStoreKey('a:', 'b'));
  });

  it('releases the key when the work fails, so that a retry runs it', async () => {
    const { store } = spiedStore();
    const runner = new IdempotentRunner(store);
    const failure = new Error('first try fails');
    await expect(runOn(runner, handling(), OPTIONS, () => Promise.reject(failure))).rejects.toBe(
      failure,
    );
    const token = (await store.claim.mock.results[0].value) as { token: string };
    expect(store.release).toHaveBeenCalledWith(KEY, token.token);
    const work = jest.fn();
    await runOn(runner, handling(), OPTIONS, work);
    expect(work).toHaveBeenCalledTimes(1);
  });

  it('releases the key when the work was skipped (a guard denied it), so that it may run later', async () => {
    const runner = new IdempotentRunner(new MemoryIdempotencyStore());
    const denied = handling();
    await runOn(runner, denied, OPTIONS, () => void (denied.skipped = 'guard'));
    const work = jest.fn();
    const allowed = handling();
    await runOn(runner, allowed, OPTIONS, work);
    expect(work).toHaveBeenCalledTimes(1);
    expect(allowed.skipped).toBeUndefined();
  });

  it('waits while another delivery holds the key, then runs once it is released', async () => {
    const results: ClaimResult[] = [
      { status: 'in-progress' },
      { status: 'in-progress' },
      { status: 'acquired', token: 't' },
    ];
    const { store } = spiedStore();
    store.claim.mockImplementation(() =>
      Promise.resolve(results[store.claim.mock.calls.length - 1]),
    );
    store.complete.mockResolvedValue(true);
    // The jittered wait drawn at its bottom: no time passes between polls.
    jest.spyOn(Math, 'random').mockReturnValue(0);
    const work = jest.fn();
    await runOn(new IdempotentRunner(store), handling(), OPTIONS, work);
    expect(store.claim).toHaveBeenCalledTimes(3);
    expect(work).toHaveBeenCalledTimes(1);
    expect(store.complete).toHaveBeenCalledWith(KEY, 't', { ttlMs: OPTIONS.ttlMs });
  });

  it('skips at once when the key is in progress and whenInProgress is skip', async () => {
    const store = new MemoryIdempotencyStore();
    store.claim(KEY, { lockTtlMs: 60_000 });
    const context = handling();
    const work = jest.fn();
    await runOn(
      new IdempotentRunner(store),
      context,
      resolveIdempotencyOptions('test', { whenInProgress: 'skip' }),
      work,
    );
    expect(work).not.toHaveBeenCalled();
    expect(context.skipped).toBe('duplicate');
  });

  it('gives up waiting for another holder after twice lockTtlMs, so that the delivery is retried', async () => {
    jest.useFakeTimers();
    const store = new MemoryIdempotencyStore();
    // Held elsewhere for longer than anyone waits for it.
    store.claim(KEY, { lockTtlMs: 60_000 });
    // The jittered waits drawn at their ceiling: polls at 10, 30, 70, … 310, 630 ms.
    jest.spyOn(Math, 'random').mockReturnValue(0.999);
    const work = jest.fn();
    const waiting = runOn(
      new IdempotentRunner(store),
      handling(),
      resolveIdempotencyOptions('test', { lockTtlMs: 300 }),
      work,
    );
    const settled = jest.fn();
    waiting.then(settled, settled);
    await jest.advanceTimersByTimeAsync(550);
    expect(settled).not.toHaveBeenCalled();
    // The first poll past 600 ms gives up.
    await jest.advanceTimersByTimeAsync(1_100);
    await expect(waiting).rejects.toThrow(/stayed in progress elsewhere for over 600 ms/);
    expect(work).not.toHaveBeenCalled();
  });

  it('refuses a key function that returns no key', async () => {
    const runner = new IdempotentRunner(new MemoryIdempotencyStore());
    const options = resolveIdempotencyOptions('test', { key: () => '' });
    await expect(runOn(runner, handling(), options, () => undefined)).rejects.toThrow(
      /key function returned "" for event e-1/,
    );
  });

  describe('keeping the lock while the work runs', () => {
    const LOCK = resolveIdempotencyOptions('test', { lockTtlMs: 300 });

    it('renews the lock every third of lockTtlMs, so that work three times as long keeps it', async () => {
      jest.useFakeTimers();
      const { store } = spiedStore();
      const runner = new IdempotentRunner(store);
      const work = slowWork(900);
      const first = runOn(runner, handling(), LOCK, work);
      await jest.advanceTimersByTimeAsync(850);
      // A duplicate arriving now, after the first lock period, still finds the key held.
      const duplicate = handling();
      const second = runOn(
        runner,
        duplicate,
        resolveIdempotencyOptions('test', { lockTtlMs: 300, whenInProgress: 'skip' }),
        work,
      );
      await jest.advanceTimersByTimeAsync(100);
      await expect(first).resolves.toBe('done');
      await expect(second).resolves.toBeUndefined();
      expect(duplicate.skipped).toBe('duplicate');
      expect(work).toHaveBeenCalledTimes(1);
      expect(store.extend.mock.calls.length).toBeGreaterThanOrEqual(8);
      expect(store.extend).toHaveBeenCalledWith(KEY, expect.any(String), { lockTtlMs: 300 });
      expect(store.complete).toHaveBeenCalledTimes(1);
      // Nothing renews after the work is done.
      const renewals = store.extend.mock.calls.length;
      await jest.advanceTimersByTimeAsync(1_000);
      expect(store.extend).toHaveBeenCalledTimes(renewals);
    });

    it('renews the locks held at once with one timer, and none that finish within a third of lockTtlMs', async () => {
      jest.useFakeTimers();
      const { store } = spiedStore();
      const runner = new IdempotentRunner(store);
      const quick = Array.from({ length: 50 }, (_, i) =>
        runOn(runner, handling(`quick-${i}`), LOCK, slowWork(90)),
      );
      const slow = Array.from({ length: 50 }, (_, i) =>
        runOn(runner, handling(`slow-${i}`), LOCK, slowWork(450)),
      );
      await jest.advanceTimersByTimeAsync(0);
      // 100 work timers and one renewal timer for the 100 locks.
      expect(jest.getTimerCount()).toBe(101);
      await jest.advanceTimersByTimeAsync(95);
      await Promise.all(quick);
      expect(store.extend).not.toHaveBeenCalled();
      await jest.advanceTimersByTimeAsync(400);
      await expect(Promise.all(slow)).resolves.toEqual(Array(50).fill('done'));
      const renewed = new Set(store.extend.mock.calls.map(([key]) => key));
      expect(renewed.size).toBe(50);
      // Each slow lock renewed every third to half of lockTtlMs: 3 or 4 times in 450 ms.
      expect(store.extend.mock.calls.length).toBeGreaterThanOrEqual(150);
      expect(store.extend.mock.calls.length).toBeLessThanOrEqual(200);
      expect(jest.getTimerCount()).toBe(0);
    });

    it('records nothing and fails the delivery when a renewal is refused (the lock was lost)', async () => {
      jest.useFakeTimers();
      const { store } = spiedStore();
      store.extend.mockResolvedValue(false);
      const outcome = runOn(new IdempotentRunner(store), handling(), LOCK, slowWork(900));
      const settled = outcome.catch((error: unknown) => error);
      await jest.advanceTimersByTimeAsync(900);
      const error = await settled;
      expect(error).toBeInstanceOf(IdempotencyLockLostError);
      expect(error).not.toBeInstanceOf(NonRetryableError);
      expect((error as Error).message).toMatch(/lost the idempotency lock on event e-1/);
      expect(store.complete).not.toHaveBeenCalled();
      // One refusal is enough: it does not keep asking.
      expect(store.extend).toHaveBeenCalledTimes(1);
    });

    it('keeps the lock through a renewal that fails while the lock is still valid', async () => {
      jest.useFakeTimers();
      const { store, memory } = spiedStore();
      store.extend
        .mockRejectedValueOnce(new Error('ECONNRESET'))
        .mockImplementation((key, token, options) => memory.extend(key, token, options));
      const outcome = runOn(new IdempotentRunner(store), handling(), LOCK, slowWork(900));
      await jest.advanceTimersByTimeAsync(900);
      await expect(outcome).resolves.toBe('done');
      expect(store.complete).toHaveBeenCalledTimes(1);
    });

    it('loses the lock when renewals fail past its expiry', async () => {
      jest.useFakeTimers();
      const { store } = spiedStore();
      store.extend.mockRejectedValue(new Error('ECONNREFUSED'));
      const outcome = runOn(new IdempotentRunner(store), handling(), LOCK, slowWork(900));
      const settled = outcome.catch((error: unknown) => error);
      await jest.advanceTimersByTimeAsync(900);
      const error = await settled;
      expect(error).toBeInstanceOf(IdempotencyLockLostError);
      expect((error as Error).message).toMatch(/renewals failed until it expired.*ECONNREFUSED/);
      expect(store.complete).not.toHaveBeenCalled();
    });

    it('fails the delivery when complete is refused (another delivery holds the key)', async () => {
      const { store } = spiedStore();
      store.complete.mockResolvedValue(false);
      await expect(
        runOn(new IdempotentRunner(store), handling(), OPTIONS, () => 'done'),
      ).rejects.toBeInstanceOf(IdempotencyLockLostError);
    });

    it('does not let a holder whose lock expired release the lock of the one that took over', async () => {
      jest.useFakeTimers();
      const store = new MemoryIdempotencyStore();
      // The first holder's renewals never reach the store (it is partitioned from it).
      const partitioned: IdempotencyStore = {
        claim: (key, options) => store.claim(key, options),
        complete: (key, token, options) => store.complete(key, token, options),
        release: (key, token) => store.release(key, token),
        extend: () => Promise.reject(new Error('ETIMEDOUT')),
      };
      const first = runOn(
        new IdempotentRunner(partitioned),
        handling(),
        LOCK,
        () => new Promise((_, reject) => setTimeout(() => reject(new Error('boom')), 600)),
      );
      const firstSettled = first.catch((error: unknown) => error);
      await jest.advanceTimersByTimeAsync(300);
      const secondWork = slowWork(600);
      const second = runOn(new IdempotentRunner(store), handling(), LOCK, secondWork);
      await jest.advanceTimersByTimeAsync(300);
      await expect(firstSettled).resolves.toThrow('boom');
      // The first one's release did nothing: a third delivery finds the second one's lock.
      const third = handling();
      await runOn(
        new IdempotentRunner(store),
        third,
        resolveIdempotencyOptions('test', { lockTtlMs: 300, whenInProgress: 'skip' }),
        jest.fn(),
      );
      expect(third.skipped).toBe('duplicate');
      await jest.advanceTimersByTimeAsync(300);
      await expect(second).resolves.toBe('done');
      expect(secondWork).toHaveBeenCalledTimes(1);
    });
  });

  describe('payload fingerprints', () => {
    it('fails a delivery whose data differs from the first with a non-retryable conflict', async () => {
      const runner = new IdempotentRunner(new MemoryIdempotencyStore());
      await runOn(runner, handling('e-1', { points: 10, card: '4111-secret' }), OPTIONS, jest.fn());
      const work = jest.fn();
      const error = await runOn(
        runner,
        handling('e-1', { points: 99, card: '4111-secret' }),
        OPTIONS,
        work,
      ).catch((caught: unknown) => caught);
      expect(work).not.toHaveBeenCalled();
      expect(error).toBeInstanceOf(IdempotencyConflictError);
      expect(error).toBeInstanceOf(NonRetryableError);
      expect((error as Error).name).toBe('IdempotencyConflictError');
      expect((error as Error).message).toContain('Points.credit');
      expect((error as Error).message).toContain(KEY);
      expect((error as Error).message).toMatch(/fingerprint/);
      expect((error as Error).message).not.toMatch(/4111|99/);
    });

    it('answers a conflict while the first delivery is still in progress', async () => {
      const store = new MemoryIdempotencyStore();
      store.claim(KEY, { lockTtlMs: 60_000, fingerprint: payloadFingerprint({ points: 1 }) });
      await expect(
        runOn(new IdempotentRunner(store), handling('e-1', { points: 2 }), OPTIONS, jest.fn()),
      ).rejects.toBeInstanceOf(IdempotencyConflictError);
    });

    it('treats the same data in another key order as a duplicate', async () => {
      const runner = new IdempotentRunner(new MemoryIdempotencyStore());
      await runOn(
        runner,
        handling('e-1', { a: 1, b: { c: [1, { d: 2, e: 3 }] } }),
        OPTIONS,
        jest.fn(),
      );
      const again = handling('e-1', { b: { c: [1, { e: 3, d: 2 }] }, a: 1 });
      await runOn(runner, again, OPTIONS, jest.fn());
      expect(again.skipped).toBe('duplicate');
    });

    it('compares what the fingerprint option selects, or nothing with false', async () => {
      const runner = new IdempotentRunner(new MemoryIdempotencyStore());
      const selected = resolveIdempotencyOptions('test', {
        fingerprint: (event) => (event.data as { points: number }).points,
      });
      await runOn(runner, handling('e-1', { points: 1, at: 'monday' }), selected, jest.fn());
      const sameSelection = handling('e-1', { points: 1, at: 'tuesday' });
      await runOn(runner, sameSelection, selected, jest.fn());
      expect(sameSelection.skipped).toBe('duplicate');
      await expect(
        runOn(runner, handling('e-1', { points: 2 }), selected, jest.fn()),
      ).rejects.toBeInstanceOf(IdempotencyConflictError);

      // A custom key groups events on purpose: no check unless a fingerprint is selected.
      const byOrder = resolveIdempotencyOptions('test', { key: () => 'order-1' });
      await runOn(runner, handling('e-7', { points: 1 }), byOrder, jest.fn());
      const sameOrder = handling('e-8', { points: 5 });
      await runOn(runner, sameOrder, byOrder, jest.fn());
      expect(sameOrder.skipped).toBe('duplicate');

      const unchecked = handling('e-1', { points: 3 });
      await runOn(
        runner,
        unchecked,
        resolveIdempotencyOptions('test', { fingerprint: false }),
        jest.fn(),
      );
      expect(unchecked.skipped).toBe('duplicate');
    });
  });

  describe('bounded store calls', () => {
    it('fails the delivery (the work never runs) when a claim does not answer in time', async () => {
      jest.useFakeTimers();
      const { store } = spiedStore();
      store.claim.mockReturnValue(new Promise(() => undefined));
      const work = jest.fn();
      const outcome = runOn(
        new IdempotentRunner(store),
        handling(),
        resolveIdempotencyOptions('test', { operationTimeoutMs: 2_000 }),
        work,
      ).catch((error: unknown) => error);
      await jest.advanceTimersByTimeAsync(2_000);
      const error = await outcome;
      expect(error).toBeInstanceOf(IdempotencyStoreTimeoutError);
      expect((error as Error).message).toMatch(/did not answer claim within 2000 ms/);
      expect(work).not.toHaveBeenCalled();
    });

    it('does not hang on a release that never answers', async () => {
      jest.useFakeTimers();
      const { store } = spiedStore();
      store.release.mockReturnValue(new Promise(() => undefined));
      const failure = new Error('handler failed');
      const outcome = runOn(new IdempotentRunner(store), handling(), OPTIONS, () =>
        Promise.reject(failure),
      ).catch((error: unknown) => error);
      await jest.advanceTimersByTimeAsync(OPTIONS.operationTimeoutMs);
      await expect(outcome).resolves.toBe(failure);
    });

    it.each([0, -1, Number.NaN])('rejects operationTimeoutMs %p', (operationTimeoutMs) => {
      expect(() => resolveIdempotencyOptions('test', { operationTimeoutMs })).toThrow(
        /operationTimeoutMs must be a number of milliseconds >= 1/,
      );
    });
  });
});

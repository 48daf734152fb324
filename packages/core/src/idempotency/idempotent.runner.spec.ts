import type { HandlingContext } from '../context/event-context';
import type { EventEnvelope } from '../interfaces/event-envelope.interface';
import type { IdempotencyStore } from './idempotency-store.interface';
import { IdempotentRunner } from './idempotent.runner';
import { MemoryIdempotencyStore } from './memory-idempotency.store';
import { resolveIdempotencyOptions } from './resolve-idempotency-options';

const OPTIONS = resolveIdempotencyOptions('test');

function handling(id = 'e-1'): HandlingContext {
  return { event: { id } as EventEnvelope, handler: 'Points.credit', attempt: 1 };
}

describe('IdempotentRunner', () => {
  it('runs the work once per key, and marks later deliveries as duplicates', async () => {
    const runner = new IdempotentRunner(new MemoryIdempotencyStore());
    const work = jest.fn(() => 'done');
    await expect(runner.run(handling(), OPTIONS, work)).resolves.toBe('done');
    const again = handling();
    await expect(runner.run(again, OPTIONS, work)).resolves.toBeUndefined();
    expect(work).toHaveBeenCalledTimes(1);
    expect(again.skipped).toBe('duplicate');
  });

  it('scopes keys by handler name', async () => {
    const store = new MemoryIdempotencyStore();
    const claim = jest.spyOn(store, 'claim');
    await new IdempotentRunner(store).run(handling(), OPTIONS, () => undefined);
    expect(claim).toHaveBeenCalledWith('Points.credit:e-1', { lockTtlMs: OPTIONS.lockTtlMs });
  });

  it('releases the key when the work fails, so that a retry runs it', async () => {
    const runner = new IdempotentRunner(new MemoryIdempotencyStore());
    const failure = new Error('first try fails');
    await expect(runner.run(handling(), OPTIONS, () => Promise.reject(failure))).rejects.toBe(
      failure,
    );
    const work = jest.fn();
    await runner.run(handling(), OPTIONS, work);
    expect(work).toHaveBeenCalledTimes(1);
  });

  it('releases the key when the work was skipped (a guard denied it), so that it may run later', async () => {
    const runner = new IdempotentRunner(new MemoryIdempotencyStore());
    const denied = handling();
    await runner.run(denied, OPTIONS, () => void (denied.skipped = 'guard'));
    const work = jest.fn();
    const allowed = handling();
    await runner.run(allowed, OPTIONS, work);
    expect(work).toHaveBeenCalledTimes(1);
    expect(allowed.skipped).toBeUndefined();
  });

  it('waits while another delivery holds the key, then runs once it is released', async () => {
    const results = ['in-progress', 'in-progress', 'acquired'] as const;
    const store: IdempotencyStore = {
      claim: jest.fn(() =>
        Promise.resolve(results[(store.claim as jest.Mock).mock.calls.length - 1]),
      ),
      complete: jest.fn(() => Promise.resolve()),
      release: jest.fn(() => Promise.resolve()),
    };
    // The jittered wait drawn at its bottom: no time passes between polls.
    jest.spyOn(Math, 'random').mockReturnValue(0);
    try {
      const work = jest.fn();
      await new IdempotentRunner(store).run(handling(), OPTIONS, work);
      expect(store.claim).toHaveBeenCalledTimes(3);
      expect(work).toHaveBeenCalledTimes(1);
      expect(store.complete).toHaveBeenCalledTimes(1);
    } finally {
      jest.restoreAllMocks();
    }
  });

  it('skips at once when the key is in progress and whenInProgress is skip', async () => {
    const store = new MemoryIdempotencyStore();
    await store.claim('Points.credit:e-1', { lockTtlMs: 60_000 });
    const context = handling();
    const work = jest.fn();
    await new IdempotentRunner(store).run(
      context,
      resolveIdempotencyOptions('test', { whenInProgress: 'skip' }),
      work,
    );
    expect(work).not.toHaveBeenCalled();
    expect(context.skipped).toBe('duplicate');
  });

  it('refuses a key function that returns no key', async () => {
    const runner = new IdempotentRunner(new MemoryIdempotencyStore());
    const options = resolveIdempotencyOptions('test', { key: () => '' });
    await expect(runner.run(handling(), options, () => undefined)).rejects.toThrow(
      /key function returned "" for event e-1/,
    );
  });
});

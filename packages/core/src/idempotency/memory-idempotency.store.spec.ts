import type { ClaimResult } from './idempotency-store.interface';
import { MemoryIdempotencyStore } from './memory-idempotency.store';

const LOCK = { lockTtlMs: 1_000 };
const DONE = { ttlMs: 60_000 };

// The token-checked claim / complete / release / extend semantics are the contract suite's
// (test/idempotency); these cover what is particular to the memory store: its clock and bound.

function storeWithClock(options: { maxKeys?: number } = {}) {
  const clock = { now: 1_700_000_000_000 };
  const store = new MemoryIdempotencyStore({ ...options, now: () => clock.now });
  return { store, clock };
}

async function statusOf(store: MemoryIdempotencyStore, key: string): Promise<string> {
  return (await store.claim(key, LOCK)).status;
}

function tokenOf(result: ClaimResult): string {
  if (result.status !== 'acquired') throw new Error(`expected acquired, got ${result.status}`);
  return result.token;
}

/** Claims and completes `key`, as a handler that ran would. */
async function done(store: MemoryIdempotencyStore, key: string): Promise<void> {
  const token = tokenOf(await store.claim(key, LOCK));
  await expect(store.complete(key, token, DONE)).resolves.toBe(true);
}

describe('MemoryIdempotencyStore', () => {
  it('uses the lock TTL of each claim', async () => {
    const { store, clock } = storeWithClock();
    await store.claim('k', { lockTtlMs: 10 });
    clock.now += 10;
    await expect(statusOf(store, 'k')).resolves.toBe('acquired');
    clock.now += 999;
    await expect(statusOf(store, 'k')).resolves.toBe('in-progress');
  });

  it('removes a released key', async () => {
    const { store } = storeWithClock();
    const token = tokenOf(await store.claim('k', LOCK));
    await store.release('k', token);
    expect(store.size).toBe(0);
  });

  it('draws a different token for every claim', async () => {
    const { store, clock } = storeWithClock();
    const tokens = new Set<string>();
    for (let i = 0; i < 100; i++) {
      tokens.add(tokenOf(await store.claim('k', LOCK)));
      clock.now += LOCK.lockTtlMs;
    }
    expect(tokens.size).toBe(100);
  });

  it('defaults the clock to Date.now', async () => {
    const store = new MemoryIdempotencyStore();
    await done(store, 'k');
    await expect(statusOf(store, 'k')).resolves.toBe('completed');
  });

  describe('LRU bound', () => {
    it('never holds more than maxKeys completed keys', async () => {
      const { store } = storeWithClock({ maxKeys: 3 });
      for (let i = 0; i < 10; i++) {
        await done(store, `k${i}`);
        expect(store.size).toBeLessThanOrEqual(3);
      }
      // Two generations of floor(3 / 2) keys each.
      expect(store.size).toBe(2);
    });

    it('never evicts a live lock, so the run holding it can complete however many run at once', async () => {
      const { store } = storeWithClock({ maxKeys: 4 });
      const tokens = new Map<string, string>();
      for (let i = 0; i < 20; i++) tokens.set(`k${i}`, tokenOf(await store.claim(`k${i}`, LOCK)));
      for (const [key, token] of tokens) {
        await expect(store.complete(key, token, DONE)).resolves.toBe(true);
      }
      // Once completed they are ordinary keys again, bounded as before.
      for (let i = 0; i < 10; i++) await done(store, `after${i}`);
      expect(store.size).toBeLessThanOrEqual(4);
    });

    it('evicts a lock once it has expired', async () => {
      const { store, clock } = storeWithClock({ maxKeys: 2 });
      await store.claim('held', LOCK);
      clock.now += LOCK.lockTtlMs;
      for (let i = 0; i < 4; i++) await done(store, `k${i}`);
      expect(store.size).toBe(2);
      await expect(statusOf(store, 'held')).resolves.toBe('acquired');
    });

    it('stays bounded under many distinct keys', async () => {
      const { store } = storeWithClock({ maxKeys: 1000 });
      for (let i = 0; i < 50_000; i++) await done(store, `k${i}`);
      expect(store.size).toBeLessThanOrEqual(1000);
      expect(store.size).toBeGreaterThanOrEqual(500);
      await expect(statusOf(store, 'k49999')).resolves.toBe('completed');
    });

    it('evicts the least recently used key first', async () => {
      const { store } = storeWithClock({ maxKeys: 2 });
      await done(store, 'a');
      await done(store, 'b');
      await done(store, 'c');
      expect(store.size).toBe(2);
      await expect(statusOf(store, 'b')).resolves.toBe('completed');
      await expect(statusOf(store, 'c')).resolves.toBe('completed');
      // `a` was evicted, so it is a new key again.
      await expect(statusOf(store, 'a')).resolves.toBe('acquired');
    });

    it('keeps a recently used key when evicting', async () => {
      const { store } = storeWithClock({ maxKeys: 2 });
      await done(store, 'a');
      await done(store, 'b');
      // Seeing `a` again makes `b` the least recently used.
      await expect(statusOf(store, 'a')).resolves.toBe('completed');
      await done(store, 'c');
      await expect(statusOf(store, 'a')).resolves.toBe('completed');
      await expect(statusOf(store, 'c')).resolves.toBe('completed');
      await expect(statusOf(store, 'b')).resolves.toBe('acquired');
    });

    it('counts claiming, extending and completing a key as one key', async () => {
      const { store } = storeWithClock({ maxKeys: 2 });
      const token = tokenOf(await store.claim('a', LOCK));
      await store.extend('a', token, LOCK);
      await store.complete('a', token, DONE);
      await done(store, 'b');
      expect(store.size).toBe(2);
      await expect(statusOf(store, 'a')).resolves.toBe('completed');
    });

    it.each([0, 1, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])(
      'rejects maxKeys %p',
      (maxKeys) => {
        expect(() => new MemoryIdempotencyStore({ maxKeys })).toThrow(RangeError);
        expect(() => new MemoryIdempotencyStore({ maxKeys })).toThrow(
          `maxKeys must be an integer >= 2, got ${maxKeys}`,
        );
      },
    );
  });
});

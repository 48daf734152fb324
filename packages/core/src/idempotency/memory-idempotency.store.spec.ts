import { MemoryIdempotencyStore } from './memory-idempotency.store';

const LOCK = { lockTtlMs: 1_000 };
const DONE = { ttlMs: 60_000 };

function storeWithClock(options: { maxKeys?: number } = {}) {
  const clock = { now: 1_700_000_000_000 };
  const store = new MemoryIdempotencyStore({ ...options, now: () => clock.now });
  return { store, clock };
}

describe('MemoryIdempotencyStore', () => {
  describe('claim / complete / release', () => {
    it('acquires a new key, then reports it in progress while locked', async () => {
      const { store } = storeWithClock();
      await expect(store.claim('k', LOCK)).resolves.toBe('acquired');
      await expect(store.claim('k', LOCK)).resolves.toBe('in-progress');
    });

    it('reports a completed key as completed', async () => {
      const { store } = storeWithClock();
      await store.claim('k', LOCK);
      await store.complete('k', DONE);
      await expect(store.claim('k', LOCK)).resolves.toBe('completed');
      await expect(store.claim('k', LOCK)).resolves.toBe('completed');
    });

    it('can complete a key that was never claimed', async () => {
      const { store } = storeWithClock();
      await store.complete('k', DONE);
      await expect(store.claim('k', LOCK)).resolves.toBe('completed');
    });

    it('keeps keys apart', async () => {
      const { store } = storeWithClock();
      await store.claim('a', LOCK);
      await store.complete('a', DONE);
      await expect(store.claim('b', LOCK)).resolves.toBe('acquired');
      await expect(store.claim('a', LOCK)).resolves.toBe('completed');
    });

    it('lets another claim acquire a key once its lock has expired', async () => {
      const { store, clock } = storeWithClock();
      await store.claim('k', LOCK);
      clock.now += 999;
      await expect(store.claim('k', LOCK)).resolves.toBe('in-progress');
      clock.now += 1;
      await expect(store.claim('k', LOCK)).resolves.toBe('acquired');
      // The new claim holds a fresh lock.
      clock.now += 999;
      await expect(store.claim('k', LOCK)).resolves.toBe('in-progress');
    });

    it('uses the lock TTL of each claim', async () => {
      const { store, clock } = storeWithClock();
      await store.claim('k', { lockTtlMs: 10 });
      clock.now += 10;
      await expect(store.claim('k', { lockTtlMs: 5_000 })).resolves.toBe('acquired');
      clock.now += 4_999;
      await expect(store.claim('k', LOCK)).resolves.toBe('in-progress');
    });

    it('forgets a completed key after its TTL', async () => {
      const { store, clock } = storeWithClock();
      await store.claim('k', LOCK);
      await store.complete('k', { ttlMs: 5_000 });
      clock.now += 4_999;
      await expect(store.claim('k', LOCK)).resolves.toBe('completed');
      clock.now += 1;
      await expect(store.claim('k', LOCK)).resolves.toBe('acquired');
    });

    it('frees a released key for the next claim', async () => {
      const { store } = storeWithClock();
      await store.claim('k', LOCK);
      await store.release('k');
      expect(store.size).toBe(0);
      await expect(store.claim('k', LOCK)).resolves.toBe('acquired');
    });

    it('releases unknown keys without complaint', async () => {
      const { store } = storeWithClock();
      await expect(store.release('never-seen')).resolves.toBeUndefined();
    });

    it('defaults the clock to Date.now', async () => {
      const store = new MemoryIdempotencyStore();
      await store.complete('k', { ttlMs: 60_000 });
      await expect(store.claim('k', LOCK)).resolves.toBe('completed');
    });
  });

  describe('LRU bound', () => {
    it('never holds more than maxKeys keys', async () => {
      const { store } = storeWithClock({ maxKeys: 3 });
      for (let i = 0; i < 10; i++) {
        await store.claim(`k${i}`, LOCK);
        if (i % 2) await store.complete(`k${i}`, DONE);
        expect(store.size).toBeLessThanOrEqual(3);
      }
      // Two generations of floor(3 / 2) keys each.
      expect(store.size).toBe(2);
    });

    it('stays bounded under many distinct keys', async () => {
      const { store } = storeWithClock({ maxKeys: 1000 });
      for (let i = 0; i < 50_000; i++) {
        await store.claim(`k${i}`, LOCK);
        await store.complete(`k${i}`, DONE);
      }
      expect(store.size).toBeLessThanOrEqual(1000);
      expect(store.size).toBeGreaterThanOrEqual(500);
      await expect(store.claim('k49999', LOCK)).resolves.toBe('completed');
    });

    it('evicts the least recently used key first', async () => {
      const { store } = storeWithClock({ maxKeys: 2 });
      await store.complete('a', DONE);
      await store.complete('b', DONE);
      await store.complete('c', DONE);
      expect(store.size).toBe(2);
      await expect(store.claim('b', LOCK)).resolves.toBe('completed');
      await expect(store.claim('c', LOCK)).resolves.toBe('completed');
      // `a` was evicted, so it is a new key again.
      await expect(store.claim('a', LOCK)).resolves.toBe('acquired');
    });

    it('keeps a recently used key when evicting', async () => {
      const { store } = storeWithClock({ maxKeys: 2 });
      await store.complete('a', DONE);
      await store.complete('b', DONE);
      // Seeing `a` again makes `b` the least recently used.
      await expect(store.claim('a', LOCK)).resolves.toBe('completed');
      await store.complete('c', DONE);
      await expect(store.claim('a', LOCK)).resolves.toBe('completed');
      await expect(store.claim('c', LOCK)).resolves.toBe('completed');
      await expect(store.claim('b', LOCK)).resolves.toBe('acquired');
    });

    it('counts re-claiming and completing a key as one key', async () => {
      const { store } = storeWithClock({ maxKeys: 2 });
      await store.claim('a', LOCK);
      await store.complete('a', DONE);
      await store.claim('b', LOCK);
      await store.complete('b', DONE);
      expect(store.size).toBe(2);
      await expect(store.claim('a', LOCK)).resolves.toBe('completed');
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

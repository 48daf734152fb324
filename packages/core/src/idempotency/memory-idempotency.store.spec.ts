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

function statusOf(store: MemoryIdempotencyStore, key: string): string {
  return store.claim(key, LOCK).status;
}

function tokenOf(result: ClaimResult): string {
  if (result.status !== 'acquired') throw new Error(`expected acquired, got ${result.status}`);
  return result.token;
}

/** Claims and completes `key`, as a handler that ran would. */
function done(store: MemoryIdempotencyStore, key: string): void {
  const token = tokenOf(store.claim(key, LOCK));
  // Not expect(): loops of tens of thousands of keys call this, and a matcher costs more.
  if (!store.complete(key, token, DONE)) throw new Error(`could not complete ${key}`);
}

/** The keys `k<from>` to `k<to - 1>` whose status is not `status`. */
function keysNot(store: MemoryIdempotencyStore, status: string, from: number, to: number) {
  const others: string[] = [];
  for (let i = from; i < to; i++) if (statusOf(store, `k${i}`) !== status) others.push(`k${i}`);
  return others;
}

describe('MemoryIdempotencyStore', () => {
  it('answers synchronously: no promise per call', () => {
    const { store } = storeWithClock();
    const claim = store.claim('k', LOCK);
    expect(claim).toEqual({ status: 'acquired', token: expect.any(String) });
    expect(store.extend('k', tokenOf(claim), LOCK)).toBe(true);
    expect(store.complete('k', tokenOf(claim), DONE)).toBe(true);
    expect(store.claim('k', LOCK)).toEqual({ status: 'completed' });
  });

  it('uses the lock TTL of each claim', () => {
    const { store, clock } = storeWithClock();
    store.claim('k', { lockTtlMs: 10 });
    clock.now += 10;
    expect(statusOf(store, 'k')).toBe('acquired');
    clock.now += 999;
    expect(statusOf(store, 'k')).toBe('in-progress');
  });

  it('removes a released key', () => {
    const { store } = storeWithClock();
    const token = tokenOf(store.claim('k', LOCK));
    store.release('k', token);
    expect(store.size).toBe(0);
  });

  it('draws a different token for every claim', () => {
    const { store, clock } = storeWithClock();
    const tokens = new Set<string>();
    for (let i = 0; i < 100; i++) {
      tokens.add(tokenOf(store.claim('k', LOCK)));
      clock.now += LOCK.lockTtlMs;
    }
    expect(tokens.size).toBe(100);
  });

  it('takes only the very token it handed out', () => {
    const { store } = storeWithClock();
    const token = tokenOf(store.claim('k', LOCK));
    // Another text of the same number is another token.
    for (const other of [`0${token}`, ` ${token}`, `${token}.0`]) {
      expect(store.extend('k', other, LOCK)).toBe(false);
      expect(store.complete('k', other, DONE)).toBe(false);
      expect(store.release('k', other)).toBe(false);
    }
    expect(store.complete('k', token, DONE)).toBe(true);
  });

  it('defaults the clock to Date.now', () => {
    const store = new MemoryIdempotencyStore();
    done(store, 'k');
    expect(statusOf(store, 'k')).toBe('completed');
  });

  describe('LRU bound', () => {
    it('never holds more than maxKeys completed keys', () => {
      const { store } = storeWithClock({ maxKeys: 3 });
      for (let i = 0; i < 10; i++) {
        done(store, `k${i}`);
        expect(store.size).toBeLessThanOrEqual(3);
      }
      // Two generations of floor(3 / 2) keys each.
      expect(store.size).toBe(2);
    });

    it('never evicts a live lock, so the run holding it can complete however many run at once', () => {
      const { store } = storeWithClock({ maxKeys: 4 });
      const tokens = new Map<string, string>();
      for (let i = 0; i < 20; i++) tokens.set(`k${i}`, tokenOf(store.claim(`k${i}`, LOCK)));
      for (const [key, token] of tokens) {
        expect(store.complete(key, token, DONE)).toBe(true);
      }
      // Once completed they are ordinary keys again, bounded as before.
      for (let i = 0; i < 10; i++) done(store, `after${i}`);
      expect(store.size).toBeLessThanOrEqual(4);
    });

    it('still reports a live lock as in progress after it moved generations', () => {
      const { store } = storeWithClock({ maxKeys: 4 });
      const token = tokenOf(store.claim('held', LOCK));
      // Two generations' worth of new keys each time: the lock is carried into a new one.
      for (let round = 0; round < 3; round++) {
        for (let i = 0; i < 4; i++) done(store, `r${round}k${i}`);
        expect(statusOf(store, 'held')).toBe('in-progress');
      }
      expect(store.complete('held', token, DONE)).toBe(true);
      expect(statusOf(store, 'held')).toBe('completed');
    });

    it('finds each of many keys it holds, whichever generation holds it', () => {
      const { store } = storeWithClock({ maxKeys: 20_000 });
      for (let i = 0; i < 25_000; i++) done(store, `k${i}`);
      // 10,000 per generation: k0–k9999 were dropped, k10000–k19999 are old, the rest young.
      expect(keysNot(store, 'completed', 20_000, 25_000)).toEqual([]);
      // Found in the old generation, these move to the young one, which they fill.
      expect(keysNot(store, 'completed', 10_000, 15_000)).toEqual([]);
      expect(statusOf(store, 'k9999')).toBe('acquired');
    });

    it('evicts a lock once it has expired', () => {
      const { store, clock } = storeWithClock({ maxKeys: 2 });
      store.claim('held', LOCK);
      clock.now += LOCK.lockTtlMs;
      for (let i = 0; i < 4; i++) done(store, `k${i}`);
      expect(store.size).toBe(2);
      expect(statusOf(store, 'held')).toBe('acquired');
    });

    it('stays bounded under many distinct keys', () => {
      const { store } = storeWithClock({ maxKeys: 1000 });
      for (let i = 0; i < 50_000; i++) done(store, `k${i}`);
      expect(store.size).toBeLessThanOrEqual(1000);
      expect(store.size).toBeGreaterThanOrEqual(500);
      expect(statusOf(store, 'k49999')).toBe('completed');
    });

    it('evicts the least recently used key first', () => {
      const { store } = storeWithClock({ maxKeys: 2 });
      done(store, 'a');
      done(store, 'b');
      done(store, 'c');
      expect(store.size).toBe(2);
      expect(statusOf(store, 'b')).toBe('completed');
      expect(statusOf(store, 'c')).toBe('completed');
      // `a` was evicted, so it is a new key again.
      expect(statusOf(store, 'a')).toBe('acquired');
    });

    it('keeps a recently used key when evicting', () => {
      const { store } = storeWithClock({ maxKeys: 2 });
      done(store, 'a');
      done(store, 'b');
      // Seeing `a` again makes `b` the least recently used.
      expect(statusOf(store, 'a')).toBe('completed');
      done(store, 'c');
      expect(statusOf(store, 'a')).toBe('completed');
      expect(statusOf(store, 'c')).toBe('completed');
      expect(statusOf(store, 'b')).toBe('acquired');
    });

    it('counts claiming, extending and completing a key as one key', () => {
      const { store } = storeWithClock({ maxKeys: 2 });
      const token = tokenOf(store.claim('a', LOCK));
      store.extend('a', token, LOCK);
      store.complete('a', token, DONE);
      done(store, 'b');
      expect(store.size).toBe(2);
      expect(statusOf(store, 'a')).toBe('completed');
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

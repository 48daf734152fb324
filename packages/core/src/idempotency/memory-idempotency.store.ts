import type { ClaimResult, IdempotencyStore } from './idempotency-store.interface';

export interface MemoryIdempotencyStoreOptions {
  /** Keys kept at most; the least recently used go first. Bounds memory. @default 100000 */
  maxKeys?: number;
  /** Clock, for tests. @default Date.now */
  now?: () => number;
}

/**
 * An idempotency store for one process: a bounded LRU of keys with expiry times. Good for the
 * in-memory transport and for single-instance consumers; several instances need a shared store.
 */
export class MemoryIdempotencyStore implements IdempotencyStore {
  // One number per key keeps entries small: > 0 is a completed key's expiry, < 0 the negated
  // expiry of an in-progress lock.
  private readonly entries = new Map<string, number>();
  private readonly maxKeys: number;
  private readonly now: () => number;

  constructor(options: MemoryIdempotencyStoreOptions = {}) {
    this.maxKeys = options.maxKeys ?? 100_000;
    this.now = options.now ?? Date.now;
    if (!Number.isSafeInteger(this.maxKeys) || this.maxKeys < 1) {
      throw new RangeError(
        `MemoryIdempotencyStore: maxKeys must be a positive integer, got ${this.maxKeys}.`,
      );
    }
  }

  get size(): number {
    return this.entries.size;
  }

  claim(key: string, { lockTtlMs }: { lockTtlMs: number }): Promise<ClaimResult> {
    const now = this.now();
    const entry = this.entries.get(key);
    if (entry !== undefined) {
      if (entry > now) {
        this.touch(key, entry);
        return Promise.resolve('completed');
      }
      if (entry < 0 && -entry > now) return Promise.resolve('in-progress');
    }
    this.set(key, -(now + lockTtlMs));
    return Promise.resolve('acquired');
  }

  complete(key: string, { ttlMs }: { ttlMs: number }): Promise<void> {
    this.set(key, this.now() + ttlMs);
    return Promise.resolve();
  }

  release(key: string): Promise<void> {
    // Only an in-progress claim is released: a worker whose lock expired must not erase the
    // completed record that another worker wrote meanwhile.
    if ((this.entries.get(key) ?? 0) < 0) this.entries.delete(key);
    return Promise.resolve();
  }

  private touch(key: string, value: number): void {
    this.entries.delete(key);
    this.entries.set(key, value);
  }

  private set(key: string, value: number): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    if (this.entries.size > this.maxKeys) {
      // Map iterates in insertion order, and every use re-inserts: the first key is the LRU one.
      this.entries.delete(this.entries.keys().next().value!);
    }
  }
}

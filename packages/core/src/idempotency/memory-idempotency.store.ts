import type { ClaimResult, IdempotencyStore } from './idempotency-store.interface';

export interface MemoryIdempotencyStoreOptions {
  /** Keys kept at most; the least recently used go first. Bounds memory. @default 100000 */
  maxKeys?: number;
  /** Clock, for tests. @default Date.now */
  now?: () => number;
}

/**
 * An idempotency store for one process: a bounded, approximately-LRU set of keys with expiry
 * times. Good for the in-memory transport and for single-instance consumers; several instances
 * need a shared store.
 *
 * Keys live in two generations of at most `maxKeys / 2` each: new and used keys go to the young
 * one, and when it is full the old one is dropped whole. Every operation is O(1) (evicting one
 * key at a time from a single Map slows down as deleted entries pile up at its front).
 */
export class MemoryIdempotencyStore implements IdempotencyStore {
  // One number per key keeps entries small: > 0 is a completed key's expiry, < 0 the negated
  // expiry of an in-progress lock.
  private young = new Map<string, number>();
  private old = new Map<string, number>();
  private readonly generationSize: number;
  private readonly now: () => number;

  constructor(options: MemoryIdempotencyStoreOptions = {}) {
    const maxKeys = options.maxKeys ?? 100_000;
    if (!Number.isSafeInteger(maxKeys) || maxKeys < 2) {
      throw new RangeError(
        `MemoryIdempotencyStore: maxKeys must be an integer >= 2, got ${maxKeys}.`,
      );
    }
    this.generationSize = Math.floor(maxKeys / 2);
    this.now = options.now ?? Date.now;
  }

  get size(): number {
    return this.young.size + this.old.size;
  }

  claim(key: string, { lockTtlMs }: { lockTtlMs: number }): Promise<ClaimResult> {
    const now = this.now();
    const entry = this.get(key);
    if (entry !== undefined) {
      if (entry > now) return Promise.resolve('completed');
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
    if ((this.get(key) ?? 0) < 0) {
      this.young.delete(key);
      this.old.delete(key);
    }
    return Promise.resolve();
  }

  /** The entry of `key`, moved to the young generation when found in the old one. */
  private get(key: string): number | undefined {
    const young = this.young.get(key);
    if (young !== undefined) return young;
    const old = this.old.get(key);
    if (old !== undefined) {
      this.old.delete(key);
      this.set(key, old);
    }
    return old;
  }

  private set(key: string, value: number): void {
    if (!this.young.has(key)) {
      this.old.delete(key);
      if (this.young.size >= this.generationSize) {
        this.old = this.young;
        this.young = new Map();
      }
      flatten(key);
    }
    this.young.set(key, value);
  }
}

/**
 * Keys are built by concatenation (handler name + event id), which V8 keeps as a tree of string
 * pieces several times the size of the text. Converting it to a number makes V8 flatten it in
 * place, so the store keeps compact strings.
 */
function flatten(text: string): void {
  void Number(text);
}

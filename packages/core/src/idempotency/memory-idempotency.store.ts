import type { ClaimOptions, ClaimResult, IdempotencyStore } from './idempotency-store.interface';

export interface MemoryIdempotencyStoreOptions {
  /**
   * Completed keys kept at most; the least recently used go first. Bounds memory. Locks still
   * held are never evicted (they expire after their `lockTtlMs`). @default 100000
   */
  maxKeys?: number;
  /** Clock, for tests. @default Date.now */
  now?: () => number;
}

/**
 * One key's record: a lock while `completed` is false, else the completed record. Completing and
 * renewing update it in place: it is the only reference, and a copy per call is garbage.
 */
interface Entry {
  completed: boolean;
  /** In ms since the store was made (see `MemoryIdempotencyStore.since`). */
  expiresAt: number;
  /**
   * Who holds the lock, or who completed it (so that completing again is recognised): the number
   * of the claim, whose base-36 text is the token handed out.
   */
  readonly claim: number;
  readonly fingerprint?: string;
}

/**
 * An idempotency store for one process: a bounded, approximately-LRU set of keys with expiry
 * times. It answers synchronously, so the runner goes on without a promise per call. Good for
 * the in-memory transport and for single-instance consumers; several instances need a shared
 * store.
 *
 * Keys live in two generations of `maxKeys / 2` each: new and used keys go to the young one, and
 * when it is full the old one is dropped, all but its live locks. A lock is never evicted before
 * it expires: the run holding it would find it gone at `complete`, fail, and run again on its
 * retry, applying the event twice (a burst of more events in flight than `maxKeys / 2` did). So
 * the bound is on completed keys; locks are bounded by what runs at once. Every operation is
 * amortised O(1) (evicting one key at a time from a single Map slows down as deleted entries pile
 * up at its front). The runner gives hashed keys, so an entry costs about the same whatever the
 * event.
 */
export class MemoryIdempotencyStore implements IdempotencyStore {
  private young = new Map<string, Entry>();
  private old = new Map<string, Entry>();
  /** Keys added to `young` since it was made, live locks carried over from the old one aside. */
  private youngAdded = 0;
  private readonly generationSize: number;
  /** Milliseconds since `since`, by the clock of the options. */
  private readonly now: () => number;
  /**
   * Claims made so far. A claim's number is its token, in base 36: tokens only need to differ
   * within this store (they tell its own holders apart), and a record keeping the number keeps no
   * string for it.
   */
  private claims = 0;
  /**
   * The clock's time when the store was made: entries keep their times relative to it. V8 keeps
   * a small integer in the entry itself, where an epoch time in ms takes a number object of its
   * own (16 bytes per key); after 12 to 24 days (by the V8 build) the offsets outgrow small
   * integers and cost as much as before.
   */
  private readonly since: number;

  constructor(options: MemoryIdempotencyStoreOptions = {}) {
    const maxKeys = options.maxKeys ?? 100_000;
    if (!Number.isSafeInteger(maxKeys) || maxKeys < 2) {
      throw new RangeError(
        `MemoryIdempotencyStore: maxKeys must be an integer >= 2, got ${maxKeys}.`,
      );
    }
    this.generationSize = Math.floor(maxKeys / 2);
    const clock = options.now ?? Date.now;
    this.since = clock();
    this.now = () => clock() - this.since;
  }

  get size(): number {
    return this.young.size + this.old.size;
  }

  claim(key: string, { lockTtlMs, fingerprint }: ClaimOptions): ClaimResult {
    const now = this.now();
    const entry = this.get(key);
    if (entry && entry.expiresAt > now) {
      const status = entry.completed ? 'completed' : 'in-progress';
      return entry.fingerprint === undefined
        ? { status }
        : { status, fingerprint: entry.fingerprint };
    }
    const claim = ++this.claims;
    const claimed: Entry = { completed: false, expiresAt: now + lockTtlMs, claim, fingerprint };
    // Found expired: `get` has left it in the young generation, where it is replaced.
    if (entry) this.young.set(key, claimed);
    else this.add(key, claimed);
    return { status: 'acquired', token: claim.toString(36) };
  }

  complete(key: string, token: string, { ttlMs }: { ttlMs: number }): boolean {
    const entry = this.get(key);
    if (!entry || !heldBy(entry, token)) return false;
    if (entry.completed) return true;
    const now = this.now();
    if (entry.expiresAt <= now) return false;
    entry.completed = true;
    entry.expiresAt = now + ttlMs;
    return true;
  }

  release(key: string, token: string): boolean {
    // Only the holder's lock is released: a worker whose lock expired must not erase the lock
    // or the completed record of the worker that took over.
    const entry = this.get(key);
    if (!entry || entry.completed || !heldBy(entry, token)) return false;
    this.young.delete(key);
    this.old.delete(key);
    return true;
  }

  extend(key: string, token: string, { lockTtlMs }: { lockTtlMs: number }): boolean {
    const now = this.now();
    const entry = this.get(key);
    if (!entry || entry.completed || !heldBy(entry, token) || entry.expiresAt <= now) {
      return false;
    }
    entry.expiresAt = now + lockTtlMs;
    return true;
  }

  /** The entry of `key`, moved to the young generation when found in the old one. */
  private get(key: string): Entry | undefined {
    const young = this.young.get(key);
    if (young !== undefined) return young;
    const old = this.old.get(key);
    if (old !== undefined) {
      this.old.delete(key);
      this.add(key, old);
    }
    return old;
  }

  /** Adds `key`, in neither generation, to the young one (which may rotate first). */
  private add(key: string, value: Entry): void {
    if (this.youngAdded >= this.generationSize) this.rotate();
    this.youngAdded++;
    flatten(key);
    this.young.set(key, value);
  }

  /** Drops the old generation but for its live locks, which move to the new young one. */
  private rotate(): void {
    const dropped = this.old;
    this.old = this.young;
    this.young = new Map();
    this.youngAdded = 0;
    const now = this.now();
    for (const [key, entry] of dropped) {
      if (!entry.completed && entry.expiresAt > now) this.young.set(key, entry);
    }
  }
}

function heldBy(entry: Entry, token: string): boolean {
  return entry.claim.toString(36) === token;
}

/**
 * A key built by concatenation is kept by V8 as a tree of string pieces several times the size
 * of the text. Converting it to a number makes V8 flatten it in place, so the store keeps
 * compact strings whatever its callers pass.
 */
function flatten(text: string): void {
  void Number(text);
}

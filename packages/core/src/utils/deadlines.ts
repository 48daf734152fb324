/** Something that must end by a deadline: it settles first, or is given up when the deadline passes. */
export interface Watched {
  /** `performance.now()` past which it counts as timed out. */
  readonly deadline: number;
  /** Called once, when the deadline passes first. */
  expire(): void;
  /** Neighbours in the list of watched items; kept by `Deadlines` alone. */
  previous: Watched | undefined;
  next: Watched | undefined;
}

/**
 * Deadlines that all lie one same timeout after their start (the runs of one handler, the calls
 * to one store), with one timer for all of them instead of one each: they expire in the order they
 * started, so a list in start order always has the next to expire first. An item that settles is
 * unlinked; the timer is set for the oldest item left, and cleared once none is (so it never holds
 * a process open that has nothing running).
 *
 * The list is threaded through the items themselves rather than held in a `Set`: a long-lived
 * collection that every item is added to and deleted from makes each short-lived item reachable
 * from old space, and the garbage collector then promotes items that should have died young
 * (measured on the in-memory path: throughput fell to a third after one full collection).
 */
export class Deadlines {
  private first: Watched | undefined;
  private last: Watched | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly timeoutMs: number) {}

  /** `performance.now()` + the timeout, for an item starting now. */
  deadlineFromNow(): number {
    return performance.now() + this.timeoutMs;
  }

  /** Watches `run` (its `deadline` already set) until `settled` or its expiry. */
  watch(run: Watched): void {
    run.previous = this.last;
    run.next = undefined;
    if (this.last) this.last.next = run;
    else this.first = run;
    this.last = run;
    this.timer ??= this.arm(this.timeoutMs);
  }

  /** The item settled before its deadline; the last one to settle clears the timer. */
  settled(run: Watched): void {
    this.unlink(run);
    if (!this.first && this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  private unlink(run: Watched): void {
    const { previous, next } = run;
    if (previous) previous.next = next;
    else if (this.first === run) this.first = next;
    else return; // not watched (any more)
    if (next) next.previous = previous;
    else this.last = previous;
    run.previous = run.next = undefined;
  }

  private arm(ms: number): NodeJS.Timeout {
    return setTimeout(() => this.expireDue(), Math.max(1, Math.ceil(ms)));
  }

  private expireDue(): void {
    this.timer = undefined;
    const now = performance.now();
    for (let run = this.first; run; run = this.first) {
      if (run.deadline > now) {
        this.timer = this.arm(run.deadline - now);
        return;
      }
      this.unlink(run);
      run.expire();
    }
  }
}

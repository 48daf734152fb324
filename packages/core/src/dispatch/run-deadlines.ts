/** One handler run being watched: settled by its handler, or given up when its deadline passes. */
export interface WatchedRun {
  /** `performance.now()` past which the run counts as timed out. */
  readonly deadline: number;
  /** Called once, when the deadline passes first. */
  expire(): void;
}

/**
 * The deadlines of one handler's runs, with one timer for all of them instead of one per run:
 * every run of a handler has the same timeout, so they expire in the order they started, and the
 * set (which iterates in insertion order) always has the next to expire first. A run that settles
 * is deleted; the timer is set for the oldest run left, and cleared once none is (so it never
 * holds a process open that has nothing running).
 */
export class RunDeadlines {
  private readonly runs = new Set<WatchedRun>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly timeoutMs: number) {}

  /** `performance.now()` + the timeout, for a run starting now. */
  deadlineFromNow(): number {
    return performance.now() + this.timeoutMs;
  }

  watch(run: WatchedRun): void {
    this.runs.add(run);
    this.timer ??= this.arm(this.timeoutMs);
  }

  /** The run settled before its deadline; the last one to settle clears the timer. */
  settled(run: WatchedRun): void {
    this.runs.delete(run);
    if (this.runs.size === 0 && this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  private arm(ms: number): NodeJS.Timeout {
    return setTimeout(() => this.expireDue(), Math.max(1, Math.ceil(ms)));
  }

  private expireDue(): void {
    this.timer = undefined;
    const now = performance.now();
    for (const run of this.runs) {
      if (run.deadline > now) {
        this.timer = this.arm(run.deadline - now);
        return;
      }
      this.runs.delete(run);
      run.expire();
    }
  }
}

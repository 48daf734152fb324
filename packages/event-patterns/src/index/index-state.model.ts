import type { Entry } from './index-entry.model';
import type { StepTable } from './step.table';

/** A state of the index's machine: reached once the event satisfied every step leading to it. */
export interface State<T> {
  /**
   * The entries with an alternative whose steps all held once this state is reached. Entries
   * rather than (entry, alternative) pairs, so that the walk reads one object less per end.
   */
  ends: Entry<T>[] | undefined;
  /**
   * Beside `ends`, which alternative of each entry ends here; undefined while all are the first
   * (most patterns have a single alternative).
   */
  endBranches: number[] | undefined;
  /**
   * One table per field, where the event's values at that path lead, as `STEP_WIDTH` items: the
   * field's slot, the table's `mask`, `foldedMask`, `affixMask` and `affixLength`, and the table. In one array, so that the
   * walk reads one object per state, and a table only when one of the event's values may be in
   * it: with many patterns, states and tables are rarely in the processor's caches.
   */
  steps: (number | StepTable<T>)[] | undefined;
  /** The last `match()` that reached it. */
  seen: number;
}

/** Items per table in `State.steps`. */
export const STEP_WIDTH = 6;

/** Told of every state an event value leads to. */
export type Reach<T> = (state: State<T>) => void;

export function newState<T>(): State<T> {
  // Arrays are created on first use: most states have no steps, or end no alternative.
  return { ends: undefined, endBranches: undefined, steps: undefined, seen: 0 };
}

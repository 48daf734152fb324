import type { Entry } from './index-entry.model';
import type { StepTable } from './step.table';

/** A state of the index's machine: reached once the event satisfied every step leading to it. */
export interface State<T> {
  /** The alternatives whose steps all held once this state is reached. */
  ends: { readonly entry: Entry<T>; readonly branch: number }[] | undefined;
  /** One table per field: where the event's values at that path lead. */
  steps: StepTable<T>[] | undefined;
  /**
   * Beside `steps`, in one array of numbers: each table's slot, `mask` and `foldedMask`, so that a
   * table is only read when one of the event's values may be in it.
   */
  keys: number[] | undefined;
  /** The last `match()` that reached it. */
  seen: number;
}

/** Told of every state an event value leads to. */
export type Reach<T> = (state: State<T>) => void;

export function newState<T>(): State<T> {
  // Arrays are created on first use: most states have no steps, or end no alternative.
  return { ends: undefined, steps: undefined, keys: undefined, seen: 0 };
}

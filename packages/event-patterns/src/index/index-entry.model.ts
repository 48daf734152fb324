import type { CompiledBranch } from '../interfaces/compiled-branch.interface';
import type { PatternBranch } from '../interfaces/pattern-condition.interface';

/** One pattern of an `EventPatternIndex`, with what each `match()` needs of it. */
export interface Entry<T> {
  readonly id: T;
  /** Order of addition, which `match()` answers in. */
  readonly seq: number;
  readonly branches: readonly PatternBranch[];
  readonly compiled: readonly CompiledBranch[];
  /** Per alternative: what reaching the last state of its steps proves. */
  readonly filing: readonly Filing[];
  /** The slots of all its paths. */
  readonly slots: readonly number[];
  /**
   * `slotBit` of each of `slots`, so that an event with no array at any of them is told without
   * reading `slots`.
   */
  readonly slotBits: number;
  /**
   * Bit b for alternative b (the first 31) when its steps prove every field, so that a candidate
   * is confirmed without reading `filing`, which is rarely in the processor's caches.
   */
  readonly completeBits: number;
  /**
   * Per alternative, the last `match()` that reached its last state. Undefined for a pattern of
   * one alternative: filed, it is a candidate only once its last state is reached, so `seen`
   * tells, without one more object to reach per end.
   */
  readonly reached: number[] | undefined;
  removed: boolean;
  /** The last `match()` that made it a candidate. */
  seen: number;
}

export interface Filing {
  /**
   * By field index: whether reaching the last state proves that the field holds, so that it need
   * not be tested again outside arrays. Undefined for an alternative that is not filed.
   */
  readonly passing: readonly boolean[] | undefined;
  /** Whether the steps prove every field. */
  readonly complete: boolean;
}

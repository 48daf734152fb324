import type { JsonScalar } from './pattern-condition.interface';

/** A field's alternatives, other than `exists: false`, as one predicate over an event value. */
export type ValueTest = (value: JsonScalar) => boolean;

export interface CompiledField {
  /** Index of the field's path in the trie the event is collected with. */
  readonly slot: number;
  /** Undefined when only absence can satisfy the field. */
  readonly test: ValueTest | undefined;
  readonly acceptsAbsence: boolean;
  /** Whether a later field of the branch accepts absence, which more constraints can help. */
  readonly absenceFollows: boolean;
}

/** A branch's fields in path order, ready for `matchesAnyBranch`. */
export type CompiledBranch = readonly CompiledField[];

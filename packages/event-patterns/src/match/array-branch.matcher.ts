import type { CompiledBranch } from '../interfaces/compiled-branch.interface';
import type { EventLeaf, EventLeaves } from '../interfaces/event-leaves.interface';

/** What is left of `MAX_MATCH_STEPS` for one pattern and one event. */
export interface Budget {
  /** Negative once spent. */
  left: number;
}

/** The leaves a field may pick from, split by element of their common outermost array. */
interface Choices {
  readonly all: readonly EventLeaf[];
  /** Id of the array every leaf sits in (outermost), or -1 when they do not share one. */
  readonly array: number;
  readonly byElement: ReadonlyMap<number, EventLeaf[]> | undefined;
}

const NO_LEAVES: readonly EventLeaf[] = [];

/** Below this many leaves, scanning them all costs less than grouping them. */
const GROUPING_THRESHOLD = 8;

/**
 * Picks one event value per field, in path order, such that values inside objects of the same
 * array all come from the same element (EventBridge's array consistency); `exists: false` holds
 * when no value consistent with the picks so far exists. Each value looked at spends one step of
 * `budget`; once it is spent the answer is false.
 */
export function matchesWithinArrays(
  fields: CompiledBranch,
  event: EventLeaves,
  budget: Budget,
): boolean {
  const picked = new Int32Array(event.arrayCount).fill(-1);
  const undo: number[] = [];
  // Per field, built when the search first reaches it: the leaves an absence must not find and
  // the leaves that pass the field's test. Only these are ever tried, in event order.
  const present = new Array<Choices | undefined>(fields.length);
  const passing = new Array<Choices | undefined>(fields.length);
  const within = (choices: Choices): readonly EventLeaf[] => {
    if (choices.array === -1) return choices.all;
    const element = picked[choices.array];
    return element === -1 ? choices.all : (choices.byElement!.get(element) ?? NO_LEAVES);
  };
  const consistent = (leaf: EventLeaf) => {
    budget.left--;
    const { membership } = leaf;
    for (let i = 0; i < membership.length; i += 2) {
      const element = picked[membership[i]];
      if (element !== -1 && element !== membership[i + 1]) return false;
    }
    return true;
  };
  const search = (index: number): boolean => {
    if (index === fields.length) return true;
    const field = fields[index];
    const leaves = event.bySlot[field.slot] ?? NO_LEAVES;
    if (field.acceptsAbsence) {
      const choices = (present[index] ??= choicesOf(leaves));
      if (!within(choices).some(consistent) && budget.left >= 0 && search(index + 1)) return true;
    }
    const { test } = field;
    if (!test || budget.left < 0) return false;
    const choices = (passing[index] ??= choicesOf(leaves.filter((leaf) => test(leaf.value))));
    let triedWithoutNarrowing = false;
    for (const leaf of within(choices)) {
      const fits = consistent(leaf);
      if (budget.left < 0) return false;
      if (!fits) continue;
      const mark = undo.length;
      const { membership } = leaf;
      for (let i = 0; i < membership.length; i += 2) {
        if (picked[membership[i]] === -1) {
          picked[membership[i]] = membership[i + 1];
          undo.push(membership[i]);
        }
      }
      const narrowed = undo.length > mark;
      // A value that picks no new element leaves the search where the last such value left it.
      if (narrowed || !triedWithoutNarrowing) {
        if (search(index + 1)) return true;
        if (budget.left < 0) return false;
      }
      while (undo.length > mark) picked[undo.pop()!] = -1;
      if (!narrowed) {
        // Another value could only add constraints, and those rescue nothing but a later absence.
        if (!field.absenceFollows) return false;
        triedWithoutNarrowing = true;
      }
    }
    return false;
  };
  return search(0);
}

function choicesOf(leaves: readonly EventLeaf[]): Choices {
  const array = leaves.length > 0 && leaves[0].membership.length > 0 ? leaves[0].membership[0] : -1;
  if (
    array === -1 ||
    leaves.length < GROUPING_THRESHOLD ||
    !leaves.every((leaf) => leaf.membership.length > 0 && leaf.membership[0] === array)
  ) {
    return { all: leaves, array: -1, byElement: undefined };
  }
  const byElement = new Map<number, EventLeaf[]>();
  for (const leaf of leaves) {
    const element = leaf.membership[1];
    const group = byElement.get(element);
    if (group) group.push(leaf);
    else byElement.set(element, [leaf]);
  }
  return { all: leaves, array, byElement };
}

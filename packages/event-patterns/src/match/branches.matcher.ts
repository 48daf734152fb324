import type { CompiledBranch } from '../interfaces/compiled-branch.interface';
import type { EventLeaves } from '../interfaces/event-leaves.interface';
import { MAX_MATCH_STEPS } from '../limits/event-pattern.limits';
import { type Budget, matchesWithinArrays } from './array-branch.matcher';

/**
 * What a caller already knows of branch `b` for this event: `false` when it cannot match, the
 * fields known to pass (by index), or undefined when nothing is known.
 */
export type BranchFacts = (b: number) => false | readonly boolean[] | undefined;

/**
 * Whether some branch matches, trying them in order. They share one budget of `MAX_MATCH_STEPS`:
 * once it is spent, the pattern does not match, whatever later branches would say.
 */
export function matchesAnyBranch(
  branches: readonly CompiledBranch[],
  event: EventLeaves,
  facts?: BranchFacts,
): boolean {
  let budget: Budget | undefined;
  for (let b = 0; b < branches.length; b++) {
    const fields = branches[b];
    const known = facts?.(b);
    if (!readsArrays(fields, event)) {
      // Outside arrays a branch spends no budget, so one known to fail can be passed over.
      if (known !== false && matchesOutsideArrays(fields, event, known)) return true;
      continue;
    }
    // Within arrays even a branch known to fail is searched: the budget it spends decides
    // whether later branches are tried at all.
    budget ??= { left: MAX_MATCH_STEPS };
    if (matchesWithinArrays(fields, event, budget)) return true;
    if (budget.left < 0) return false;
  }
  return false;
}

function readsArrays(fields: CompiledBranch, event: EventLeaves): boolean {
  for (const field of fields) if (event.inArray[field.slot]) return true;
  return false;
}

/**
 * Outside arrays no choice constrains another, so each field is judged on its own. A path can
 * still hold two values, from a dotted key and from nested keys.
 */
export function matchesOutsideArrays(
  fields: CompiledBranch,
  event: EventLeaves,
  passing: readonly boolean[] | undefined,
): boolean {
  for (let f = 0; f < fields.length; f++) {
    if (passing?.[f]) continue;
    const { slot, test, acceptsAbsence } = fields[f];
    const leaves = event.bySlot[slot];
    if (!leaves) {
      if (!acceptsAbsence) return false;
      continue;
    }
    if (!test) return false;
    let passes = false;
    for (const leaf of leaves) {
      if (test(leaf.value)) {
        passes = true;
        break;
      }
    }
    if (!passes) return false;
  }
  return true;
}

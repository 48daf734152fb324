import type { EventLeaves } from '../interfaces/event-leaves.interface';
import type { Entry } from './index-entry.model';
import { type State, STEP_WIDTH } from './index-state.model';
import type { StepTable } from './step.table';
import { affixHashBits, foldedHashBits, hashBits } from './value.hasher';

/**
 * Takes every step the event's values allow from `root`, marking the alternatives whose last
 * state is reached and adding their entries, once each, to `candidates`. `stamp` identifies this
 * `match()`, so that nothing is reset between events.
 */
export function walkStates<T>(
  root: State<T>,
  leaves: EventLeaves,
  stamp: number,
  candidates: Entry<T>[],
): void {
  const pending: State<T>[] = [root];
  const reach = (state: State<T>) => {
    if (state.seen === stamp) return;
    state.seen = stamp;
    pending.push(state);
  };
  // By slot: the hash bits of the event's values there, and of them lowered, computed when first
  // needed.
  const bits = new Array<number>(leaves.bySlot.length).fill(0);
  const foldedBits = new Array<number>(leaves.bySlot.length).fill(0);
  for (let state = pending.pop(); state; state = pending.pop()) {
    const { ends, endBranches } = state;
    if (ends) {
      for (let e = 0; e < ends.length; e++) {
        const entry = ends[e];
        if (entry.reached) entry.reached[endBranches ? endBranches[e] : 0] = stamp;
        if (entry.seen === stamp) continue;
        entry.seen = stamp;
        candidates.push(entry);
      }
    }
    const { steps } = state;
    if (!steps) continue;
    for (let i = 0; i < steps.length; i += STEP_WIDTH) {
      const slot = steps[i] as number;
      const values = leaves.bySlot[slot];
      if (!values) continue;
      // Reading the table only when a value may be in it: with many patterns, states and
      // tables are rarely in the processor's caches, and most tables hold none of the values.
      const mask = steps[i + 1] as number;
      if (mask !== -1 && (mask & (bits[slot] ||= hashBits(values))) === 0) {
        const foldedMask = steps[i + 2] as number;
        const affixMask = steps[i + 3] as number;
        const folded =
          foldedMask !== 0 && (foldedMask & (foldedBits[slot] ||= foldedHashBits(values))) !== 0;
        // Not kept per slot: tables cut values to different lengths.
        const affix =
          affixMask !== 0 && (affixMask & affixHashBits(values, steps[i + 4] as number)) !== 0;
        if (!folded && !affix) continue;
      }
      (steps[i + 5] as StepTable<T>).probe(values, reach, stamp);
    }
  }
}

import { appended } from './array-append.helper';
import type { BuiltEntry } from './index-entry.builder';
import type { Entry } from './index-entry.model';
import type { State } from './index-state.model';
import { StepTable } from './step.table';

/**
 * Files each alternative of the entry along the steps of the fields it cannot match without,
 * creating the states and tables it needs from `root`. False when some alternative has no steps,
 * so that the entry must be judged against every event.
 */
export function fileAlongSteps<T>(root: State<T>, { entry, steps }: BuiltEntry<T>): boolean {
  let filedAll = true;
  steps.forEach((chosen, branch) => {
    if (chosen.length === 0) {
      filedAll = false;
      return;
    }
    let states = [root];
    for (const option of chosen) {
      const next = new Set<State<T>>();
      for (const state of states) {
        let i = state.steps?.findIndex((table) => table.slot === option.slot) ?? -1;
        if (i === -1) {
          state.steps = appended(state.steps, new StepTable(option.slot));
          state.keys = appended(state.keys, option.slot, 0, 0);
          i = state.steps.length - 1;
        }
        const table = state.steps![i];
        for (const target of table.targets(option)) next.add(target);
        state.keys![3 * i + 1] = table.mask;
        state.keys![3 * i + 2] = table.foldedMask;
      }
      states = [...next];
    }
    for (const state of states) fileEnd(state, entry, branch);
  });
  return filedAll;
}

function fileEnd<T>(state: State<T>, entry: Entry<T>, branch: number): void {
  if (branch !== 0 && !state.endBranches) {
    state.endBranches = new Array<number>(state.ends?.length ?? 0).fill(0);
  }
  state.ends = appended(state.ends, entry);
  if (state.endBranches) state.endBranches = appended(state.endBranches, branch);
}

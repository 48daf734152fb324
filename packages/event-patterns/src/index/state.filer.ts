import { appended } from './array-append.helper';
import type { BuiltEntry } from './index-entry.builder';
import type { Entry } from './index-entry.model';
import { type State, STEP_WIDTH } from './index-state.model';
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
        let i = 0;
        while (state.steps && i < state.steps.length && state.steps[i] !== option.slot) {
          i += STEP_WIDTH;
        }
        if (!state.steps || i === state.steps.length) {
          state.steps = appended(state.steps, option.slot, 0, 0, 0, 0, new StepTable(option.slot));
        }
        const steps = state.steps;
        const table = steps[i + 5] as StepTable<T>;
        for (const target of table.targets(option)) next.add(target);
        steps[i + 1] = table.mask;
        steps[i + 2] = table.foldedMask;
        steps[i + 3] = table.affixMask;
        steps[i + 4] = table.affixLength;
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

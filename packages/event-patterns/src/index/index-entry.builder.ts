import { compileBranch } from '../compile/branch.compiler';
import type { PatternBranch } from '../interfaces/pattern-condition.interface';
import type { PathTrie } from '../match/path.trie';
import { type FieldOption, planField, proves } from './field.planner';
import type { Entry, Filing } from './index-entry.model';
import { slotBit } from './slot-bits.helper';
import { chooseSteps } from './step.chooser';

/** A pattern ready to be filed: its entry, and per alternative the steps to file it along. */
export interface BuiltEntry<T> {
  readonly entry: Entry<T>;
  /** Empty for an alternative that no field can exclude. */
  readonly steps: readonly (readonly FieldOption[])[];
}

/** Compiles the pattern's alternatives (giving their paths slots in `trie`) and plans their steps. */
export function buildEntry<T>(
  id: T,
  branches: readonly PatternBranch[],
  seq: number,
  trie: PathTrie,
): BuiltEntry<T> {
  const compiled = branches.map((branch) => compileBranch(branch, trie));
  const steps = branches.map((branch, b) =>
    chooseSteps(
      branch.flatMap((field, index) => {
        const { slot, test, acceptsAbsence } = compiled[b][index];
        return acceptsAbsence ? [] : [planField(field, index, slot, test)];
      }),
    ),
  );
  const filing = steps.map((chosen, b): Filing => {
    if (chosen.length === 0) return { passing: undefined, complete: false };
    const passing = new Array<boolean>(branches[b].length).fill(false);
    for (const step of chosen) passing[step.index] = proves(step.plan);
    return { passing, complete: passing.every(Boolean) };
  });
  const slots = [...new Set(compiled.flatMap((fields) => fields.map((field) => field.slot)))];
  const slotBits = slots.reduce((bits, slot) => bits | slotBit(slot), 0);
  const completeBits = filing.reduce(
    (bits, { complete }, b) => (complete && b < 31 ? bits | (1 << b) : bits),
    0,
  );
  const reached = branches.length > 1 ? new Array<number>(branches.length).fill(0) : undefined;
  const entry = {
    id,
    seq,
    branches,
    compiled,
    filing,
    slots,
    slotBits,
    completeBits,
    reached,
    removed: false,
    seen: 0,
  };
  return { entry, steps };
}

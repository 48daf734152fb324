import type { CompiledBranch, CompiledField } from '../interfaces/compiled-branch.interface';
import type { PatternBranch, PatternField } from '../interfaces/pattern-condition.interface';
import type { PathTrie } from '../match/path.trie';
import { compileTest } from './value-test.compiler';

/** Compiles a branch, giving its paths slots in `trie` (added when new). */
export function compileBranch(branch: PatternBranch, trie: PathTrie): CompiledBranch {
  // Built by map, at its exact size: an array grown by pushes keeps room for more, which
  // thousands of patterns pay for in memory.
  const absenceFollows = new Array<boolean>(branch.length).fill(false);
  for (let i = branch.length - 2; i >= 0; i--) {
    absenceFollows[i] = absenceFollows[i + 1] || acceptsAbsence(branch[i + 1]);
  }
  return branch.map((field, i) => compileField(field, trie.add(field.path), absenceFollows[i]));
}

function compileField(field: PatternField, slot: number, absenceFollows: boolean): CompiledField {
  const positive = field.conditions.filter((c) => c.kind !== 'exists' || c.value);
  const test = positive.length === 0 ? undefined : compileTest(positive);
  return { slot, test, acceptsAbsence: acceptsAbsence(field), absenceFollows };
}

function acceptsAbsence({ conditions }: PatternField): boolean {
  return conditions.some((c) => c.kind === 'exists' && !c.value);
}

import type { EventLeaves } from '../interfaces/event-leaves.interface';
import type { PathNode } from '../interfaces/path-node.interface';
import {
  type BranchFacts,
  matchesAnyBranch,
  matchesOutsideArrays,
} from '../match/branches.matcher';
import { type PathTrie, slotsUnder } from '../match/path.trie';
import type { Entry } from './index-entry.model';

/**
 * What `compilePattern(pattern)(event)` answers for a candidate, trusting what the walk proved.
 * `tainted` marks the slots below where the event went past a limit (see `taintedSlots`);
 * `arrayBits` is `flaggedSlotBits(leaves.inArray)`.
 */
export function confirmCandidate<T>(
  entry: Entry<T>,
  leaves: EventLeaves,
  stamp: number,
  tainted: readonly boolean[] | undefined,
  arrayBits: number,
): boolean {
  if (entry.removed) return false;
  // The pattern alone would have stopped at the same node and not matched.
  if (tainted && someOf(entry.slots, tainted)) return false;
  const { filing, reached, compiled } = entry;
  const lastReached = (b: number) => (reached ? reached[b] : entry.seen);
  const facts: BranchFacts = (b) => {
    const { passing } = filing[b];
    // An alternative filed along steps matches only if the walk reached its last state.
    return passing && (lastReached(b) === stamp ? passing : false);
  };
  if ((entry.slotBits & arrayBits) !== 0 && someOf(entry.slots, leaves.inArray)) {
    return matchesAnyBranch(compiled, leaves, facts);
  }
  // Outside arrays no search budget is spent, so the order of the alternatives does not matter,
  // and one whose every field the walk proved matches without another look.
  for (let bits = entry.completeBits, b = 0; bits !== 0; bits >>>= 1, b++) {
    if (bits & 1 && lastReached(b) === stamp) return true;
  }
  // What `matchesAnyBranch` would do, without first reading every field of every alternative to
  // learn that none reads an array: the fields the walk proved are then not read at all.
  for (let b = 0; b < compiled.length; b++) {
    const known = facts(b);
    if (known !== false && matchesOutsideArrays(compiled[b], leaves, known)) return true;
  }
  return false;
}

/** By slot: whether the path runs through a node where the event went past a limit. */
export function taintedSlots(trie: PathTrie, nodes: ReadonlySet<PathNode>): boolean[] {
  const tainted = new Array<boolean>(trie.slotCount).fill(false);
  for (const node of nodes) for (const slot of slotsUnder(node)) tainted[slot] = true;
  return tainted;
}

function someOf(slots: readonly number[], flags: readonly boolean[]): boolean {
  for (const slot of slots) if (flags[slot]) return true;
  return false;
}

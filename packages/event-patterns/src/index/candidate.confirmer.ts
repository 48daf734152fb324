import type { EventLeaves } from '../interfaces/event-leaves.interface';
import type { PathNode } from '../interfaces/path-node.interface';
import { matchesAnyBranch } from '../match/branches.matcher';
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
  const { filing, reached } = entry;
  const lastReached = (b: number) => (reached ? reached[b] : entry.seen);
  if ((entry.slotBits & arrayBits) === 0 || !someOf(entry.slots, leaves.inArray)) {
    // Outside arrays no search budget is spent, so the order of the alternatives does not
    // matter, and one whose every field the walk proved matches without another look.
    for (let bits = entry.completeBits, b = 0; bits !== 0; bits >>>= 1, b++) {
      if (bits & 1 && lastReached(b) === stamp) return true;
    }
  }
  return matchesAnyBranch(entry.compiled, leaves, (b) => {
    const { passing } = filing[b];
    // An alternative filed along steps matches only if the walk reached its last state.
    return passing && (lastReached(b) === stamp ? passing : false);
  });
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

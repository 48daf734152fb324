import type { PathNode } from './path-node.interface';
import type { JsonScalar } from './pattern-condition.interface';

/** A scalar of the event at a pattern path, with the array elements it sits in. */
export interface EventLeaf {
  readonly value: JsonScalar;
  /** Pairs of (array id, element index) from the outermost array inward; empty outside arrays. */
  readonly membership: readonly number[];
}

/** What `collectEventLeaves` read of one event, for every pattern path of a trie. */
export interface EventLeaves {
  /** Indexed by the slot of each pattern path (see `PathTrie`). */
  readonly bySlot: readonly (readonly EventLeaf[] | undefined)[];
  /** By slot: whether some leaf of the slot sits inside an array. */
  readonly inArray: readonly boolean[];
  /** Array ids run from 0 to `arrayCount - 1`. */
  readonly arrayCount: number;
  /**
   * Trie nodes where the event went past `MAX_EVENT_DEPTH` or `MAX_EVENT_ARRAY_ELEMENTS`; what lies
   * beyond was not read. Empty for events within the limits.
   */
  readonly overflowed: ReadonlySet<PathNode>;
}

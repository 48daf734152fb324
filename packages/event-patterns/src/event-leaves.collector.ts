import { MAX_EVENT_ARRAY_ELEMENTS, MAX_EVENT_DEPTH } from './event-pattern.limits';
import type { JsonScalar } from './pattern-condition.interface';

/** A scalar of the event at a pattern path, with the array elements it sits in. */
export interface EventLeaf {
  readonly value: JsonScalar;
  /** Pairs of (array id, element index) from the outermost array inward; empty outside arrays. */
  readonly membership: readonly number[];
}

export interface EventLeaves {
  /** Indexed by the slot of each pattern path (see `PathTrie`). */
  readonly bySlot: readonly (readonly EventLeaf[] | undefined)[];
  /** The slots that hold leaves, in the order they were first met. */
  readonly filled: readonly number[];
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

export interface PathNode {
  readonly children: Map<string, PathNode>;
  /** Index of the pattern path ending here, or -1 when it only leads to longer paths. */
  slot: number;
  /** Numbers the nodes from 0, for per-event counters. */
  readonly id: number;
}

/** Pattern paths split on ".", so event keys are looked up without building path strings. */
export class PathTrie {
  readonly root: PathNode = { children: new Map(), slot: -1, id: 0 };
  private nodes = 1;
  private slots = 0;

  /** Builds the trie of `paths`; the slot of `paths[i]` is `i` when they are distinct. */
  static of(paths: readonly string[]): PathTrie {
    const trie = new PathTrie();
    for (const path of paths) trie.add(path);
    return trie;
  }

  get nodeCount(): number {
    return this.nodes;
  }

  get slotCount(): number {
    return this.slots;
  }

  /** The slot of `path`, numbered on from the last one when the path is new. */
  add(path: string): number {
    let node = this.root;
    for (const segment of path.split('.')) {
      let child = node.children.get(segment);
      if (!child) {
        child = { children: new Map(), slot: -1, id: this.nodes++ };
        node.children.set(segment, child);
      }
      node = child;
    }
    if (node.slot === -1) node.slot = this.slots++;
    return node.slot;
  }
}

/** The slots of the paths that run through `node`, its own included. */
export function slotsUnder(node: PathNode): number[] {
  const slots: number[] = [];
  const pending = [node];
  for (let next = pending.pop(); next; next = pending.pop()) {
    if (next.slot !== -1) slots.push(next.slot);
    pending.push(...next.children.values());
  }
  return slots;
}

const OUTSIDE_ARRAYS: readonly number[] = [];
const NONE_IN_ARRAYS: readonly boolean[] = [];
const NO_OVERFLOW: ReadonlySet<PathNode> = new Set();
const SKIP = Symbol('skip');

/**
 * Flattens the event the way EventBridge does: keys joined with "." (so a dotted key and nested
 * keys reach the same path), arrays transparent, only scalars (null included) as values, and only
 * the subtrees leading to pattern paths visited. Values are read as `JSON.stringify` would write
 * them, so a `Date` is its ISO string and `undefined` is absent.
 *
 * Past `MAX_EVENT_DEPTH` or `MAX_EVENT_ARRAY_ELEMENTS` at a node, the node is reported in
 * `overflowed` and what lies beyond is skipped; `untilOverflow` stops at the first such node,
 * for a caller that will not use the leaves then. Every count is per trie node and every node is
 * reached the same way whatever other paths the trie holds, so the node overflows for any trie
 * holding it: a trie of many patterns overflows exactly where the trie of one of them would.
 */
export function collectEventLeaves(
  event: object,
  trie: PathTrie,
  untilOverflow: boolean,
): EventLeaves {
  const bySlot = new Array<EventLeaf[] | undefined>(trie.slotCount);
  const filled: number[] = [];
  // Created on first use: most events have no arrays at pattern paths and fit the limits.
  let inArray: boolean[] | undefined;
  let overflowed: Set<PathNode> | undefined;
  let elementCounts: Uint32Array | undefined;
  let arrayCount = 0;

  const overflow = (node: PathNode): boolean => {
    (overflowed ??= new Set()).add(node);
    return untilOverflow;
  };

  // Each returns true to stop the whole walk.
  const visitObject = (
    object: object,
    node: PathNode,
    membership: readonly number[],
    level: number,
  ): boolean => {
    for (const key of Object.keys(object)) {
      const child = key.includes('.') ? descend(node, key) : node.children.get(key);
      if (!child) continue;
      const value = toJson((object as Record<string, unknown>)[key], SKIP);
      if (value !== SKIP && visit(value, child, membership, level)) return true;
    }
    return false;
  };

  const visit = (
    value: unknown,
    node: PathNode,
    membership: readonly number[],
    level: number,
  ): boolean => {
    if (level > MAX_EVENT_DEPTH) return overflow(node);
    if (Array.isArray(value)) {
      const elements: readonly unknown[] = value;
      elementCounts ??= new Uint32Array(trie.nodeCount);
      elementCounts[node.id] += elements.length;
      if (elementCounts[node.id] > MAX_EVENT_ARRAY_ELEMENTS) return overflow(node);
      const id = arrayCount++;
      for (let index = 0; index < elements.length; index++) {
        const element = toJson(elements[index], null);
        if (visit(element, node, [...membership, id, index], level + 1)) return true;
      }
    } else if (typeof value === 'object' && value !== null) {
      if (node.children.size > 0) return visitObject(value, node, membership, level + 1);
    } else if (node.slot !== -1) {
      const leaf = { value: value as JsonScalar, membership };
      const leaves = bySlot[node.slot];
      if (leaves) leaves.push(leaf);
      else {
        bySlot[node.slot] = [leaf];
        filled.push(node.slot);
      }
      if (membership.length > 0) (inArray ??= new Array<boolean>(trie.slotCount))[node.slot] = true;
    }
    return false;
  };

  visitObject(event, trie.root, OUTSIDE_ARRAYS, 1);
  return {
    bySlot,
    filled,
    inArray: inArray ?? NONE_IN_ARRAYS,
    arrayCount,
    overflowed: overflowed ?? NO_OVERFLOW,
  };
}

function descend(node: PathNode, dottedKey: string): PathNode | undefined {
  let current: PathNode | undefined = node;
  for (const segment of dottedKey.split('.')) {
    current = current.children.get(segment);
    if (!current) return undefined;
  }
  return current;
}

/** `JSON.stringify`'s view of a value; `omitted` stands for what it would leave out. */
function toJson<T>(raw: unknown, omitted: T): unknown {
  const value =
    typeof raw === 'object' &&
    raw !== null &&
    typeof (raw as { toJSON?: unknown }).toJSON === 'function'
      ? (raw as { toJSON: () => unknown }).toJSON()
      : raw;
  switch (typeof value) {
    case 'string':
    case 'boolean':
    case 'object':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : null;
    default:
      // undefined, functions and symbols vanish from objects and become null in arrays; a bigint
      // makes JSON.stringify throw, and a matcher should not, so it is treated the same way.
      return omitted;
  }
}

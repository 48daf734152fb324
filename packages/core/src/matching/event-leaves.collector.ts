import type { JsonScalar } from './pattern-condition.interface';

/** A scalar of the event at a pattern path, with the array elements it sits in. */
export interface EventLeaf {
  readonly value: JsonScalar;
  /** Pairs of (array id, element index) from the outermost array inward; empty outside arrays. */
  readonly membership: readonly number[];
}

export interface EventLeaves {
  /** Indexed by the slot of each pattern path (see `buildPathTrie`). */
  readonly bySlot: readonly (readonly EventLeaf[] | undefined)[];
  /** Array ids run from 0 to `arrayCount - 1`. */
  readonly arrayCount: number;
}

/** The pattern paths split on ".", so event keys are looked up without building path strings. */
export interface PathTrie {
  readonly children: Map<string, PathTrie>;
  /** Index of the pattern path ending here, or -1 when it only leads to longer paths. */
  slot: number;
}

/** Builds the trie of `paths`; the slot of `paths[i]` is `i`. */
export function buildPathTrie(paths: readonly string[]): PathTrie {
  const root: PathTrie = { children: new Map(), slot: -1 };
  paths.forEach((path, slot) => {
    let node = root;
    for (const segment of path.split('.')) {
      let child = node.children.get(segment);
      if (!child) {
        child = { children: new Map(), slot: -1 };
        node.children.set(segment, child);
      }
      node = child;
    }
    node.slot = slot;
  });
  return root;
}

const OUTSIDE_ARRAYS: readonly number[] = [];
const SKIP = Symbol('skip');

/**
 * Flattens the event the way EventBridge does: keys joined with "." (so a dotted key and nested
 * keys reach the same path), arrays transparent, only scalars (null included) as values, and only
 * the subtrees leading to pattern paths visited. Values are read as `JSON.stringify` would write
 * them, so a `Date` is its ISO string and `undefined` is absent.
 */
export function collectEventLeaves(event: object, trie: PathTrie, slotCount: number): EventLeaves {
  const bySlot = new Array<EventLeaf[] | undefined>(slotCount);
  let arrayCount = 0;

  const visitObject = (object: object, node: PathTrie, membership: readonly number[]) => {
    for (const key of Object.keys(object)) {
      const child = key.includes('.') ? descend(node, key) : node.children.get(key);
      if (!child) continue;
      const value = toJson((object as Record<string, unknown>)[key], SKIP);
      if (value !== SKIP) visit(value, child, membership);
    }
  };

  const visit = (value: unknown, node: PathTrie, membership: readonly number[]) => {
    if (Array.isArray(value)) {
      const id = arrayCount++;
      const elements: readonly unknown[] = value;
      elements.forEach((element, index) => {
        visit(toJson(element, null), node, [...membership, id, index]);
      });
    } else if (typeof value === 'object' && value !== null) {
      if (node.children.size > 0) visitObject(value, node, membership);
    } else if (node.slot !== -1) {
      const leaf = { value: value as JsonScalar, membership };
      const leaves = bySlot[node.slot];
      if (leaves) leaves.push(leaf);
      else bySlot[node.slot] = [leaf];
    }
  };

  visitObject(event, trie, OUTSIDE_ARRAYS);
  return { bySlot, arrayCount };
}

function descend(node: PathTrie, dottedKey: string): PathTrie | undefined {
  let current: PathTrie | undefined = node;
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

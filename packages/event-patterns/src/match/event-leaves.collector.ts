import type { EventLeaf, EventLeaves } from '../interfaces/event-leaves.interface';
import type { PathNode } from '../interfaces/path-node.interface';
import type { JsonScalar } from '../interfaces/pattern-condition.interface';
import { MAX_EVENT_ARRAY_ELEMENTS, MAX_EVENT_DEPTH } from '../limits/event-pattern.limits';
import type { PathTrie } from './path.trie';

const OUTSIDE_ARRAYS: readonly number[] = [];
const NONE_IN_ARRAYS: readonly boolean[] = [];
const NO_OVERFLOW: ReadonlySet<PathNode> = new Set();
const SKIP = Symbol('skip');

/** Reads `value` where the walk stands in the trie; true to stop the whole walk. */
type Visit<V> = (value: V, node: PathNode, membership: readonly number[], level: number) => boolean;

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
  // Created on first use: most events have no arrays at pattern paths and fit the limits.
  let inArray: boolean[] | undefined;
  let overflowed: Set<PathNode> | undefined;
  // By trie node id. A plain array: a typed array sized to the trie would cost an allocation that
  // grows with the number of pattern paths, for every event that has an array.
  let elementCounts: number[] | undefined;
  let arrayCount = 0;

  const overflow = (node: PathNode): boolean => {
    (overflowed ??= new Set()).add(node);
    return untilOverflow;
  };

  const visitObject: Visit<object> = (object, node, membership, level) => {
    for (const key of Object.keys(object)) {
      const child = key.includes('.') ? descend(node, key) : node.children.get(key);
      if (!child) continue;
      const value = toJson((object as Record<string, unknown>)[key], SKIP);
      if (value !== SKIP && visit(value, child, membership, level)) return true;
    }
    return false;
  };

  const visit: Visit<unknown> = (value, node, membership, level) => {
    if (level > MAX_EVENT_DEPTH) return overflow(node);
    if (Array.isArray(value)) {
      const elements: readonly unknown[] = value;
      elementCounts ??= [];
      const elementCount = (elementCounts[node.id] ?? 0) + elements.length;
      elementCounts[node.id] = elementCount;
      if (elementCount > MAX_EVENT_ARRAY_ELEMENTS) return overflow(node);
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
      else bySlot[node.slot] = [leaf];
      if (membership.length > 0) (inArray ??= new Array<boolean>(trie.slotCount))[node.slot] = true;
    }
    return false;
  };

  visitObject(event, trie.root, OUTSIDE_ARRAYS, 1);
  return {
    bySlot,
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

import type { PathNode } from '../interfaces/path-node.interface';

/** Pattern paths split on ".", so event keys are looked up without building path strings. */
export class PathTrie {
  readonly root: PathNode = { children: new Map(), slot: -1, id: 0 };
  private nodes = 1;
  private slots = 0;

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

/** A node of a `PathTrie`: one segment of one or more pattern paths. */
export interface PathNode {
  readonly children: Map<string, PathNode>;
  /** Index of the pattern path ending here, or -1 when it only leads to longer paths. */
  slot: number;
  /** Numbers the nodes from 0, for per-event counters. */
  readonly id: number;
}

import type { PatternBranch } from '../interfaces/pattern-condition.interface';
import { isPlainObject } from '../json/plain-object.guard';
import { collectEventLeaves } from '../match/event-leaves.collector';
import { PathTrie } from '../match/path.trie';
import { parsePatternBranches } from '../parse/pattern-branches.parser';
import { idsInAddedOrder } from './added-order.sorter';
import { confirmCandidate, taintedSlots } from './candidate.confirmer';
import { buildEntry } from './index-entry.builder';
import type { Entry } from './index-entry.model';
import { newState } from './index-state.model';
import { flaggedSlotBits } from './slot-bits.helper';
import { fileAlongSteps } from './state.filer';
import { walkStates } from './state.walker';

/**
 * Many event patterns compiled into one structure, so that matching an event costs about what the
 * event holds and how many patterns it matches, not how many patterns there are. The design is
 * event-ruler's (AWS's own matcher): a state machine over the fields of the patterns.
 *
 * Each pattern alternative (one per way its `$or`s can be chosen) is filed along a path of steps,
 * one per field it cannot match without (exact values first, see `chooseSteps`): from each state,
 * a table per field maps the values that can satisfy it to the next state. Exact values and
 * `equals-ignore-case` are hash lookups, `prefix` and `suffix` one lookup per distinct affix
 * length, `numeric` ranges a table sorted by lower bound, `exists: true` a step taken whenever the
 * field is there. An event is flattened
 * once for all patterns; from the start state, each of its values takes the steps it satisfies,
 * and the alternatives whose last state is reached are candidates. Only states where every earlier
 * field held are visited, so the work follows the event and the patterns it nearly matches.
 *
 * Candidates are then judged exactly as `compilePattern()` judges them (array consistency,
 * `exists: false`, the fields left out of the steps, the limits of `event-pattern.limits.ts`), on
 * the same flattened values; `match()` therefore answers what testing every pattern would, in the
 * order the patterns were added.
 *
 * Two kinds of alternatives cannot be filed that way and cost something for every event:
 * - fields that only `anything-but`, `wildcard` or `cidr` satisfy (with no exact, affix, numeric or
 *   `exists: true` field beside them) are filed under a test run on each of the event's values at
 *   that path, when the event has one;
 * - alternatives whose every field may be absent (only `exists: false`, or `[{"exists": false},
 *   …]`) are judged against every event.
 */
export class EventPatternIndex<T> {
  private readonly entries = new Map<T, Entry<T>>();
  private trie = new PathTrie();
  private root = newState<T>();
  /** Patterns with an alternative that no field can exclude. */
  private unfiled: Entry<T>[] = [];
  private nextSeq = 0;
  private stamp = 0;
  /** Removed or replaced patterns still filed. */
  private stale = 0;

  get size(): number {
    return this.entries.size;
  }

  has(id: T): boolean {
    return this.entries.has(id);
  }

  /**
   * Validates `pattern` (throwing `InvalidEventPatternError` as `validatePattern()` does, and then
   * leaving the index as it was) and adds it under `id`. A pattern already under `id` is replaced
   * and keeps its place in `match()`'s order.
   */
  add(id: T, pattern: object | string): void {
    const branches = parsePatternBranches(pattern);
    const previous = this.entries.get(id);
    if (previous) this.retire(previous);
    this.insert(id, branches, previous?.seq ?? this.nextSeq++);
    this.compactIfStale();
  }

  /** Removes the pattern under `id`; false when there was none. */
  remove(id: T): boolean {
    const entry = this.entries.get(id);
    if (!entry) return false;
    this.entries.delete(id);
    this.retire(entry);
    this.compactIfStale();
    return true;
  }

  /**
   * The ids of the patterns that `event` matches, in the order they were added: the same answer as
   * `compilePattern(pattern)(event)` for each. Like that matcher, it reads parsed events (plain
   * objects as `JSON.parse` returns them); anything but an object matches nothing.
   */
  match(event: unknown): T[] {
    if (!isPlainObject(event)) return [];
    if (this.entries.size === 0) return [];
    const stamp = ++this.stamp;
    const leaves = collectEventLeaves(event, this.trie, false);
    const candidates: Entry<T>[] = [];
    for (const entry of this.unfiled) {
      entry.seen = stamp;
      candidates.push(entry);
    }
    walkStates(this.root, leaves, stamp, candidates);
    const tainted =
      leaves.overflowed.size > 0 ? taintedSlots(this.trie, leaves.overflowed) : undefined;
    const arrayBits = flaggedSlotBits(leaves.inArray);
    const matched: Entry<T>[] = [];
    for (const entry of candidates) {
      if (confirmCandidate(entry, leaves, stamp, tainted, arrayBits)) matched.push(entry);
    }
    return idsInAddedOrder(matched);
  }

  /** Compiles the pattern and files each alternative along its steps. */
  private insert(id: T, branches: readonly PatternBranch[], seq: number): void {
    const built = buildEntry(id, branches, seq, this.trie);
    this.entries.set(id, built.entry);
    if (!fileAlongSteps(this.root, built)) this.unfiled.push(built.entry);
  }

  private retire(entry: Entry<T>): void {
    entry.removed = true;
    this.stale++;
  }

  /**
   * Removed patterns are only skipped until they outnumber the live ones; the states are then
   * rebuilt, so that removal costs O(1) amortized.
   */
  private compactIfStale(): void {
    if (this.stale <= this.entries.size) return;
    const live = [...this.entries.values()].sort((a, b) => a.seq - b.seq);
    this.trie = new PathTrie();
    this.root = newState();
    this.unfiled = [];
    this.entries.clear();
    for (const { id, branches, seq } of live) this.insert(id, branches, seq);
    this.stale = 0;
  }
}

import { ipAddressKey, parseIpAddress } from './cidr.parser';
import {
  collectEventLeaves,
  type EventLeaf,
  type EventLeaves,
  type PathNode,
  PathTrie,
  slotsUnder,
} from './event-leaves.collector';
import {
  type CompiledBranch,
  compileBranch,
  matchesAnyBranch,
  type ValueTest,
} from './event-pattern.compiler';
import { patternBranches } from './event-pattern.matcher';
import type {
  JsonScalar,
  PatternBranch,
  PatternCondition,
  PatternField,
} from './pattern-condition.interface';

/**
 * An alternative is filed under the product of its fields' values up to this many ways (source
 * ["a", "b"] and type ["x", "y", "z"] make 6); fields that would go past it are left to the final
 * check.
 */
const MAX_FANOUT = 16;

/**
 * Many event patterns compiled into one structure, so that matching an event costs about what the
 * event holds and how many patterns it matches, not how many patterns there are. The design is
 * event-ruler's (AWS's own matcher): a state machine over the fields of the patterns.
 *
 * Each pattern alternative (one per way its `$or`s can be chosen) is filed along a path of steps,
 * one per field it cannot match without (exact values first, see `chooseSteps`): from each state,
 * a table per field maps the values that can satisfy it to the next state. Exact values and `equals-ignore-case` are hash lookups,
 * `prefix` and `suffix` one lookup per distinct affix length, `numeric` ranges a table sorted by
 * lower bound, `exists: true` a step taken whenever the field is there. An event is flattened
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
    const branches = patternBranches(pattern);
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
    if (typeof event !== 'object' || event === null || Array.isArray(event)) return [];
    if (this.entries.size === 0) return [];
    const stamp = ++this.stamp;
    const leaves = collectEventLeaves(event, this.trie, false);
    const candidates: Entry<T>[] = [];
    for (const entry of this.unfiled) {
      entry.seen = stamp;
      candidates.push(entry);
    }
    this.walk(leaves, stamp, candidates);
    const tainted = leaves.overflowed.size > 0 ? this.taintedSlots(leaves.overflowed) : undefined;
    const matched = candidates.filter((entry) => this.confirm(entry, leaves, stamp, tainted));
    if (matched.length > 1) matched.sort((a, b) => a.seq - b.seq);
    return matched.map((entry) => entry.id);
  }

  /** What `compilePattern(pattern)(event)` answers for a candidate, trusting what the walk proved. */
  private confirm(
    entry: Entry<T>,
    leaves: EventLeaves,
    stamp: number,
    tainted: readonly boolean[] | undefined,
  ): boolean {
    if (entry.removed) return false;
    // The pattern alone would have stopped at the same node and not matched.
    if (tainted && someOf(entry.slots, tainted)) return false;
    const { filing, reached } = entry;
    if (!someOf(entry.slots, leaves.inArray)) {
      // Outside arrays no search budget is spent, so the order of the alternatives does not
      // matter, and one whose every field the walk proved matches without another look.
      for (let b = 0; b < filing.length; b++) {
        if (filing[b].complete && reached[b] === stamp) return true;
      }
    }
    return matchesAnyBranch(entry.compiled, leaves, (b) => {
      const { passing } = filing[b];
      // An alternative filed along steps matches only if the walk reached its last state.
      return passing && (reached[b] === stamp ? passing : false);
    });
  }

  /** Takes every step the event's values allow from the start state; collects the entries met. */
  private walk(leaves: EventLeaves, stamp: number, candidates: Entry<T>[]): void {
    const pending: State<T>[] = [this.root];
    const reach = (state: State<T>) => {
      if (state.seen === stamp) return;
      state.seen = stamp;
      pending.push(state);
    };
    // By slot: the hash bits of the event's values there, computed when first needed.
    const bits = new Array<number>(leaves.bySlot.length).fill(0);
    for (let state = pending.pop(); state; state = pending.pop()) {
      if (state.ends) {
        for (const { entry, branch } of state.ends) {
          entry.reached[branch] = stamp;
          if (entry.seen === stamp) continue;
          entry.seen = stamp;
          candidates.push(entry);
        }
      }
      const { steps, keys } = state;
      if (!steps) continue;
      for (let i = 0; i < steps.length; i++) {
        const slot = keys![2 * i];
        const values = leaves.bySlot[slot];
        if (!values) continue;
        // Reading the table only when a value may be in it: with many patterns, states and
        // tables are rarely in the processor's caches, and most tables hold none of the values.
        const mask = keys![2 * i + 1];
        if (mask !== -1 && (mask & (bits[slot] ||= hashBits(values))) === 0) continue;
        steps[i].probe(values, reach, stamp);
      }
    }
  }

  /** Compiles the pattern and files each alternative along its steps. */
  private insert(id: T, branches: readonly PatternBranch[], seq: number): void {
    const compiled = branches.map((branch) => compileBranch(branch, this.trie));
    const steps = branches.map((branch, b) =>
      chooseSteps(
        branch.flatMap((field, index) => {
          const { slot, test, acceptsAbsence } = compiled[b][index];
          return acceptsAbsence ? [] : [planField(field, index, slot, test)];
        }),
      ),
    );
    const filing = steps.map((chosen, b): Filing => {
      if (chosen.length === 0) return { passing: undefined, complete: false };
      const passing = new Array<boolean>(branches[b].length).fill(false);
      for (const step of chosen) passing[step.index] = proves(step.plan);
      return { passing, complete: passing.every(Boolean) };
    });
    const slots = [...new Set(compiled.flatMap((fields) => fields.map((field) => field.slot)))];
    const reached = new Array<number>(branches.length).fill(0);
    const entry = { id, seq, branches, compiled, filing, slots, reached, removed: false, seen: 0 };
    this.entries.set(id, entry);
    this.file(entry, steps);
  }

  /** Files each alternative of `entry` along the steps of the fields it cannot match without. */
  private file(entry: Entry<T>, steps: readonly (readonly FieldOption[])[]): void {
    let unfiled = false;
    steps.forEach((chosen, branch) => {
      if (chosen.length === 0) {
        unfiled = true;
        return;
      }
      let states = [this.root];
      for (const option of chosen) {
        const next = new Set<State<T>>();
        for (const state of states) {
          let i = state.steps?.findIndex((table) => table.slot === option.slot) ?? -1;
          if (i === -1) {
            state.steps = appended(state.steps, new StepTable(option.slot));
            state.keys = appended(state.keys, option.slot, 0);
            i = state.steps.length - 1;
          }
          const table = state.steps![i];
          for (const target of table.targets(option)) next.add(target);
          state.keys![2 * i + 1] = table.mask;
        }
        states = [...next];
      }
      for (const state of states) state.ends = appended(state.ends, { entry, branch });
    });
    if (unfiled) this.unfiled.push(entry);
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

  private taintedSlots(nodes: ReadonlySet<PathNode>): boolean[] {
    const tainted = new Array<boolean>(this.trie.slotCount).fill(false);
    for (const node of nodes) for (const slot of slotsUnder(node)) tainted[slot] = true;
    return tainted;
  }
}

interface Entry<T> {
  readonly id: T;
  /** Order of addition, which `match()` answers in. */
  readonly seq: number;
  readonly branches: readonly PatternBranch[];
  readonly compiled: readonly CompiledBranch[];
  /** Per alternative: what reaching the last state of its steps proves. */
  readonly filing: readonly Filing[];
  /** The slots of all its paths. */
  readonly slots: readonly number[];
  /** Per alternative, the last `match()` that reached its last state. */
  readonly reached: number[];
  removed: boolean;
  /** The last `match()` that made it a candidate. */
  seen: number;
}

interface Filing {
  /**
   * By field index: whether reaching the last state proves that the field holds, so that it need
   * not be tested again outside arrays. Undefined for an alternative that is not filed.
   */
  readonly passing: readonly boolean[] | undefined;
  /** Whether the steps prove every field. */
  readonly complete: boolean;
}

interface State<T> {
  /** The alternatives whose steps all held once this state is reached. */
  ends: { readonly entry: Entry<T>; readonly branch: number }[] | undefined;
  /** One table per field: where the event's values at that path lead. */
  steps: StepTable<T>[] | undefined;
  /**
   * Beside `steps`, in one array of numbers: each table's slot and `mask`, so that a table is
   * only read when one of the event's values may be in it.
   */
  keys: number[] | undefined;
  /** The last `match()` that reached it. */
  seen: number;
}

/**
 * `items` with `added` at the end. Short arrays are copied at their exact size: an array grown by
 * pushes reserves room for 16 more items, and most states hold one or two of each.
 */
function appended<V>(items: V[] | undefined, ...added: V[]): V[] {
  if (!items) return added;
  if (items.length >= 8) {
    items.push(...added);
    return items;
  }
  return [...items, ...added];
}

function newState<T>(): State<T> {
  // Arrays are created on first use: most states have no steps, or end no alternative.
  return { ends: undefined, steps: undefined, keys: undefined, seen: 0 };
}

/** How a field that must hold can be stepped on. */
type FieldPlan =
  | { readonly kind: 'lookup'; readonly lookups: readonly Lookup[] }
  /** `exists: true` among the alternatives: any value at the path will do. */
  | { readonly kind: 'present' }
  /** Operators that no table answers (`anything-but`, `wildcard`, `cidr`): the field's test. */
  | { readonly kind: 'scan'; readonly test: ValueTest };

type Lookup =
  | { readonly table: 'strings' | 'addresses' | 'folded'; readonly value: string }
  | { readonly table: 'numbers'; readonly value: number }
  | { readonly table: 'literals'; readonly value: boolean | null }
  | {
      readonly table: 'prefixes' | 'foldedPrefixes' | 'suffixes' | 'foldedSuffixes';
      /** Of the affix as written; the folded key can be longer (İ lowers to two characters). */
      readonly length: number;
      readonly value: string;
    }
  | { readonly table: 'ranges'; readonly min: number; readonly max: number };

interface FieldOption {
  /** Of the field in its alternative. */
  readonly index: number;
  readonly slot: number;
  readonly field: PatternField;
  readonly plan: FieldPlan;
}

const SCAN_KINDS = new Set<PatternCondition['kind']>([
  'wildcard',
  'cidr',
  'anything-but',
  'anything-but-prefix',
  'anything-but-suffix',
  'anything-but-ignore-case',
  'anything-but-wildcard',
]);

function planField(
  field: PatternField,
  index: number,
  slot: number,
  test: ValueTest | undefined,
): FieldOption {
  const { conditions } = field;
  // The field must hold and does not accept absence, so any `exists` in it is `true`.
  if (conditions.some((condition) => condition.kind === 'exists')) {
    return { index, slot, field, plan: { kind: 'present' } };
  }
  if (conditions.some((condition) => SCAN_KINDS.has(condition.kind))) {
    return { index, slot, field, plan: { kind: 'scan', test: test! } };
  }
  return { index, slot, field, plan: { kind: 'lookup', lookups: conditions.map(lookupOf) } };
}

/**
 * Whether a value that takes the step passes the field's test. Tables other than `folded` (which
 * ignores the length check) and `ranges` (which ignore open bounds and numbers EventBridge does
 * not compare) answer exactly what the test would.
 */
function proves(plan: FieldPlan): boolean {
  return (
    plan.kind !== 'lookup' ||
    plan.lookups.every((lookup) => lookup.table !== 'folded' && lookup.table !== 'ranges')
  );
}

/**
 * The steps of one alternative: its looked-up and `exists: true` fields, as many as `MAX_FANOUT`
 * allows, those an event value leads through to one state first (exact values), then those it can
 * lead through to several (affixes, ranges, presence), so that few states are reached before the
 * selective fields are read. Ties go by slot, one order for all patterns, so that they share
 * states. Tested fields only when there is nothing else, as each costs a test per event value.
 */
function chooseSteps(options: readonly FieldOption[]): FieldOption[] {
  const width = (option: FieldOption) =>
    option.plan.kind === 'lookup' ? option.plan.lookups.length : 1;
  const indexable = options
    .filter((option) => option.plan.kind !== 'scan')
    .sort((a, b) => breadth(a) - breadth(b) || a.slot - b.slot);
  const steps: FieldOption[] = [];
  let fanout = 1;
  for (const option of indexable) {
    if (fanout * width(option) > MAX_FANOUT) continue;
    fanout *= width(option);
    steps.push(option);
  }
  if (steps.length > 0) return steps;
  const narrowest = indexable.sort((a, b) => width(a) - width(b))[0];
  if (narrowest) return [narrowest];
  const scanned = options.find((option) => option.plan.kind === 'scan');
  return scanned ? [scanned] : [];
}

/** How many states one event value can lead to through a table: one, or possibly several. */
const BREADTH: Record<Lookup['table'], number> = {
  strings: 0,
  addresses: 0,
  folded: 0,
  numbers: 0,
  literals: 0,
  prefixes: 1,
  foldedPrefixes: 1,
  suffixes: 1,
  foldedSuffixes: 1,
  ranges: 2,
};

function breadth({ plan }: FieldOption): number {
  if (plan.kind !== 'lookup') return 3;
  return Math.max(...plan.lookups.map((lookup) => BREADTH[lookup.table]));
}

/**
 * The state a value reaches for every `lookup` that `condition` passes; reaching more is fine
 * (the candidate is judged afterwards), missing one is not.
 */
function lookupOf(condition: PatternCondition): Lookup {
  switch (condition.kind) {
    case 'exact': {
      const { value } = condition;
      if (typeof value === 'number') return { table: 'numbers', value };
      if (typeof value !== 'string') return { table: 'literals', value };
      // The compiled test matches an exact IP address in any notation of it.
      const address = parseIpAddress(value);
      return address
        ? { table: 'addresses', value: ipAddressKey(address) }
        : { table: 'strings', value };
    }
    case 'equals-ignore-case':
      return { table: 'folded', value: condition.value.toLowerCase() };
    case 'prefix':
    case 'suffix': {
      const { value, ignoreCase } = condition;
      const prefix = condition.kind === 'prefix';
      return ignoreCase
        ? {
            table: prefix ? 'foldedPrefixes' : 'foldedSuffixes',
            length: value.length,
            value: value.toLowerCase(),
          }
        : { table: prefix ? 'prefixes' : 'suffixes', length: value.length, value };
    }
    case 'numeric':
      return { table: 'ranges', min: condition.range.min, max: condition.range.max };
    default:
      throw new Error(`Unexpected condition ${condition.kind}`);
  }
}

type Reach<T> = (state: State<T>) => void;

interface Scan<T> {
  readonly test: ValueTest;
  readonly state: State<T>;
}

/** The steps from one state on one field. Tables are created on first use: most stay empty. */
class StepTable<T> {
  /** Exact strings, numbers, booleans and null: values of different types never collide. */
  private exact?: Keyed<JsonScalar, T>;
  private addresses?: Keyed<string, T>;
  private folded?: Keyed<string, T>;
  private affixes?: AffixTable<T>[];
  private ranges?: RangeTable<T>;
  private present?: State<T>;
  /** By field, so that alternatives sharing one (written beside their `$or`) test it once. */
  private scans?: Map<PatternField, Scan<T>>;
  /**
   * While the table only holds exact values, one bit per value hash (see `hashBits`); -1 once
   * anything else is filed, as affixes, ranges, presence and tests cannot be hashed.
   */
  mask = 0;

  constructor(readonly slot: number) {}

  /** The states the field's alternatives lead to, created when new. */
  targets({ plan, field }: FieldOption): State<T>[] {
    if (plan.kind !== 'lookup') this.mask = -1;
    else {
      for (const lookup of plan.lookups) {
        const exact = lookup.table === 'strings' || lookup.table === 'numbers';
        if (exact || lookup.table === 'literals') this.mask |= hashBit(lookup.value);
        else this.mask = -1;
      }
    }
    switch (plan.kind) {
      case 'present':
        return [(this.present ??= newState())];
      case 'scan': {
        const scans = (this.scans ??= new Map<PatternField, Scan<T>>());
        let scan = scans.get(field);
        if (!scan) {
          scan = { test: plan.test, state: newState() };
          scans.set(field, scan);
        }
        return [scan.state];
      }
      default:
        return plan.lookups.map((lookup) => this.target(lookup));
    }
  }

  private target(lookup: Lookup): State<T> {
    switch (lookup.table) {
      case 'strings':
      case 'numbers':
      case 'literals':
        return (this.exact ??= new Keyed()).obtain(lookup.value);
      case 'addresses':
        return (this.addresses ??= new Keyed()).obtain(lookup.value);
      case 'folded':
        return (this.folded ??= new Keyed()).obtain(lookup.value);
      case 'ranges':
        return (this.ranges ??= new RangeTable()).target(lookup.min, lookup.max);
      default: {
        let table = this.affixes?.find((candidate) => candidate.kind === lookup.table);
        if (!table) {
          table = new AffixTable(lookup.table);
          this.affixes = appended(this.affixes, table);
        }
        return table.target(lookup.length, lookup.value);
      }
    }
  }

  /** Calls `reach` with every state a value of `leaves` leads to (and maybe more). */
  probe(leaves: readonly EventLeaf[], reach: Reach<T>, stamp: number): void {
    if (this.present) reach(this.present);
    for (const { value } of leaves) {
      if (this.exact) reachIn(this.exact, value, reach);
      if (typeof value === 'string') {
        if (this.addresses) {
          const address = parseIpAddress(value);
          if (address) reachIn(this.addresses, ipAddressKey(address), reach);
        }
        if (this.folded) reachIn(this.folded, value.toLowerCase(), reach);
        if (this.affixes) for (const table of this.affixes) table.probe(value, reach);
      } else if (typeof value === 'number') {
        this.ranges?.probe(value, reach);
      }
    }
    if (this.scans) {
      for (const { test, state } of this.scans.values()) {
        if (state.seen !== stamp && leaves.some((leaf) => test(leaf.value))) reach(state);
      }
    }
  }
}

/** Affixes by length, so that a value is looked up once per distinct affix length. */
class AffixTable<T> {
  private readonly byLength = new Map<number, Keyed<string, T>>();
  /** Ascending. */
  private lengths: number[] = [];
  private readonly suffix: boolean;
  private readonly folded: boolean;

  constructor(readonly kind: 'prefixes' | 'foldedPrefixes' | 'suffixes' | 'foldedSuffixes') {
    this.suffix = kind === 'suffixes' || kind === 'foldedSuffixes';
    this.folded = kind === 'foldedPrefixes' || kind === 'foldedSuffixes';
  }

  target(length: number, key: string): State<T> {
    let byKey = this.byLength.get(length);
    if (!byKey) {
      byKey = new Keyed();
      this.byLength.set(length, byKey);
      this.lengths = [...this.lengths, length].sort((a, b) => a - b);
    }
    return byKey.obtain(key);
  }

  probe(value: string, reach: Reach<T>): void {
    for (const length of this.lengths) {
      if (length > value.length) return;
      // As the compiled test does, the value is cut to the affix's length before it is lowered.
      const start = this.suffix ? value.length - length : 0;
      const part = value.slice(start, start + length);
      reachIn(this.byLength.get(length)!, this.folded ? part.toLowerCase() : part, reach);
    }
  }
}

/**
 * Numeric ranges sorted by lower bound, with the highest upper bound so far beside each, so that a
 * value walks back only over ranges that start before it and until none can reach it.
 */
class RangeTable<T> {
  private readonly byBounds = new Map<string, State<T>>();
  private items: { readonly min: number; readonly max: number; readonly state: State<T> }[] = [];
  private reach: number[] = [];
  private sorted = true;

  target(min: number, max: number): State<T> {
    const key = `${min} ${max}`;
    let state = this.byBounds.get(key);
    if (!state) {
      state = newState();
      this.byBounds.set(key, state);
      this.items = appended(this.items, { min, max, state });
      this.sorted = false;
    }
    return state;
  }

  probe(value: number, reach: Reach<T>): void {
    const { items } = this;
    if (!this.sorted) this.sort();
    let low = 0;
    let high = items.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (items[middle].min <= value) low = middle + 1;
      else high = middle;
    }
    // Bounds are taken as inclusive: an open bound only lets in a candidate that is judged later.
    for (let i = low - 1; i >= 0 && this.reach[i] >= value; i--) {
      if (items[i].max >= value) reach(items[i].state);
    }
  }

  private sort(): void {
    this.items.sort((a, b) => a.min - b.min);
    let reach = -Infinity;
    this.reach = this.items.map((item) => (reach = Math.max(reach, item.max)));
    this.sorted = true;
  }
}

/**
 * States by key. Most tables hold a single key, kept without a Map: a Map costs a few hundred
 * bytes, and thousands of them crowd the processor's caches.
 */
class Keyed<K, T> {
  private soleKey: K | undefined;
  private sole: State<T> | undefined;
  private map: Map<K, State<T>> | undefined;

  get(key: K): State<T> | undefined {
    if (this.map) return this.map.get(key);
    // Within JSON values, === agrees with a Map's SameValueZero (no NaN; 0 and -0 are equal).
    return this.soleKey === key ? this.sole : undefined;
  }

  /** The state under `key`, created when new. */
  obtain(key: K): State<T> {
    const found = this.get(key);
    if (found) return found;
    const state = newState<T>();
    if (!this.sole) {
      this.soleKey = key;
      this.sole = state;
    } else {
      this.map ??= new Map([[this.soleKey!, this.sole]]);
      this.map.set(key, state);
    }
    return state;
  }
}

function reachIn<K, T>(keyed: Keyed<K, T>, key: K, reach: Reach<T>): void {
  const state = keyed.get(key);
  if (state) reach(state);
}

function someOf(slots: readonly number[], flags: readonly boolean[]): boolean {
  for (const slot of slots) if (flags[slot]) return true;
  return false;
}

/**
 * One of 31 bits for a value, from a hash that agrees with `===` on JSON scalars: a filter that
 * says when a value cannot be among a table's keys. Never the sign bit, so that -1 stays apart.
 */
function hashBit(value: JsonScalar): number {
  let hash: number;
  if (typeof value === 'string') {
    hash = 0x811c9dc5;
    for (let i = 0; i < value.length; i++) hash = Math.imul(hash ^ value.charCodeAt(i), 16777619);
  } else if (typeof value === 'number') {
    // Integers hash as themselves, -0 as 0; others only need equal values to hash alike.
    hash = Number.isInteger(value) ? value | 0 : Math.floor(value * 1e6) | 0;
  } else {
    hash = value === null ? 1 : value ? 2 : 3;
  }
  return 1 << ((hash >>> 0) % 31);
}

/** The bits of all the values; never 0, so that 0 can stand for "not computed yet". */
function hashBits(leaves: readonly EventLeaf[]): number {
  let bits = 0;
  for (const { value } of leaves) bits |= hashBit(value);
  return bits;
}

import { type IpRange, ipAddressKey, ipRangeContains, parseIpAddress } from './cidr.parser';
import {
  collectEventLeaves,
  type EventLeaf,
  type EventLeaves,
  PathTrie,
} from './event-leaves.collector';
import { MAX_MATCH_STEPS } from './event-pattern.limits';
import { isComparableNumber } from './numeric-range.parser';
import type {
  JsonScalar,
  PatternBranch,
  PatternCondition,
  PatternField,
} from './pattern-condition.interface';
import { compileWildcard } from './wildcard.matcher';

export type ValueTest = (value: JsonScalar) => boolean;

const NO_LEAVES: readonly EventLeaf[] = [];

export interface CompiledField {
  /** Index of the field's path in the trie the event is collected with. */
  readonly slot: number;
  /** Undefined when only absence can satisfy the field. */
  readonly test: ValueTest | undefined;
  readonly acceptsAbsence: boolean;
  /** Whether a later field of the branch accepts absence, which more constraints can help. */
  readonly absenceFollows: boolean;
}

/** A branch's fields in path order, ready for `matchesAnyBranch`. */
export type CompiledBranch = readonly CompiledField[];

/** Turns validated branches into a predicate over parsed events. */
export function compileBranches(branches: readonly PatternBranch[]): (event: unknown) => boolean {
  const trie = new PathTrie();
  const compiled = branches.map((branch) => compileBranch(branch, trie));
  return (event) => {
    if (typeof event !== 'object' || event === null || Array.isArray(event)) return false;
    const leaves = collectEventLeaves(event, trie, true);
    return leaves.overflowed.size === 0 && matchesAnyBranch(compiled, leaves);
  };
}

/** Compiles a branch, giving its paths slots in `trie` (added when new). */
export function compileBranch(branch: PatternBranch, trie: PathTrie): CompiledBranch {
  // Built by map, at its exact size: an array grown by pushes keeps room for more, which
  // thousands of patterns pay for in memory.
  const absenceFollows = new Array<boolean>(branch.length).fill(false);
  for (let i = branch.length - 2; i >= 0; i--) {
    absenceFollows[i] = absenceFollows[i + 1] || acceptsAbsence(branch[i + 1]);
  }
  return branch.map((field, i) => compileField(field, trie.add(field.path), absenceFollows[i]));
}

/**
 * What a caller already knows of branch `b` for this event: `false` when it cannot match, the
 * fields known to pass (by index), or undefined when nothing is known.
 */
export type BranchFacts = (b: number) => false | readonly boolean[] | undefined;

/**
 * Whether some branch matches, trying them in order. They share one budget of `MAX_MATCH_STEPS`:
 * once it is spent, the pattern does not match, whatever later branches would say.
 */
export function matchesAnyBranch(
  branches: readonly CompiledBranch[],
  event: EventLeaves,
  facts?: BranchFacts,
): boolean {
  let budget: Budget | undefined;
  for (let b = 0; b < branches.length; b++) {
    const fields = branches[b];
    const known = facts?.(b);
    if (!readsArrays(fields, event)) {
      // Outside arrays a branch spends no budget, so one known to fail can be passed over.
      if (known !== false && matchesOutsideArrays(fields, event, known)) return true;
      continue;
    }
    // Within arrays even a branch known to fail is searched: the budget it spends decides
    // whether later branches are tried at all.
    budget ??= { left: MAX_MATCH_STEPS };
    if (matchesBranch(fields, event, budget)) return true;
    if (budget.left < 0) return false;
  }
  return false;
}

function readsArrays(fields: CompiledBranch, event: EventLeaves): boolean {
  for (const field of fields) if (event.inArray[field.slot]) return true;
  return false;
}

/**
 * Outside arrays no choice constrains another, so each field is judged on its own. A path can
 * still hold two values, from a dotted key and from nested keys.
 */
function matchesOutsideArrays(
  fields: CompiledBranch,
  event: EventLeaves,
  passing: readonly boolean[] | undefined,
): boolean {
  for (let f = 0; f < fields.length; f++) {
    if (passing?.[f]) continue;
    const { slot, test, acceptsAbsence } = fields[f];
    const leaves = event.bySlot[slot];
    if (!leaves) {
      if (!acceptsAbsence) return false;
      continue;
    }
    if (!test) return false;
    let passes = false;
    for (const leaf of leaves) {
      if (test(leaf.value)) {
        passes = true;
        break;
      }
    }
    if (!passes) return false;
  }
  return true;
}

interface Budget {
  /** Negative once spent. */
  left: number;
}

/** The leaves a field may pick from, split by element of their common outermost array. */
interface Choices {
  readonly all: readonly EventLeaf[];
  /** Id of the array every leaf sits in (outermost), or -1 when they do not share one. */
  readonly array: number;
  readonly byElement: ReadonlyMap<number, EventLeaf[]> | undefined;
}

/** Below this many leaves, scanning them all costs less than grouping them. */
const GROUPING_THRESHOLD = 8;

function choicesOf(leaves: readonly EventLeaf[]): Choices {
  const array = leaves.length > 0 && leaves[0].membership.length > 0 ? leaves[0].membership[0] : -1;
  if (
    array === -1 ||
    leaves.length < GROUPING_THRESHOLD ||
    !leaves.every((leaf) => leaf.membership.length > 0 && leaf.membership[0] === array)
  ) {
    return { all: leaves, array: -1, byElement: undefined };
  }
  const byElement = new Map<number, EventLeaf[]>();
  for (const leaf of leaves) {
    const element = leaf.membership[1];
    const group = byElement.get(element);
    if (group) group.push(leaf);
    else byElement.set(element, [leaf]);
  }
  return { all: leaves, array, byElement };
}

/**
 * Picks one event value per field, in path order, such that values inside objects of the same
 * array all come from the same element (EventBridge's array consistency); `exists: false` holds
 * when no value consistent with the picks so far exists.
 */
function matchesBranch(fields: CompiledBranch, event: EventLeaves, budget: Budget): boolean {
  const picked = new Int32Array(event.arrayCount).fill(-1);
  const undo: number[] = [];
  // Per field, built when the search first reaches it: the leaves an absence must not find and
  // the leaves that pass the field's test. Only these are ever tried, in event order.
  const present = new Array<Choices | undefined>(fields.length);
  const passing = new Array<Choices | undefined>(fields.length);
  const within = (choices: Choices): readonly EventLeaf[] => {
    if (choices.array === -1) return choices.all;
    const element = picked[choices.array];
    return element === -1 ? choices.all : (choices.byElement!.get(element) ?? NO_LEAVES);
  };
  // Also spends the budget: each leaf looked at is one step.
  const consistent = (leaf: EventLeaf) => {
    budget.left--;
    const { membership } = leaf;
    for (let i = 0; i < membership.length; i += 2) {
      const element = picked[membership[i]];
      if (element !== -1 && element !== membership[i + 1]) return false;
    }
    return true;
  };
  const search = (index: number): boolean => {
    if (index === fields.length) return true;
    const field = fields[index];
    const leaves = event.bySlot[field.slot] ?? NO_LEAVES;
    if (field.acceptsAbsence) {
      const choices = (present[index] ??= choicesOf(leaves));
      if (!within(choices).some(consistent) && budget.left >= 0 && search(index + 1)) return true;
    }
    const { test } = field;
    if (!test || budget.left < 0) return false;
    const choices = (passing[index] ??= choicesOf(leaves.filter((leaf) => test(leaf.value))));
    let triedWithoutNarrowing = false;
    for (const leaf of within(choices)) {
      const fits = consistent(leaf);
      if (budget.left < 0) return false;
      if (!fits) continue;
      const mark = undo.length;
      const { membership } = leaf;
      for (let i = 0; i < membership.length; i += 2) {
        if (picked[membership[i]] === -1) {
          picked[membership[i]] = membership[i + 1];
          undo.push(membership[i]);
        }
      }
      const narrowed = undo.length > mark;
      // A value that picks no new element leaves the search where the last such value left it.
      if (narrowed || !triedWithoutNarrowing) {
        if (search(index + 1)) return true;
        if (budget.left < 0) return false;
      }
      while (undo.length > mark) picked[undo.pop()!] = -1;
      if (!narrowed) {
        // Another value could only add constraints, and those rescue nothing but a later absence.
        if (!field.absenceFollows) return false;
        triedWithoutNarrowing = true;
      }
    }
    return false;
  };
  return search(0);
}

function acceptsAbsence({ conditions }: PatternField): boolean {
  return conditions.some((c) => c.kind === 'exists' && !c.value);
}

function compileField(field: PatternField, slot: number, absenceFollows: boolean): CompiledField {
  const positive = field.conditions.filter((c) => c.kind !== 'exists' || c.value);
  const test = positive.length === 0 ? undefined : compileTest(positive);
  return { slot, test, acceptsAbsence: acceptsAbsence(field), absenceFollows };
}

const ANY_VALUE: ValueTest = () => true;

/**
 * One test for a field's alternatives. Collections are only built for the kinds of alternatives
 * present, and a lone exact value compares directly: with thousands of patterns, what each keeps
 * decides how much of them stays in the processor's caches.
 */
function compileTest(conditions: readonly PatternCondition[]): ValueTest {
  if (conditions.some((c) => c.kind === 'exists')) return ANY_VALUE;
  let strings: Set<string> | undefined;
  let numbers: Set<number> | undefined;
  let scalars: Set<boolean | null> | undefined;
  let ipAddresses: Set<string> | undefined;
  let ipRanges: IpRange[] | undefined;
  let others: ValueTest[] | undefined;
  for (const condition of conditions) {
    if (condition.kind === 'exact') {
      const { value } = condition;
      // EventBridge reads an exact string that is an IP address as that address, so any notation
      // of it in the event matches ("::1" and "0:0:0:0:0:0:0:1").
      const address = typeof value === 'string' ? parseIpAddress(value) : undefined;
      if (address) (ipAddresses ??= new Set()).add(ipAddressKey(address));
      else if (typeof value === 'string') (strings ??= new Set()).add(value);
      else if (typeof value === 'number') (numbers ??= new Set()).add(value);
      else (scalars ??= new Set()).add(value);
    } else if (condition.kind === 'cidr') {
      (ipRanges ??= []).push(condition.range);
    } else {
      (others ??= []).push(compileCondition(condition));
    }
  }
  const kinds = [strings, numbers, scalars, ipAddresses, ipRanges, others].filter(Boolean).length;
  if (kinds === 1) {
    const exact: Set<JsonScalar> | undefined = strings ?? numbers ?? scalars;
    if (exact?.size === 1) {
      const [only] = exact;
      // Within JSON values, === agrees with the sets' SameValueZero (no NaN; 0 and -0 are equal).
      return (value) => value === only;
    }
    if (others?.length === 1) return others[0];
  }
  const readsIp = ipAddresses !== undefined || ipRanges !== undefined;
  return (value) => {
    if (typeof value === 'string') {
      if (strings?.has(value)) return true;
      if (readsIp) {
        const address = parseIpAddress(value);
        if (address && ipAddresses?.has(ipAddressKey(address))) return true;
        if (address && ipRanges?.some((range) => ipRangeContains(range, address))) return true;
      }
    } else if (typeof value === 'number' ? numbers?.has(value) : scalars?.has(value)) {
      return true;
    }
    if (others) for (const other of others) if (other(value)) return true;
    return false;
  };
}

function compileCondition(condition: PatternCondition): ValueTest {
  switch (condition.kind) {
    case 'prefix':
    case 'suffix':
      return affixTest(condition.kind, condition.value, condition.ignoreCase);
    case 'equals-ignore-case': {
      const { value: expected } = condition;
      return (value) =>
        typeof value === 'string' &&
        value.length === expected.length &&
        sameIgnoringCase(value, expected);
    }
    case 'wildcard': {
      const matches = compileWildcard(condition.value);
      return (value) => typeof value === 'string' && matches(value);
    }
    case 'numeric': {
      const { min, minInclusive, max, maxInclusive } = condition.range;
      return (value) =>
        typeof value === 'number' &&
        isComparableNumber(value) &&
        (minInclusive ? value >= min : value > min) &&
        (maxInclusive ? value <= max : value < max);
    }
    // Anything-but compares within one type only: a number is never one of the excluded strings,
    // and null, booleans and other types pass, as EventBridge matches them.
    case 'anything-but': {
      const excluded = new Set<JsonScalar>(condition.values);
      return (value) => !excluded.has(value);
    }
    case 'anything-but-prefix':
    case 'anything-but-suffix': {
      const tests = condition.values.map((v) =>
        affixTest(condition.kind === 'anything-but-prefix' ? 'prefix' : 'suffix', v, false),
      );
      return (value) => typeof value !== 'string' || !tests.some((test) => test(value));
    }
    case 'anything-but-ignore-case': {
      const excluded = new Set(condition.values.map((v) => v.toLowerCase()));
      return (value) => typeof value !== 'string' || !excluded.has(value.toLowerCase());
    }
    case 'anything-but-wildcard': {
      const globs = condition.values.map(compileWildcard);
      return (value) => typeof value !== 'string' || !globs.some((glob) => glob(value));
    }
    default:
      // Exact values, cidr and exists are gathered by compileTest.
      throw new Error(`Unexpected condition ${condition.kind}`);
  }
}

function affixTest(kind: 'prefix' | 'suffix', affix: string, ignoreCase: boolean): ValueTest {
  if (!ignoreCase) {
    return kind === 'prefix'
      ? (value) => typeof value === 'string' && value.startsWith(affix)
      : (value) => typeof value === 'string' && value.endsWith(affix);
  }
  // Cutting the value to the affix's length before lowering keeps characters whose lower case is
  // longer (İ) from shifting the comparison.
  return (value) => {
    if (typeof value !== 'string' || value.length < affix.length) return false;
    const start = kind === 'prefix' ? 0 : value.length - affix.length;
    return sameIgnoringCase(value.slice(start, start + affix.length), affix);
  };
}

function sameIgnoringCase(a: string, b: string): boolean {
  return a === b || a.toLowerCase() === b.toLowerCase();
}

import { type IpRange, ipAddressKey, ipRangeContains, parseIpAddress } from './cidr.parser';
import {
  buildPathTrie,
  collectEventLeaves,
  type EventLeaf,
  type EventLeaves,
} from './event-leaves.collector';
import { isComparableNumber } from './numeric-range.parser';
import type {
  JsonScalar,
  PatternBranch,
  PatternCondition,
  PatternField,
} from './pattern-condition.interface';
import { compileWildcard } from './wildcard.matcher';

type ValueTest = (value: JsonScalar) => boolean;

const NO_LEAVES: readonly EventLeaf[] = [];

interface CompiledField {
  /** Index of the field's path among all paths of the pattern. */
  readonly slot: number;
  /** Undefined when only absence can satisfy the field. */
  readonly test: ValueTest | undefined;
  readonly acceptsAbsence: boolean;
  /** Whether a later field of the branch accepts absence, which more constraints can help. */
  readonly absenceFollows: boolean;
}

/** Turns validated branches into a predicate over parsed events. */
export function compileBranches(branches: readonly PatternBranch[]): (event: unknown) => boolean {
  const paths = [...new Set(branches.flatMap((branch) => branch.map((field) => field.path)))];
  const slots = new Map(paths.map((path, slot) => [path, slot]));
  const compiled = branches.map((branch) => compileBranch(branch, slots));
  const trie = buildPathTrie(paths);
  return (event) => {
    if (typeof event !== 'object' || event === null || Array.isArray(event)) return false;
    const leaves = collectEventLeaves(event, trie, paths.length);
    return compiled.some((fields) => matchesBranch(fields, leaves));
  };
}

function compileBranch(branch: PatternBranch, slots: ReadonlyMap<string, number>): CompiledField[] {
  let absenceFollows = false;
  const fields: CompiledField[] = [];
  for (let i = branch.length - 1; i >= 0; i--) {
    const field = compileField(branch[i], slots.get(branch[i].path)!, absenceFollows);
    fields.unshift(field);
    absenceFollows ||= field.acceptsAbsence;
  }
  return fields;
}

/**
 * Picks one event value per field, in path order, such that values inside objects of the same
 * array all come from the same element (EventBridge's array consistency); `exists: false` holds
 * when no value consistent with the picks so far exists.
 */
function matchesBranch(fields: readonly CompiledField[], event: EventLeaves): boolean {
  if (event.arrayCount === 0) {
    // Without arrays no choice constrains another, so each field is judged on its own. A path
    // can still hold two values, from a dotted key and from nested keys.
    return fields.every((field) => {
      const { test } = field;
      const leaves = event.bySlot[field.slot];
      if (!leaves) return field.acceptsAbsence;
      return test !== undefined && leaves.some((leaf) => test(leaf.value));
    });
  }
  const picked = new Array<number>(event.arrayCount).fill(-1);
  const undo: number[] = [];
  const consistent = (leaf: EventLeaf) => {
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
    if (field.acceptsAbsence && !leaves.some(consistent) && search(index + 1)) return true;
    if (!field.test) return false;
    for (const leaf of leaves) {
      if (!consistent(leaf) || !field.test(leaf.value)) continue;
      const mark = undo.length;
      const { membership } = leaf;
      for (let i = 0; i < membership.length; i += 2) {
        if (picked[membership[i]] === -1) {
          picked[membership[i]] = membership[i + 1];
          undo.push(membership[i]);
        }
      }
      if (search(index + 1)) return true;
      const narrowed = undo.length > mark;
      while (undo.length > mark) picked[undo.pop()!] = -1;
      // Another value could only add constraints, and those rescue nothing but a later absence.
      if (!narrowed && !field.absenceFollows) return false;
    }
    return false;
  };
  return search(0);
}

function compileField(field: PatternField, slot: number, absenceFollows: boolean): CompiledField {
  const { conditions } = field;
  const acceptsAbsence = conditions.some((c) => c.kind === 'exists' && !c.value);
  const positive = conditions.filter((c) => c.kind !== 'exists' || c.value);
  const test = positive.length === 0 ? undefined : compileTest(positive);
  return { slot, test, acceptsAbsence, absenceFollows };
}

function compileTest(conditions: readonly PatternCondition[]): ValueTest {
  if (conditions.some((c) => c.kind === 'exists')) return () => true;
  const strings = new Set<string>();
  const numbers = new Set<number>();
  const scalars = new Set<boolean | null>();
  const ipAddresses = new Set<string>();
  const ipRanges: IpRange[] = [];
  const others: ValueTest[] = [];
  for (const condition of conditions) {
    if (condition.kind === 'exact') {
      const { value } = condition;
      // EventBridge reads an exact string that is an IP address as that address, so any notation
      // of it in the event matches ("::1" and "0:0:0:0:0:0:0:1").
      const address = typeof value === 'string' ? parseIpAddress(value) : undefined;
      if (address) ipAddresses.add(ipAddressKey(address));
      else if (typeof value === 'string') strings.add(value);
      else if (typeof value === 'number') numbers.add(value);
      else scalars.add(value);
    } else if (condition.kind === 'cidr') {
      ipRanges.push(condition.range);
    } else {
      others.push(compileCondition(condition));
    }
  }
  const readsIp = ipAddresses.size > 0 || ipRanges.length > 0;
  return (value) => {
    if (typeof value === 'string') {
      if (strings.has(value)) return true;
      if (readsIp) {
        const address = parseIpAddress(value);
        if (address && ipAddresses.has(ipAddressKey(address))) return true;
        if (address && ipRanges.some((range) => ipRangeContains(range, address))) return true;
      }
    } else if (typeof value === 'number' ? numbers.has(value) : scalars.has(value)) {
      return true;
    }
    for (const other of others) if (other(value)) return true;
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

import type { ValueTest } from '../interfaces/compiled-branch.interface';
import type { JsonScalar, PatternCondition } from '../interfaces/pattern-condition.interface';
import { compileWildcard } from '../match/wildcard.matcher';
import { isComparableNumber } from '../parse/comparable-number.guard';

/** The test of one operator alternative; exact values, `cidr` and `exists` are `compileTest`'s. */
export function compileCondition(condition: PatternCondition): ValueTest {
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

import type { ValueTest } from '../interfaces/compiled-branch.interface';
import type { PatternCondition, PatternField } from '../interfaces/pattern-condition.interface';
import { ipAddressKey, parseIpAddress } from '../parse/ip-address.parser';
import type { AffixKind } from './affix.table';

/** How a field that must hold can be stepped on. */
export type FieldPlan =
  | { readonly kind: 'lookup'; readonly lookups: readonly Lookup[] }
  /** `exists: true` among the alternatives: any value at the path will do. */
  | { readonly kind: 'present' }
  /** Operators that no table answers (`anything-but`, `wildcard`, `cidr`): the field's test. */
  | { readonly kind: 'scan'; readonly test: ValueTest };

export type Lookup =
  | { readonly table: 'strings' | 'addresses' | 'folded'; readonly value: string }
  | { readonly table: 'numbers'; readonly value: number }
  | { readonly table: 'literals'; readonly value: boolean | null }
  | {
      readonly table: AffixKind;
      /** Of the affix as written; the folded key can be longer (İ lowers to two characters). */
      readonly length: number;
      readonly value: string;
    }
  | { readonly table: 'ranges'; readonly min: number; readonly max: number };

/** A field of an alternative that could be one of its steps. */
export interface FieldOption {
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

/** How a field that does not accept absence could be stepped on. */
export function planField(
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
export function proves(plan: FieldPlan): boolean {
  return (
    plan.kind !== 'lookup' ||
    plan.lookups.every((lookup) => lookup.table !== 'folded' && lookup.table !== 'ranges')
  );
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

import type { FieldOption, Lookup } from './field.planner';

/**
 * An alternative is filed under the product of its fields' values up to this many ways (source
 * ["a", "b"] and type ["x", "y", "z"] make 6); fields that would go past it are left to the final
 * check.
 */
const MAX_FANOUT = 16;

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

/**
 * The steps of one alternative: its looked-up and `exists: true` fields, as many as `MAX_FANOUT`
 * allows, those an event value leads through to one state first (exact values), then those it can
 * lead through to several (affixes, ranges, presence), so that few states are reached before the
 * selective fields are read. Ties go by slot, one order for all patterns, so that they share
 * states. Tested fields only when there is nothing else, as each costs a test per event value.
 */
export function chooseSteps(options: readonly FieldOption[]): FieldOption[] {
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

/** How many states the field files an alternative under. */
function width({ plan }: FieldOption): number {
  return plan.kind === 'lookup' ? plan.lookups.length : 1;
}

function breadth({ plan }: FieldOption): number {
  if (plan.kind !== 'lookup') return 3;
  return Math.max(...plan.lookups.map((lookup) => BREADTH[lookup.table]));
}

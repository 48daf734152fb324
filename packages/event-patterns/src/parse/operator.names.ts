/** The operators a value list may hold, as EventBridge spells them. */
export const OPERATORS = [
  'prefix',
  'suffix',
  'equals-ignore-case',
  'wildcard',
  'anything-but',
  'numeric',
  'exists',
  'cidr',
] as const;

/** What `anything-but` accepts as an object, besides plain values. */
export const ANYTHING_BUT_OPERATORS = [
  'prefix',
  'suffix',
  'equals-ignore-case',
  'wildcard',
] as const;

export type AnythingButOperator = (typeof ANYTHING_BUT_OPERATORS)[number];

/**
 * Field names EventBridge reserves inside `$or` (its engine's operator keywords, including ones
 * kept for future use), so that an operator misplaced one level up is not read as a field.
 */
export const RESERVED_IN_OR: ReadonlySet<string> = new Set<string>([
  ...OPERATORS,
  'exactly',
  '=',
  '<',
  '<=',
  '>',
  '>=',
  'regex',
  'not-wildcard',
  'not-equals-ignore-case',
  'date-after',
  'date-on-or-after',
  'date-before',
  'date-on-or-before',
  'in-date-range',
  'ip-address-in-range',
  'ip-address-not-in-range',
]);

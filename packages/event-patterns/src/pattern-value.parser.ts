import { InvalidEventPatternError } from './invalid-event-pattern.error';
import { parseCidr } from './cidr.parser';
import { isComparableNumber, parseNumericRange } from './numeric-range.parser';
import type { PatternCondition } from './pattern-condition.interface';
import { wildcardSyntaxError } from './wildcard.matcher';

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

const ANYTHING_BUT_OPERATORS = ['prefix', 'suffix', 'equals-ignore-case', 'wildcard'] as const;
type AnythingButOperator = (typeof ANYTHING_BUT_OPERATORS)[number];

/** Parses one element of a field's value array: an exact JSON value or an operator object. */
export function parseCondition(value: unknown, location: string): PatternCondition {
  const fail = (reason: string) => new InvalidEventPatternError(location, reason);
  if (value === null || typeof value === 'string' || typeof value === 'boolean') {
    return { kind: 'exact', value };
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw fail(`${value} is not a JSON number`);
    return { kind: 'exact', value };
  }
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw fail(
      `${describe(value)} cannot be matched: list strings, numbers, true, false, null or ` +
        'operator objects such as {"prefix": "abc"}; arrays do not nest',
    );
  }
  const entries = Object.entries(value);
  if (entries.length !== 1) {
    throw fail(
      `an operator object holds exactly one operator, got ${describe(value)}; ` +
        'list alternatives as separate array elements instead',
    );
  }
  const [[operator, operand]] = entries as [[string, unknown]];
  const text = (what: string): string => {
    if (typeof operand !== 'string') throw fail(`${what} takes a string, not ${describe(operand)}`);
    return operand;
  };
  switch (operator) {
    case 'prefix':
    case 'suffix':
      return parseAffix(operator, operand, fail);
    case 'equals-ignore-case':
      return { kind: 'equals-ignore-case', value: text('equals-ignore-case') };
    case 'wildcard': {
      const pattern = text('wildcard');
      const problem = wildcardSyntaxError(pattern);
      if (problem) throw fail(`wildcard has a ${problem}`);
      return { kind: 'wildcard', value: pattern };
    }
    case 'anything-but':
      return parseAnythingBut(operand, fail);
    case 'numeric':
      return { kind: 'numeric', range: parseNumericRange(operand, location) };
    case 'exists':
      if (typeof operand !== 'boolean') {
        throw fail(`exists takes true or false, not ${describe(operand)}`);
      }
      return { kind: 'exists', value: operand };
    case 'cidr': {
      const range = parseCidr(text('cidr'));
      if (typeof range === 'string') throw fail(range);
      return { kind: 'cidr', range };
    }
    default: {
      const known = OPERATORS.find((name) => name === operator.toLowerCase());
      throw fail(
        known
          ? `unknown operator "${operator}": operators are case-sensitive, write "${known}"`
          : `unknown operator "${operator}"; use one of ${OPERATORS.join(', ')}`,
      );
    }
  }
}

function parseAffix(
  operator: 'prefix' | 'suffix',
  operand: unknown,
  fail: (reason: string) => InvalidEventPatternError,
): PatternCondition {
  if (typeof operand === 'string') return { kind: operator, value: operand, ignoreCase: false };
  const nested = isPlainObject(operand) ? Object.entries(operand) : [];
  if (nested.length === 1 && nested[0][0] === 'equals-ignore-case') {
    const value = nested[0][1];
    if (typeof value === 'string') return { kind: operator, value, ignoreCase: true };
  }
  throw fail(
    `${operator} takes a string or {"equals-ignore-case": "<string>"}, not ${describe(operand)}`,
  );
}

function parseAnythingBut(
  operand: unknown,
  fail: (reason: string) => InvalidEventPatternError,
): PatternCondition {
  if (typeof operand === 'string') return { kind: 'anything-but', values: [operand] };
  if (typeof operand === 'number') {
    return { kind: 'anything-but', values: [comparable(operand, fail)] };
  }
  if (Array.isArray(operand)) {
    const items: readonly unknown[] = operand;
    if (items.length > 0 && items.every((item) => typeof item === 'string')) {
      return { kind: 'anything-but', values: items };
    }
    if (items.length > 0 && items.every((item) => typeof item === 'number')) {
      return { kind: 'anything-but', values: items.map((item) => comparable(item, fail)) };
    }
    throw fail(
      `anything-but lists must hold only strings or only numbers, at least one, got ${describe(operand)}`,
    );
  }
  if (!isPlainObject(operand)) {
    throw fail(
      `anything-but takes a string, a number, a list of either, or an object with one of ` +
        `${ANYTHING_BUT_OPERATORS.join(', ')}; not ${describe(operand)}`,
    );
  }
  const entries = Object.entries(operand);
  const [entry] = entries;
  if (entries.length !== 1 || !ANYTHING_BUT_OPERATORS.includes(entry[0] as AnythingButOperator)) {
    throw fail(
      `anything-but objects hold exactly one of ${ANYTHING_BUT_OPERATORS.join(', ')}, ` +
        `got ${describe(operand)}`,
    );
  }
  const [operator, inner] = entry as [AnythingButOperator, unknown];
  const values = Array.isArray(inner) ? (inner as unknown[]) : [inner];
  for (const value of values) {
    if (typeof value !== 'string') {
      throw fail(
        `anything-but ${operator} takes a string or a list of strings, not ${describe(inner)}` +
          (isPlainObject(inner) ? ' (operators do not nest further inside anything-but)' : ''),
      );
    }
    if ((operator === 'prefix' || operator === 'suffix') && value === '') {
      throw fail(`anything-but ${operator} cannot be empty: every string has an empty ${operator}`);
    }
    const problem = operator === 'wildcard' ? wildcardSyntaxError(value) : undefined;
    if (problem) throw fail(`anything-but wildcard has a ${problem}`);
  }
  const kind = operator === 'equals-ignore-case' ? 'ignore-case' : operator;
  return { kind: `anything-but-${kind}`, values: values as string[] };
}

function comparable(value: number, fail: (reason: string) => InvalidEventPatternError): number {
  if (!isComparableNumber(value)) {
    throw fail(
      `anything-but number ${value} is out of range: EventBridge compares numbers between ` +
        '-5e9 and 5e9 with at most 6 decimal places',
    );
  }
  return value;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  try {
    return JSON.stringify(value) ?? typeof value;
  } catch {
    return typeof value;
  }
}

import { type Refusal, refusalAt } from '../errors/invalid-event-pattern.error';
import type { PatternCondition } from '../interfaces/pattern-condition.interface';
import { describeValue } from '../json/json-value.describer';
import { isPlainObject } from '../json/plain-object.guard';
import { parseAnythingBut } from './anything-but.parser';
import { parseCidr } from './cidr.parser';
import { parseNumericRange } from './numeric-range.parser';
import { OPERATORS } from './operator.names';
import { wildcardSyntaxError } from './wildcard-syntax.checker';

/** Parses one element of a field's value array: an exact JSON value or an operator object. */
export function parseCondition(value: unknown, location: string): PatternCondition {
  const fail = refusalAt(location);
  if (value === null || typeof value === 'string' || typeof value === 'boolean') {
    return { kind: 'exact', value };
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw fail(`${value} is not a JSON number`);
    return { kind: 'exact', value };
  }
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw fail(
      `${describeValue(value)} cannot be matched: list strings, numbers, true, false, null or ` +
        'operator objects such as {"prefix": "abc"}; arrays do not nest',
    );
  }
  const entries = Object.entries(value);
  if (entries.length !== 1) {
    throw fail(
      `an operator object holds exactly one operator, got ${describeValue(value)}; ` +
        'list alternatives as separate array elements instead',
    );
  }
  const [[operator, operand]] = entries as [[string, unknown]];
  const text = (what: string): string => {
    if (typeof operand !== 'string') {
      throw fail(`${what} takes a string, not ${describeValue(operand)}`);
    }
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
        throw fail(`exists takes true or false, not ${describeValue(operand)}`);
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
  fail: Refusal,
): PatternCondition {
  if (typeof operand === 'string') return { kind: operator, value: operand, ignoreCase: false };
  const nested = isPlainObject(operand) ? Object.entries(operand) : [];
  if (nested.length === 1 && nested[0][0] === 'equals-ignore-case') {
    const value = nested[0][1];
    if (typeof value === 'string') return { kind: operator, value, ignoreCase: true };
  }
  throw fail(
    `${operator} takes a string or {"equals-ignore-case": "<string>"}, not ${describeValue(operand)}`,
  );
}

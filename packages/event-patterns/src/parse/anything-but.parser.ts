import type { Refusal } from '../errors/invalid-event-pattern.error';
import type { PatternCondition } from '../interfaces/pattern-condition.interface';
import { describeValue } from '../json/json-value.describer';
import { isPlainObject } from '../json/plain-object.guard';
import { requireComparable } from './comparable-number.guard';
import { ANYTHING_BUT_OPERATORS, type AnythingButOperator } from './operator.names';
import { wildcardSyntaxError } from './wildcard-syntax.checker';

/**
 * The operand of `anything-but`: a string, a number, a list of only one of those, or one nested
 * operator (`prefix`, `suffix`, `equals-ignore-case`, `wildcard`) over a string or strings.
 */
export function parseAnythingBut(operand: unknown, fail: Refusal): PatternCondition {
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
      `anything-but lists must hold only strings or only numbers, at least one, got ${describeValue(operand)}`,
    );
  }
  if (!isPlainObject(operand)) {
    throw fail(
      `anything-but takes a string, a number, a list of either, or an object with one of ` +
        `${ANYTHING_BUT_OPERATORS.join(', ')}; not ${describeValue(operand)}`,
    );
  }
  const entries = Object.entries(operand);
  const [entry] = entries;
  if (entries.length !== 1 || !ANYTHING_BUT_OPERATORS.includes(entry[0] as AnythingButOperator)) {
    throw fail(
      `anything-but objects hold exactly one of ${ANYTHING_BUT_OPERATORS.join(', ')}, ` +
        `got ${describeValue(operand)}`,
    );
  }
  const [operator, inner] = entry as [AnythingButOperator, unknown];
  const values = Array.isArray(inner) ? (inner as unknown[]) : [inner];
  for (const value of values) {
    if (typeof value !== 'string') {
      throw fail(
        `anything-but ${operator} takes a string or a list of strings, not ${describeValue(inner)}` +
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

function comparable(value: number, fail: Refusal): number {
  return requireComparable(value, 'anything-but number', fail);
}

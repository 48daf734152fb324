import { type Refusal, refusalAt } from '../errors/invalid-event-pattern.error';
import type { NumericRange } from '../interfaces/pattern-condition.interface';
import { describeValue } from '../json/json-value.describer';
import { requireComparable } from './comparable-number.guard';

/**
 * `["=", 5]`, `["<", 5]`, `["<=", 5]`, `[">", 0]`, `[">=", 0]`, or a lower bound followed by an
 * upper one: `[">", 0, "<=", 5]`. EventBridge accepts no other shape.
 */
export function parseNumericRange(operand: unknown, location: string): NumericRange {
  const fail = refusalAt(location, 'numeric ');
  if (!Array.isArray(operand)) {
    throw fail(`takes an array such as [">", 0, "<=", 5], not ${describeValue(operand)}`);
  }
  const items: readonly unknown[] = operand;
  const [first, firstValue, second, secondValue] = items;
  if (typeof first !== 'string') {
    throw fail(
      `must start with an operator ("=", "<", "<=", ">" or ">="), not ${describeValue(first)}`,
    );
  }
  const lower = operandAfter(first, firstValue, fail);
  if (first === '=') {
    if (items.length > 2) throw fail('["=", n] compares with one number and takes nothing more');
    return { min: lower, minInclusive: true, max: lower, maxInclusive: true };
  }
  if (first === '<' || first === '<=') {
    if (items.length > 2) {
      throw fail(
        `lists the upper bound first; write the lower bound first, as in [">", 0, "${first}", ${lower}]`,
      );
    }
    return { min: -Infinity, minInclusive: false, max: lower, maxInclusive: first === '<=' };
  }
  if (first !== '>' && first !== '>=') {
    throw fail(`operator ${JSON.stringify(first)} is not one of "=", "<", "<=", ">", ">="`);
  }
  const minInclusive = first === '>=';
  if (items.length === 2) return { min: lower, minInclusive, max: Infinity, maxInclusive: false };
  if (second !== '<' && second !== '<=') {
    throw fail(
      `the upper bound after ${JSON.stringify(first)} must use "<" or "<=", not ${describeValue(second)}`,
    );
  }
  const upper = operandAfter(second, secondValue, fail);
  if (items.length > 4) throw fail('takes at most two operator/number pairs');
  if (!(lower < upper)) {
    throw fail(`lower bound ${lower} must be less than upper bound ${upper}`);
  }
  return { min: lower, minInclusive, max: upper, maxInclusive: second === '<=' };
}

function operandAfter(operator: string, value: unknown, fail: Refusal): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw fail(
      `operator ${JSON.stringify(operator)} must be followed by a number, not ${describeValue(value)}`,
    );
  }
  return requireComparable(value, 'operand', fail);
}

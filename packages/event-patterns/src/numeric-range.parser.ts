import { InvalidEventPatternError } from './invalid-event-pattern.error';
import type { NumericRange } from './pattern-condition.interface';

// EventBridge documents numeric matching for JSON numbers within ±5.0e9 and with at most six
// digits after the decimal point; event values outside that never satisfy a numeric operator, and
// pattern operands outside it are refused.
const LIMIT = 5e9;
const MAX_DECIMALS = 6;

export function isComparableNumber(value: number): boolean {
  return Number.isFinite(value) && Math.abs(value) <= LIMIT && decimalPlaces(value) <= MAX_DECIMALS;
}

/**
 * `["=", 5]`, `["<", 5]`, `["<=", 5]`, `[">", 0]`, `[">=", 0]`, or a lower bound followed by an
 * upper one: `[">", 0, "<=", 5]`. EventBridge accepts no other shape.
 */
export function parseNumericRange(operand: unknown, location: string): NumericRange {
  const fail = (reason: string) => new InvalidEventPatternError(location, `numeric ${reason}`);
  if (!Array.isArray(operand)) {
    throw fail(`takes an array such as [">", 0, "<=", 5], not ${JSON.stringify(operand)}`);
  }
  const items: readonly unknown[] = operand;
  const [first, firstValue, second, secondValue] = items;
  if (typeof first !== 'string') {
    throw fail(`must start with an operator ("=", "<", "<=", ">" or ">="), not ${describe(first)}`);
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
      `the upper bound after ${JSON.stringify(first)} must use "<" or "<=", not ${describe(second)}`,
    );
  }
  const upper = operandAfter(second, secondValue, fail);
  if (items.length > 4) throw fail('takes at most two operator/number pairs');
  if (!(lower < upper)) {
    throw fail(`lower bound ${lower} must be less than upper bound ${upper}`);
  }
  return { min: lower, minInclusive, max: upper, maxInclusive: second === '<=' };
}

function operandAfter(
  operator: string,
  value: unknown,
  fail: (reason: string) => InvalidEventPatternError,
): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw fail(
      `operator ${JSON.stringify(operator)} must be followed by a number, not ${describe(value)}`,
    );
  }
  if (!isComparableNumber(value)) {
    throw fail(
      `operand ${value} is out of range: EventBridge compares numbers between -5e9 and 5e9 ` +
        'with at most 6 decimal places',
    );
  }
  return value;
}

function describe(value: unknown): string {
  return value === undefined ? 'nothing' : JSON.stringify(value);
}

/** Decimal places of the shortest text that reads back as `value`, i.e. of its JSON form. */
function decimalPlaces(value: number): number {
  if (Number.isInteger(value)) return 0;
  const text = String(Math.abs(value));
  const exponentAt = text.indexOf('e');
  const mantissa = exponentAt === -1 ? text : text.slice(0, exponentAt);
  const exponent = exponentAt === -1 ? 0 : Number(text.slice(exponentAt + 1));
  const pointAt = mantissa.indexOf('.');
  const fraction = pointAt === -1 ? 0 : mantissa.length - pointAt - 1;
  return Math.max(0, fraction - exponent);
}

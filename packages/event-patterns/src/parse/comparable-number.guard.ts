import type { Refusal } from '../errors/invalid-event-pattern.error';

// EventBridge documents numeric matching for JSON numbers within ±5.0e9 and with at most six
// digits after the decimal point; event values outside that never satisfy a numeric operator, and
// pattern operands outside it are refused.
const LIMIT = 5e9;
const MAX_DECIMALS = 6;

export function isComparableNumber(value: number): boolean {
  return Number.isFinite(value) && Math.abs(value) <= LIMIT && decimalPlaces(value) <= MAX_DECIMALS;
}

/** `value`, or the refusal of a pattern that compares with a number EventBridge cannot. */
export function requireComparable(value: number, what: string, fail: Refusal): number {
  if (!isComparableNumber(value)) {
    throw fail(
      `${what} ${value} is out of range: EventBridge compares numbers between -5e9 and 5e9 ` +
        `with at most ${MAX_DECIMALS} decimal places`,
    );
  }
  return value;
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

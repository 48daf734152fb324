import { InvalidEventPatternError } from './invalid-event-pattern.error';
import { compileBranches } from './event-pattern.compiler';
import { validatePatternObject } from './event-pattern.validator';
import type { PatternBranch } from './pattern-condition.interface';

/** A compiled event pattern: true when the event matches. */
export type EventMatcher = (event: unknown) => boolean;

/**
 * Throws `InvalidEventPatternError` wherever EventBridge would answer
 * InvalidEventPatternException. A string is read as the pattern's JSON text.
 */
export function validatePattern(pattern: object | string): void {
  validatePatternObject(readPattern(pattern));
}

/**
 * Validates once and returns a matcher for parsed events (plain objects as `JSON.parse` returns
 * them; a `Date` counts as its JSON string). Anything but an object is no match.
 */
export function compilePattern(pattern: object | string): EventMatcher {
  return compileBranches(patternBranches(pattern));
}

/** Validates the pattern and returns its branches (one per way its `$or`s can be chosen). */
export function patternBranches(pattern: object | string): PatternBranch[] {
  return validatePatternObject(readPattern(pattern));
}

/**
 * Whether `event` matches `pattern`, as EventBridge's TestEventPattern answers; both may be given
 * as JSON text. Compile with `compilePattern()` when one pattern meets many events.
 */
export function matchesPattern(pattern: object | string, event: object | string): boolean {
  // The pattern is checked before the event is read, as the callee is evaluated first.
  return compilePattern(pattern)(readEvent(event));
}

function readPattern(pattern: object | string): unknown {
  if (typeof pattern !== 'string') return pattern;
  try {
    return JSON.parse(pattern) as unknown;
  } catch (error) {
    throw new InvalidEventPatternError(
      '',
      `the pattern is not valid JSON (${(error as Error).message}); check quotes and brackets`,
    );
  }
}

function readEvent(event: object | string): unknown {
  const parsed: unknown = typeof event === 'string' ? parseEventText(event) : event;
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new TypeError('The event to match must be a JSON object.');
  }
  return parsed;
}

function parseEventText(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new TypeError(`The event to match is not valid JSON: ${(error as Error).message}`);
  }
}

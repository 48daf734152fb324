import { InvalidEventPatternError } from '../errors/invalid-event-pattern.error';
import type { PatternBranch } from '../interfaces/pattern-condition.interface';
import { parseJsonText } from '../json/json-text.parser';
import { describeValue } from '../json/json-value.describer';
import { isPlainObject } from '../json/plain-object.guard';
import { MAX_PATTERN_TEXT_LENGTH } from '../limits/event-pattern.limits';
import { expandBranches } from './branch.expander';
import { checkWildcardComplexity } from './wildcard-complexity.validator';

/**
 * Validates a pattern the way EventBridge does and returns its branches: one per way the `$or`s
 * can be chosen, each listing its fields sorted by path (the order EventBridge evaluates them in,
 * which decides `exists: false` inside arrays). A string is read as the pattern's JSON text.
 */
export function parsePatternBranches(pattern: object | string): PatternBranch[] {
  const parsed = typeof pattern === 'string' ? readPatternText(pattern) : pattern;
  if (!isPlainObject(parsed)) {
    throw new InvalidEventPatternError(
      '',
      `a pattern must be a JSON object such as {"source": ["orders"]}, not ${describeValue(parsed)}`,
    );
  }
  const sorted = expandBranches(parsed).map((branch) =>
    [...branch.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)),
  );
  checkWildcardComplexity(sorted);
  return sorted;
}

function readPatternText(text: string): unknown {
  if (text.length > MAX_PATTERN_TEXT_LENGTH) {
    throw new InvalidEventPatternError(
      '',
      `the pattern's JSON text is ${text.length} characters long, over the limit of ` +
        `${MAX_PATTERN_TEXT_LENGTH} (EventBridge takes 2,048, or 4,096 on request)`,
    );
  }
  return parseJsonText(
    text,
    (reason) =>
      new InvalidEventPatternError(
        '',
        `the pattern is not valid JSON (${reason}); check quotes and brackets`,
      ),
  );
}

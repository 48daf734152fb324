import { InvalidEventPatternError } from '../errors/invalid-event-pattern.error';
import type { PatternBranch } from '../interfaces/pattern-condition.interface';
import { MAX_WILDCARD_COMPLEXITY } from '../limits/event-pattern.limits';
import { wildcardComplexity } from './wildcard-complexity.evaluator';

/**
 * Refuses the wildcards EventBridge finds too complex. They are judged per path over all the
 * alternatives together, as EventBridge builds one byte machine per field for the whole rule.
 */
export function checkWildcardComplexity(branches: readonly PatternBranch[]): void {
  const byPath = new Map<string, { location: string; wildcards: string[] }>();
  for (const branch of branches) {
    for (const field of branch) {
      for (const condition of field.conditions) {
        const wildcards =
          condition.kind === 'wildcard'
            ? [condition.value]
            : condition.kind === 'anything-but-wildcard'
              ? condition.values
              : [];
        if (wildcards.length === 0) continue;
        const entry = byPath.get(field.path) ?? { location: field.location, wildcards: [] };
        entry.wildcards.push(...wildcards);
        byPath.set(field.path, entry);
      }
    }
  }
  for (const { location, wildcards } of byPath.values()) {
    const complexity = wildcardComplexity(wildcards, MAX_WILDCARD_COMPLEXITY);
    if (complexity > MAX_WILDCARD_COMPLEXITY) {
      throw new InvalidEventPatternError(
        location,
        `wildcards are too complex: a value could keep ${complexity} partial matches open ` +
          `(EventBridge allows ${MAX_WILDCARD_COMPLEXITY}); use fewer "*" or avoid repeating ` +
          'the characters that follow a "*"',
      );
    }
  }
}

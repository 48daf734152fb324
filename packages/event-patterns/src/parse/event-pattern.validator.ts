import { parsePatternBranches } from './pattern-branches.parser';

/**
 * Throws `InvalidEventPatternError` wherever EventBridge would answer
 * InvalidEventPatternException. A string is read as the pattern's JSON text.
 */
export function validatePattern(pattern: object | string): void {
  parsePatternBranches(pattern);
}
